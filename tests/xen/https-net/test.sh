# curl from dom0 fetches the site from the https unikernel on Xen: bytes and headers, a 304
# on If-None-Match, HEAD, 404; then xl shutdown powers it off with the counters printed.
xh_create || exit 1
xh_wait_console 'serving [0-9]+ files' 60 serving || exit 1
fail=0
URL="http://$GUEST_IP:443"
curl -sS --max-time 20 -D headers -o png "$URL/img/xenolith.png" || { xh_log "GET failed"; exit 1; }
[ "$(sha256sum < png)" = "$(sha256sum < xenolith.png)" ] || { xh_log "the image came back different"; fail=1; }
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
