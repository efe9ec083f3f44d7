# kdig from dom0 gets correct answers over DNS over TLS (port 853, the certificate checked
# against cert.pem, the image's built-in self-signed one) and over plain UDP and TCP (53) from
# the dns-tls guest; garbage on 853 gets an alert or a close and the guest goes on; then
# xl shutdown powers it off with both counter lines printed.
xh_create || exit 1
xh_wait_console 'serving [0-9]+ zone.*DNS over TLS' 90 serving || exit 1
fail=0
A_RE='www\.example\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10'
check() {  # check DESCRIPTION EXPECTED-REGEX kdig-args...
  what=$1; want=$2; shift 2
  out=$(kdig @"$GUEST_IP" +time=5 +retry=1 "$@" 2>&1)
  echo "$out" | grep -Eq "$want" || { xh_log "$what: expected /$want/"; echo "$out"; fail=1; }
}
check "A over TLS (name checked)" "$A_RE" +tls-ca=cert.pem +tls-hostname=example.test www.example.test A
check "TLS 1.3" 'TLS session \(TLS1\.3\)' +tls-ca=cert.pem +tls-hostname=example.test www.example.test A
check "A over TLS (address checked)" "$A_RE" +tls-ca=cert.pem www.example.test A
check "AA flag over TLS" 'Flags: qr aa' +tls-ca=cert.pem www.example.test A
check "NXDOMAIN over TLS" 'status: NXDOMAIN' +tls-ca=cert.pem no-such-name.example.test A
check "REFUSED over TLS" 'status: REFUSED' +tls-ca=cert.pem example.org A
check "A over UDP" "$A_RE" +notcp www.example.test A
check "A over TCP" "$A_RE" +tcp www.example.test A
# Over IPv6: DNS over TLS (the certificate's name checked) and plain UDP.
check6() { what=$1; want=$2; shift 2; out=$(kdig -6 @"$GUEST_IP6" +time=5 +retry=1 "$@" 2>&1)
  echo "$out" | grep -Eq "$want" || { xh_log "$what: expected /$want/"; echo "$out"; fail=1; }; }
check6 "A over TLS/IPv6" "$A_RE" +tls-ca=cert.pem +tls-hostname=example.test www.example.test A
check6 "A over UDP/IPv6" "$A_RE" +notcp www.example.test A
# A wrong name: kdig must refuse the certificate (the check above is real).
out=$(kdig @"$GUEST_IP" +time=5 +retry=0 +tls-ca=cert.pem +tls-hostname=wrong.test www.example.test A 2>&1)
if echo "$out" | grep -Eq "$A_RE"; then xh_log "a certificate for another name was accepted"; echo "$out"; fail=1; fi
# Garbage instead of a ClientHello: the server answers with an alert or closes, and goes on.
reply=$(printf '\000\035 this is not a TLS ClientHello, just garbage' | nc -w 15 "$GUEST_IP" 853 | od -An -tx1 | tr -d ' \n' | cut -c1-2)
case "$reply" in 15*|"") ;; *) xh_log "garbage on 853 got '$reply', not an alert or a close"; fail=1;; esac
check "A over TLS after garbage" "$A_RE" +tls-ca=cert.pem +tls-hostname=example.test www.example.test A
xl shutdown "$NAME" && xh_wait_state gone 10 || { xh_log "no clean power-off"; fail=1; }
xh_console | grep -q 'counters (at shutdown): queries' || { xh_log "no counters at shutdown"; fail=1; }
xh_console | grep -Eq 'counters \(at shutdown\): dot connections=[1-9][0-9]* handshake failures=[1-9]' \
  || { xh_log "no DoT counters (connections and the garbage's handshake failure) at shutdown"; xh_console | grep counters; fail=1; }
exit $fail
