# From dom0: ping, a UDP echo, and a 1 MB TCP echo round trip with a checksum compared; then
# xl shutdown must power the guest off.
xh_create || exit 1
xh_wait_console 'echo: serving' 60 serving || exit 1
ping -c 3 -W 5 "$GUEST_IP" > ping.log 2>&1 || { cat ping.log; xh_log "ping failed"; exit 1; }
cat ping.log
xh_mark ping_avg_ms "$(sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' ping.log)"
reply=$(echo "xenolith-udp-$$" | nc -u -w 2 "$GUEST_IP" 7)
[ "$reply" = "xenolith-udp-$$" ] || { xh_log "UDP echo got '$reply'"; exit 1; }
head -c 1048576 /dev/urandom > payload
# KNOWN ISSUE (open in issue 4): about 1 run in 15 the TCP echo stalls on Xen. The first
# attempt's failure is reported with diagnostics and recorded (tcp_stalls in timings.txt); one
# retry keeps CI usable while it is investigated. Two stalls in a row fail the case.
tcp_echo() {
  t0=$(xh_now_ms)
  if timeout 30 nc -N "$GUEST_IP" 7 < payload > echoed && [ "$(sha256sum < payload)" = "$(sha256sum < echoed)" ]; then
    xh_mark tcp_1mb_ms $(( $(xh_now_ms) - t0 ))
    return 0
  fi
  xh_log "TCP echo failed after $(wc -c < echoed) of 1048576 bytes came back"
  ping -c 2 -W 3 "$GUEST_IP" >/dev/null 2>&1 && xh_log "the guest still answers ping" || xh_log "the guest no longer answers ping"
  xh_log "UDP echo afterwards: '$(echo "after-$$" | nc -u -w 2 "$GUEST_IP" 7)'"
  ip -s link show "vif$DOMID.0" 2>&1 | sed 's/^/  /'
  return 1
}
stalls=0
if ! tcp_echo; then
  stalls=1
  tcp_echo || { xh_mark tcp_stalls 2; exit 1; }
fi
xh_mark tcp_stalls "$stalls"
xl shutdown "$NAME" && xh_wait_state gone 10 || { xh_log "no clean power-off after xl shutdown"; exit 1; }
