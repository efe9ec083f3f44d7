# From dom0: ping, a UDP echo, and a 1 MB TCP echo round trip with a checksum compared, over
# IPv4 and IPv6; then xl shutdown must power the guest off.
xh_create || exit 1
xh_wait_console 'echo: serving' 60 serving || exit 1
ping -c 3 -W 5 "$GUEST_IP" > ping.log 2>&1 || { cat ping.log; xh_log "ping failed"; exit 1; }
cat ping.log
xh_mark ping_avg_ms "$(sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' ping.log)"
reply=$(echo "xenolith-udp-$$" | nc -u -w 2 "$GUEST_IP" 7)
[ "$reply" = "xenolith-udp-$$" ] || { xh_log "UDP echo got '$reply'"; exit 1; }
# IPv6 over netfront and the bridge: neighbour discovery, ping -6, UDP and TCP.
ping -6 -c 3 -W 5 "$GUEST_IP6" > ping6.log 2>&1 || { cat ping6.log; xh_log "ping -6 failed"; exit 1; }
xh_mark ping6_avg_ms "$(sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' ping6.log)"
reply=$(echo "xenolith-udp6-$$" | nc -6 -u -w 2 "$GUEST_IP6" 7)
[ "$reply" = "xenolith-udp6-$$" ] || { xh_log "UDP echo over IPv6 got '$reply'"; exit 1; }
head -c 262144 /dev/urandom > payload6
timeout 30 nc -6 -N "$GUEST_IP6" 7 < payload6 > echoed6 && [ "$(sha256sum < payload6)" = "$(sha256sum < echoed6)" ] ||
  { xh_log "TCP echo over IPv6: $(wc -c < echoed6) of 262144 bytes came back"; exit 1; }
head -c 1048576 /dev/urandom > payload
# Three rounds: a netfront/event bug that loses a wake-up shows as a stall, so on failure dump
# both sides: dom0's socket, netback's view of the rings (debugfs), Xen's event-channel and
# vCPU state, and the guest's registers.
diagnose() {
  ping -c 2 -W 3 "$GUEST_IP" >/dev/null 2>&1 && xh_log "the guest still answers ping" || xh_log "the guest no longer answers ping"
  ss -tnio dst "$GUEST_IP" 2>/dev/null | sed 's/^/  ss: /'
  mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
  cat "/sys/kernel/debug/xen-netback/vif$DOMID.0/io_ring_q0" 2>&1 | sed 's/^/  netback: /'
  ip -s link show "vif$DOMID.0" 2>&1 | sed 's/^/  /'
  xl dmesg -c >/dev/null 2>&1; xl debug-keys q; xl debug-keys e
  xl dmesg 2>&1 | sed -n "/information for domain $DOMID/,/^(XEN) [A-Z]/p" | sed 's/^/  xen: /' | head -60
  for b in /usr/lib/xen-*/bin/xen-hvmctx; do [ -x "$b" ] && "$b" "$DOMID" 2>&1 | sed -n '/CPU:/,/rflags/p' | sed 's/^/  hvmctx: /'; done
}
for round in 1 2 3; do
  t0=$(xh_now_ms)
  if ! timeout 30 nc -N "$GUEST_IP" 7 < payload > echoed || [ "$(sha256sum < payload)" != "$(sha256sum < echoed)" ]; then
    xh_log "TCP echo round $round failed: $(wc -c < echoed) of 1048576 bytes came back"
    diagnose
    exit 1
  fi
  xh_mark "tcp_1mb_ms_round$round" $(( $(xh_now_ms) - t0 ))
done
xl shutdown "$NAME" && xh_wait_state gone 10 || { xh_log "no clean power-off after xl shutdown"; exit 1; }
