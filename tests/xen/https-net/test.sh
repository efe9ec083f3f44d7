# curl from dom0 fetches the site over TLS (1.3 and 1.2, verified against the image's
# certificate) from the https unikernel on Xen: bytes and headers, a 304 on If-None-Match,
# HEAD, 404; openssl s_client completes a handshake; the port-80 listener redirects; then
# xl shutdown powers it off with the counters printed.
xh_create || exit 1
xh_wait_console 'serving [0-9]+ files' 60 serving || exit 1
fail=0
URL="https://$GUEST_IP"
curl() { command curl --cacert cert.pem "$@"; }
curl -sS --max-time 20 --tlsv1.3 -D headers -o png "$URL/img/xenolith.png" || { xh_log "GET over TLS 1.3 failed"; exit 1; }
curl -sS --max-time 20 --tlsv1.2 --tls-max 1.2 -o png12 "$URL/img/xenolith.png" || { xh_log "GET over TLS 1.2 failed"; fail=1; }
cmp -s png png12 || { xh_log "TLS 1.2 gave other bytes"; fail=1; }
printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
  timeout 30 openssl s_client -connect "$GUEST_IP:443" -CAfile cert.pem -verify_return_error -ign_eof > s_client.log 2>&1
grep -q 'Verify return code: 0 (ok)' s_client.log && grep -q 'HTTP/1.1 200 OK' s_client.log ||
  { xh_log "openssl s_client failed"; tail -20 s_client.log; fail=1; }
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code} %{redirect_url}' "http://$GUEST_IP/docs/")
[ "$code" = "301 https://$GUEST_IP/docs/" ] || { xh_log "port 80 gave '$code', not a redirect to https"; fail=1; }
[ "$(sha256sum < png)" = "$(sha256sum < xenolith.png)" ] || { xh_log "the image came back different"; fail=1; }
# Over IPv6 (the certificate names example.test, not the IPv6 address).
curl -6 -sS --max-time 20 --tlsv1.3 --resolve "example.test:443:[$GUEST_IP6]" -o png6 "https://example.test/img/xenolith.png" ||
  { xh_log "GET over IPv6 failed"; fail=1; }
cmp -s png png6 || { xh_log "IPv6 gave other bytes"; fail=1; }
code=$(curl -6 -sS --max-time 20 -o /dev/null -w '%{http_code} %{redirect_url}' "http://[$GUEST_IP6]/docs/")
[ "$code" = "301 https://[$GUEST_IP6]/docs/" ] || { xh_log "port 80 over IPv6 gave '$code'"; fail=1; }
grep -qi '^content-type: image/png' headers || { xh_log "no Content-Type: image/png"; cat headers; fail=1; }
grep -qi "^content-length: $(wc -c < xenolith.png)" headers || { xh_log "wrong Content-Length"; cat headers; fail=1; }
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' headers)
[ -n "$etag" ] || { xh_log "no ETag"; fail=1; }
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/img/xenolith.png")
[ "$code" = 304 ] || { xh_log "If-None-Match gave $code, not 304"; fail=1; }
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -I "$URL/")
[ "$code" = 200 ] || { xh_log "HEAD / gave $code"; fail=1; }
code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$URL/no/such/file")
[ "$code" = 404 ] || { xh_log "a missing file gave $code, not 404"; fail=1; }
xl shutdown "$NAME" && xh_wait_state gone 10 || { xh_log "no clean power-off"; fail=1; }
xh_console | grep -q 'counters (at shutdown)' || { xh_log "no counters at shutdown"; fail=1; }
exit $fail
