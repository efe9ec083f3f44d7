# dig from dom0 gets correct answers over UDP and TCP, IPv4 and IPv6, from a guest with
# memory = 8.
xh_create || exit 1
xh_wait_console 'serving [0-9]+ zone' 60 serving || exit 1
fail=0
check() {  # check DESCRIPTION EXPECTED-REGEX dig-args... (SERVER: the guest's address)
  what=$1; want=$2; shift 2
  out=$(dig @"${SERVER:-$GUEST_IP}" +time=3 +tries=2 "$@" 2>&1)
  echo "$out" | grep -Eq "$want" || { xh_log "$what: expected /$want/"; echo "$out"; fail=1; }
}
check "A over UDP" 'www\.example\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10' www.example.test A
check "A over TCP" 'www\.example\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10' +tcp www.example.test A
check "AA flag" 'flags: qr aa' www.example.test A
check "NXDOMAIN" 'status: NXDOMAIN' no-such-name.example.test A
check "REFUSED" 'status: REFUSED' example.org A
SERVER=$GUEST_IP6
check "A over UDP/IPv6" 'www\.example\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10' -6 www.example.test A
check "A over TCP/IPv6" 'www\.example\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10' -6 +tcp www.example.test A
check "NXDOMAIN over IPv6" 'status: NXDOMAIN' -6 no-such-name.example.test A
xl shutdown "$NAME" && xh_wait_state gone 10 || { xh_log "no clean power-off"; fail=1; }
xh_console | grep -q 'counters (at shutdown)' || { xh_log "no counters at shutdown"; fail=1; }
exit $fail
