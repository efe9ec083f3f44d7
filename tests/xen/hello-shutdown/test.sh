xh_create || exit 1
xh_wait_console 'waiting for a shutdown request' 60 ready || exit 1
sleep 1   # idle for a moment: the guest must be blocked, not spinning, and still hear xl
t0=$(xh_now_ms)
xl shutdown "$NAME" || { xh_log "xl shutdown failed"; exit 1; }
xh_wait_state gone 5 || { xh_log "not powered off within 5 s of xl shutdown"; xh_console; exit 1; }
xh_mark shutdown_ms $(( $(xh_now_ms) - t0 ))
xh_console | grep -q 'powering off as requested' || { xh_log "no acknowledgement on the console"; exit 1; }
