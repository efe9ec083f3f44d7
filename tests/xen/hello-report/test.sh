# hello prints, on the PV console, its domid and name (from xenstore), the wallclock and a
# 100 ms sleep measured by the pvclock, then powers off (on_poweroff=destroy: the domain goes).
xh_create || exit 1
xh_wait_console 'Xenolith ' 30 first_output || exit 1
xh_wait_console 'hello: done' 60 done || exit 1
xh_wait_state gone 15 || { xh_log "hello did not power off"; exit 1; }
xh_mark powered_off
out=$(xh_console)
echo "$out"
fail=0
for pattern in \
  'Xenolith [0-9.]+ on Xen' \
  "hello: xen domain id $DOMID, name \"$NAME\"" \
  'hello: wallclock: 20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-9:]+ UTC' \
  'hello: slept 100 ms: [0-9]+ us by the pvclock' \
  'hello: heap check passed'; do
  echo "$out" | grep -Eq "$pattern" || { xh_log "PV console lacks /$pattern/"; fail=1; }
done
us=$(echo "$out" | sed -n 's/.*slept 100 ms: \([0-9]*\) us.*/\1/p')
if [ -z "$us" ] || [ "$us" -lt 100000 ] || [ "$us" -gt 300000 ]; then
  xh_log "the 100 ms sleep measured ${us:-nothing} us"; fail=1
fi
xh_mark sleep_us "${us:-0}"
exit $fail
