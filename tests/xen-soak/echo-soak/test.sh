# Soak: ROUNDS (default 60) 1 MB TCP echoes against one echo guest, each watched for progress.
# On a stall (no byte back for 4 s) it dumps both sides — dom0's socket, netback's view of the
# rings (debugfs), Xen's vCPU and event-channel state (xl debug-keys q/e), the guest's registers
# (xen-hvmctx) — and stops. Run: XEN_CASES_DIR=tests/xen-soak ./scripts/test-xen
xh_create || exit 1
xh_wait_console 'echo: serving' 60 serving || exit 1
mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
head -c 1048576 /dev/urandom > payload
want=$(sha256sum < payload)
dump() {
  xh_log "---- stall diagnostics: $1 ----"
  ss -tnio dst "$GUEST_IP" 2>/dev/null | sed 's/^/  ss: /'
  cat "/sys/kernel/debug/xen-netback/vif$DOMID.0/io_ring_q0" 2>&1 | sed 's/^/  netback: /'
  ip -s link show "vif$DOMID.0" 2>&1 | sed 's/^/  link: /'
  xl dmesg -c >/dev/null 2>&1; xl debug-keys q; xl debug-keys e
  xl dmesg 2>&1 | sed -n "/information for domain $DOMID/,/^(XEN) [A-Z]/p" | sed 's/^/  xen: /' | head -80
  for b in /usr/lib/xen-*/bin/xen-hvmctx; do [ -x "$b" ] && "$b" "$DOMID" 2>&1 | sed -n '/CPU:/,/rflags/p' | sed 's/^/  hvmctx: /'; done
  ping -c 2 -W 2 "$GUEST_IP" >/dev/null 2>&1 && xh_log "ping still answered" || xh_log "ping NOT answered"
}
fails=0
for i in $(seq 1 "${ROUNDS:-60}"); do
  rm -f echoed
  t0=$(xh_now_ms)
  nc -N "$GUEST_IP" 7 < payload > echoed &
  pid=$!
  last=-1 still=0 stalled=0
  while kill -0 $pid 2>/dev/null; do
    sleep 1
    n=$(stat -c %s echoed 2>/dev/null || echo 0)
    if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0; fi
    last=$n
    if [ $still -ge 4 ]; then dump "round $i, $n bytes back, none for 4 s"; kill $pid; stalled=1; break; fi
  done
  wait $pid 2>/dev/null
  if [ $stalled = 0 ] && [ "$(sha256sum < echoed)" = "$want" ]; then
    xh_log "round $i ok in $(( $(xh_now_ms) - t0 )) ms"
  else
    fails=$((fails + 1)); xh_log "round $i FAILED"; break
  fi
done
xh_mark failed_rounds $fails
xl shutdown "$NAME"; xh_wait_state gone 10
[ $fails = 0 ]
