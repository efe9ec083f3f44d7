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
t0=$(xh_now_ms)
timeout 60 nc -N "$GUEST_IP" 7 < payload > echoed || { xh_log "TCP echo failed"; exit 1; }
t1=$(xh_now_ms)
[ "$(sha256sum < payload)" = "$(sha256sum < echoed)" ] || { xh_log "TCP echo: $(wc -c < echoed) bytes back, checksum differs"; exit 1; }
xh_mark tcp_1mb_ms $((t1 - t0))
xl shutdown "$NAME" && xh_wait_state gone 10 || { xh_log "no clean power-off after xl shutdown"; exit 1; }
