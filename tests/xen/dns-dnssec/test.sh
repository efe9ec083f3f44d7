# A zone signed with NSEC3 (made by ./prepare on the host) as the boot module of a dns guest
# with memory = 8: delv in dom0, with the zone's DS as its trust anchor, says the answers are
# fully validated (positive over UDP and TCP, IPv4 and IPv6; NXDOMAIN; NODATA; wildcard), and
# dig +dnssec gets the signatures.
xh_create || exit 1
xh_wait_console 'serving [0-9]+ zone' 60 serving || exit 1
fail=0
check() {  # check DESCRIPTION EXPECTED-REGEX delv-args... (SERVER: the guest's address)
  what=$1; want=$2; shift 2
  out=$(delv @"${SERVER:-$GUEST_IP}" -a anchors.conf +root=signed.test "$@" 2>&1)
  echo "$out" | grep -Eq "$want" || { xh_log "$what: expected /$want/"; echo "$out"; fail=1; }
}
check "positive, UDP" '; fully validated' www.signed.test A
check "positive, TCP" '; fully validated' +tcp www.signed.test AAAA
check "NXDOMAIN" 'negative response, fully validated' no-such-name.signed.test A
check "NODATA" 'negative response, fully validated' www.signed.test TXT
check "wildcard" '; fully validated' any.wild.signed.test TXT
SERVER=$GUEST_IP6
check "positive, IPv6" '; fully validated' www.signed.test A
out=$(dig @"$GUEST_IP" +time=3 +tries=2 +dnssec www.signed.test A 2>&1)
echo "$out" | grep -Eq 'RRSIG[[:space:]]+A ' || { xh_log "dig +dnssec: no RRSIG"; echo "$out"; fail=1; }
xl shutdown "$NAME" && xh_wait_state gone 10 || { xh_log "no clean power-off"; fail=1; }
exit $fail
