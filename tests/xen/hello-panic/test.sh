xh_create || exit 1
xh_wait_state crashed 60 || { xh_log "domain did not crash"; xh_console; exit 1; }
xh_mark crashed
xh_console | grep -q 'FATAL: panic: deliberate panic requested on the command line' \
  || { xh_log "panic message missing from the PV console"; xh_console; exit 1; }
xh_console | grep -q 'at apps/hello/src/main.rs:' || { xh_log "panic location missing"; exit 1; }
