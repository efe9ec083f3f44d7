# shellcheck shell=bash
# The https section of ./scripts/bench (sourced by it; uses its helpers: netns_up, netns_down,
# stop_pid, alive, R, note, fmt, ratio, console_hint, build_failure, out_of_memory, median).
#
# The https unikernel (target/x86_64-unknown-none/release/https) and a Linux guest running
# Debian's nginx (scripts/bench.d/build-nginx-guest: the echo comparison's Debian kernel and
# busybox initramfs, plus nginx, the same site files apps/https/www and a certificate) boot in
# turn under the same QEMU setup as the network section (TCG, q35, 1 vCPU, `-cpu max` for both
# — the TLS unikernel needs RDRAND — virtio-net-pci on TAP xtap0 in a private netns, guest
# 10.66.0.2), and the same clients on the host side of the TAP measure port 443:
#   - requests/s, median latency and transfer rate with keep-alive: wrk, 1 thread,
#     $HTTPS_CONNS connections, $HTTPS_SECONDS s, on /index.html and on the biggest file of
#     the site;
#   - new connections/s, one connection per request: with TLS, `openssl s_time -new -www`
#     (a full handshake each time, no resumption; 1 process, then $HTTPS_CONNS in parallel);
#     without TLS, wrk with `Connection: close` (1, then $HTTPS_CONNS connections);
#   - bytes booted: the image, against Debian's vmlinuz + the nginx initramfs.
#
# The scheme follows the unikernel. After it boots, `openssl s_client` tries a handshake on
# port 443: if it succeeds, both guests are measured with TLS (nginx with TLS 1.3 + 1.2,
# preferring the suite the unikernel negotiated, so that both do the same cryptography); if not
# and plain HTTP answers there, both are measured with plain HTTP on port 443 (nginx booted
# with `bench_scheme=http`), and the table says so. The nginx guest gets the very certificate
# and key the image compiled in when they are found as files (a `cert`/`key` path in
# apps/https/Unikernel.toml, or apps/https/identity/{cert,key}.pem) and the certificate the
# unikernel presents is the same; else an equivalent one made here (ECDSA P-256, self-signed,
# target/bench/https/generated/). The report says which, and compares the fingerprints of the
# certificates both guests presented.
#
# Throughput is measured on the biggest file the site has (the image compiles apps/https/www
# in, and the site must not grow for the bench's sake; a bench-only site would need the
# manifest's `[data] root` to be overridable at build time, which apps/https/build.rs does not
# offer). Environment: XENOLITH_BENCH_HTTPS_SECONDS (default 10) per measurement;
# XENOLITH_BENCH_HTTPS_IMAGE, another image to measure in the unikernel's place (default: the
# release build of apps/https, built here).

declare -A R # scripts/bench's results table (this keeps its contents; it tells shellcheck the type)
HTTPS_SECONDS=${XENOLITH_BENCH_HTTPS_SECONDS:-10}
HTTPS_CONNS=4
HTTPS_PORT=443
HTTPS_SITE="$ROOT/apps/https/www"
HTTPS_WORK="$ROOT/target/bench/https"
NGINX_DIR="$ROOT/target/bench/nginx"
HTTPS_NAME=xenolith.test
# The nginx guest's memory (MiB): the echo guest's 96 (--linux-memory) plus room for the larger
# initramfs (nginx and its libraries; it is held twice while unpacking): 96 deadlocks on memory.
# Retried once with 192 if the guest looks out of memory.
NGINX_MEMORY=$(( LINUX_MEMORY > 128 ? LINUX_MEMORY : 128 ))

# https_manifest_memory: the unikernel's memory in MiB, from apps/https/Unikernel.toml.
https_manifest_memory() {
  local m
  m=$(sed -n 's/^[[:space:]]*memory[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$ROOT/apps/https/Unikernel.toml" | head -1)
  echo "${m:-32}"
}

# https_identity_files: "CERT KEY" of the identity the image compiles in, if it is in files.
https_identity_files() {
  local manifest="$ROOT/apps/https/Unikernel.toml" cert key
  cert=$(sed -n 's/^[[:space:]]*\(cert\|certificate\)[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\2/p' "$manifest" | head -1)
  key=$(sed -n 's/^[[:space:]]*key[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -1)
  if [ -n "$cert" ] && [ -n "$key" ]; then
    [ "${cert#/}" != "$cert" ] || cert="$ROOT/apps/https/$cert"
    [ "${key#/}" != "$key" ] || key="$ROOT/apps/https/$key"
  else
    cert="$ROOT/apps/https/identity/cert.pem" key="$ROOT/apps/https/identity/key.pem"
  fi
  [ -s "$cert" ] && [ -s "$key" ] && grep -q 'BEGIN CERTIFICATE' "$cert" && echo "$cert $key"
}

# https_generated_identity: target/bench/https/{cert,key}.pem, ECDSA P-256, self-signed.
https_generated_identity() {
  local dir="$HTTPS_WORK/generated"
  if [ ! -s "$dir/cert.pem" ] || [ ! -s "$dir/key.pem" ]; then
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" -subj "/CN=$HTTPS_NAME" \
      -addext "subjectAltName=DNS:$HTTPS_NAME,IP:$NET_GUEST" >/dev/null 2>&1 ||
      die "openssl could not make a P-256 certificate in ${dir#"$ROOT"/}"
  fi
  echo "$dir/cert.pem $dir/key.pem"
}

cert_fingerprint() { openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//'; }

# https_boot COL MEMORY KERNEL APPEND [QEMU ARGS...]: boots the guest in its own netns and waits
# until port 443 accepts TCP connections. Sets HTTPS_NS and HTTPS_QEMU; returns 1 (with
# R[COL.error]) if it never does.
https_boot() {
  local col=$1 mem=$2 kernel=$3 append=$4; shift 4
  local log="$CONSOLES/$col.log" deadline
  HTTPS_NS="xl-bench-$col-$$" HTTPS_QEMU=""
  mkdir -p "$CONSOLES"
  : > "$log"
  if ! netns_up "$HTTPS_NS"; then R[$col.error]="could not set up network namespace $HTTPS_NS with TAP xtap0"; return 1; fi
  say "https: booting $col ($mem MiB)"
  "$ROOT/scripts/guest" qemu --netns "$HTTPS_NS" --cpu max --memory "$mem" --console "file:$log" \
    --append "$append" "$kernel" "$@" </dev/null >"$CONSOLES/$col.qemu-stderr" 2>&1 &
  HTTPS_QEMU=$!
  CHILD_PIDS+=("$HTTPS_QEMU")
  deadline=$((SECONDS + READY_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if ! alive "$HTTPS_QEMU"; then
      R[$col.error]="QEMU exited before port $HTTPS_PORT accepted connections$(console_hint "$log")"
      [ ! -s "$CONSOLES/$col.qemu-stderr" ] || R[$col.error]+="; QEMU said: $(tail -1 "$CONSOLES/$col.qemu-stderr" | cut -c1-160)"
      return 1
    fi
    if ip netns exec "$HTTPS_NS" timeout 1 bash -c "exec 3<>/dev/tcp/$NET_GUEST/$HTTPS_PORT" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  R[$col.error]="port $HTTPS_PORT did not accept connections within $READY_TIMEOUT s$(console_hint "$log")"
  return 1
}

https_stop() {
  [ -z "${HTTPS_QEMU:-}" ] || stop_pid "$HTTPS_QEMU"
  CHILD_PIDS=()
  [ -z "${HTTPS_NS:-}" ] || netns_down "$HTTPS_NS"
  HTTPS_QEMU="" HTTPS_NS=""
}

in_ns() { ip netns exec "$HTTPS_NS" "$@"; }

# https_tls COL: tries a TLS handshake on port 443; on success sets R[COL.tls] ("TLSv1.3,
# suite, key exchange") and R[COL.certfp] (SHA-256 of the certificate presented).
https_tls() {
  local col=$1 out
  out=$(in_ns timeout 60 openssl s_client -connect "$NET_GUEST:$HTTPS_PORT" -servername "$HTTPS_NAME" \
    -showcerts </dev/null 2>&1) || return 1
  grep -q 'BEGIN CERTIFICATE' <<<"$out" || return 1
  R[$col.certfp]=$(awk '/BEGIN CERTIFICATE/,/END CERTIFICATE/' <<<"$out" | cert_fingerprint)
  R[$col.protocol]=$(sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is .*/\1/p' <<<"$out" | head -1)
  R[$col.cipher]=$(sed -n 's/^New, TLSv[0-9.]*, Cipher is \([A-Za-z0-9_-]*\)$/\1/p' <<<"$out" | head -1)
  R[$col.tls]="${R[$col.protocol]} ${R[$col.cipher]}"
  R[$col.tls]+=", $(sed -n 's/^\(Server\|Peer\) Temp Key: \([^,]*\).*/\2/p' <<<"$out" | head -1)"
  R[$col.tls]+=", $(sed -n 's/^Peer signature type: //p' <<<"$out" | head -1)"
}

# https_check COL URL FILE: the guest serves FILE's bytes at URL.
https_check() {
  local col=$1 url=$2 file=$3 got
  got=$(in_ns curl -sk --max-time 30 "$url" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(sha256sum < "$file" | cut -d' ' -f1)" ] && return 0
  note "$col" "GET $url did not return the bytes of ${file#"$ROOT"/}"
  return 1
}

# to_mib VALUE-WITH-UNIT (wrk's 1.23MB / 512.00KB / 80B) -> MiB
to_mib() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "GB") ? 1024 : (u == "MB") ? 1 : (u == "KB") ? 1 / 1024 : 1 / 1048576
    printf "%.3f", n * f }'
}
# to_ms VALUE-WITH-UNIT (wrk's 812.00us / 1.20ms / 1.05s) -> ms
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = (u == "s") ? 1000 : (u == "ms") ? 1 : (u == "us") ? 0.001 : 60000
    printf "%.3f", n * f }'
}

# https_wrk COL KEY CONNS URL [wrk args...]: runs wrk; R[COL.KEY_rps], R[COL.KEY_mib],
# R[COL.KEY_p50]; socket errors and non-2xx answers go to the notes.
https_wrk() {
  local col=$1 key=$2 conns=$3 url=$4; shift 4
  local out file="$CONSOLES/$col.wrk-$key.txt" errors
  if ! out=$(in_ns wrk -t1 -c"$conns" -d"${HTTPS_SECONDS}s" --timeout 10s --latency "$@" "$url" 2>&1); then
    echo "$out" > "$file"
    R[$col.${key}_rps]=failed; note "$col" "wrk $key: $(tail -1 <<<"$out")"; return 1
  fi
  echo "$out" > "$file"
  R[$col.${key}_rps]=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  R[$col.${key}_mib]=$(to_mib "$(awk '/^Transfer\/sec:/ {print $2}' <<<"$out")")
  R[$col.${key}_p50]=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  errors=$(sed -n 's/^ *\(Socket errors: .*\|Non-2xx or 3xx responses: .*\)/\1/p' <<<"$out" | paste -sd';' -)
  [ -z "$errors" ] || note "$col" "wrk $key ($url): $errors"
}

# https_stime COL KEY PROCS: PROCS parallel `openssl s_time -new -www /index.html`; the sum of
# connections over the wall time, in R[COL.KEY_rps].
https_stime() {
  local col=$1 key=$2 procs=$3 t0 t1 i total=0 n pids=()
  t0=$(date +%s%N)
  for i in $(seq "$procs"); do
    in_ns openssl s_time -connect "$NET_GUEST:$HTTPS_PORT" -new -www /index.html -time "$HTTPS_SECONDS" \
      > "$CONSOLES/$col.stime-$key-$i.txt" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  t1=$(date +%s%N)
  for i in $(seq "$procs"); do
    n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' "$CONSOLES/$col.stime-$key-$i.txt" | head -1)
    if [ -z "$n" ]; then
      R[$col.${key}_rps]=failed
      note "$col" "s_time $key: $(grep -v '^\s*$' "$CONSOLES/$col.stime-$key-$i.txt" | tail -1)"
      return 1
    fi
    grep -q ' 0 bytes read per connection' "$CONSOLES/$col.stime-$key-$i.txt" &&
      note "$col" "s_time $key: the responses were empty"
    total=$((total + n))
  done
  R[$col.${key}_rps]=$(awk -v n="$total" -v ns=$((t1 - t0)) 'BEGIN {printf "%.2f", n / (ns / 1e9)}')
}

# https_measure COL SCHEME: every measurement against the booted guest.
https_measure() {
  local col=$1 scheme=$2 base="$2://$NET_GUEST:$HTTPS_PORT"
  https_check "$col" "$base/index.html" "$HTTPS_SITE/index.html" || true
  https_check "$col" "$base$HTTPS_BIG_URL" "$HTTPS_SITE$HTTPS_BIG_URL" || true
  say "https: measuring $col ($scheme), about $((HTTPS_SECONDS * 5)) s"
  https_wrk "$col" small "$HTTPS_CONNS" "$base/index.html" || true
  https_wrk "$col" big "$HTTPS_CONNS" "$base$HTTPS_BIG_URL" || true
  if [ "$scheme" = https ]; then
    https_stime "$col" new1 1 || true
    https_stime "$col" newn "$HTTPS_CONNS" || true
  else
    https_wrk "$col" new1 1 "$base/index.html" -H 'Connection: close' || true
    https_wrk "$col" newn "$HTTPS_CONNS" "$base/index.html" -H 'Connection: close' || true
  fi
  alive "$HTTPS_QEMU" || note "$col" "QEMU exited during the measurements (console: ${CONSOLES#"$ROOT"/}/$col.log)"
}

# https_families SCHEME: keep-alive requests/s for the small page over IPv4 and IPv6,
# alternating (the IPv4 run of https_measure first); medians in R[uk_https.v4_rps|v6_rps].
https_families() {
  local scheme=$1 v4=("${R[uk_https.small_rps]:-}") v6=() family round
  # IPv6 first (https_measure's IPv4 run came just before), then alternating: FAMILY_ROUNDS
  # runs of each.
  for round in $(seq "$FAMILY_ROUNDS"); do
    for family in 6 4; do
      [ "$round.$family" != "$FAMILY_ROUNDS.4" ] || continue
      if [ $family = 6 ]; then
        https_wrk uk_https6 small "$HTTPS_CONNS" "$scheme://[$NET_GUEST6]:$HTTPS_PORT/index.html" || continue
        v6+=("${R[uk_https6.small_rps]}")
      else
        https_wrk uk_https4 small "$HTTPS_CONNS" "$scheme://$NET_GUEST:$HTTPS_PORT/index.html" || continue
        v4+=("${R[uk_https4.small_rps]}")
      fi
    done
  done
  R[uk_https.v4_rps]=$(printf '%s\n' "${v4[@]}" | median) R[uk_https.v4_all]="${v4[*]}"
  [ ${#v6[@]} = 0 ] || { R[uk_https.v6_rps]=$(printf '%s\n' "${v6[@]}" | median); R[uk_https.v6_all]="${v6[*]}"; }
}

https_section() {
  [[ "$HTTPS_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "XENOLITH_BENCH_HTTPS_SECONDS=$HTTPS_SECONDS: give a positive number of seconds"
  need_packages ip:iproute2 wrk:wrk openssl:openssl curl:curl
  [ "$(id -u)" = 0 ] || { echo "(https section skipped: it needs root for network namespaces and TAP devices)"; return 0; }
  [ -c /dev/net/tun ] || { echo "(https section skipped: no /dev/net/tun)"; return 0; }
  local t_start=$SECONDS scheme="" mode uk_mem ident cert key cert_note build_log nginx_info="" mem col tls_args nginx_append
  local image=${XENOLITH_BENCH_HTTPS_IMAGE:-$IMAGES/https}
  if [ -z "${XENOLITH_BENCH_HTTPS_IMAGE:-}" ] && [ "$IMAGES_GIVEN" = 0 ]; then
    build_images https >/dev/null 2>&1 || build_images https
  fi
  [ -s "$image" ] || die "XENOLITH_BENCH_HTTPS_IMAGE=$image: no such image"
  mkdir -p "$HTTPS_WORK" "$CONSOLES"
  rm -f "$CONSOLES"/uk_https.* "$CONSOLES"/nginx.*
  HTTPS_BIG_URL=/$(cd "$HTTPS_SITE" && find . -type f ! -name '.*' -printf '%s %P\n' | sort -n | tail -1 | cut -d' ' -f2-)
  uk_mem=$(https_manifest_memory)
  R[uk_https.memory]=$uk_mem

  # The unikernel first: its answer on port 443 decides the scheme for both.
  if https_boot uk_https "$uk_mem" "$image" "ip=$NET_GUEST/24 ip6=$NET_GUEST6/64 http=off"; then
    if https_tls uk_https; then
      scheme=https
    elif in_ns curl -s --max-time 30 -o /dev/null "http://$NET_GUEST:$HTTPS_PORT/index.html"; then
      scheme=http
    else
      note uk_https "port $HTTPS_PORT accepts connections but answers neither a TLS handshake nor plain HTTP"
    fi
    [ -z "$scheme" ] || https_measure uk_https "$scheme"
    [ -z "$scheme" ] || https_families "$scheme"
  fi
  https_stop
  local uk_scheme=$scheme
  [ -n "$scheme" ] || scheme=https # nginx is still measured (with TLS) when the unikernel failed

  # The certificate for nginx: the image's own when it is in files and is what the image
  # presents; else an equivalent one.
  cert_note=""
  if ident=$(https_identity_files); then
    read -r cert key <<<"$ident"
    if [ -n "${R[uk_https.certfp]:-}" ] && [ "$(cert_fingerprint < "$cert")" != "${R[uk_https.certfp]}" ]; then
      cert_note="the image presents another certificate than ${cert#"$ROOT"/}; "
      ident=""
    fi
  fi
  if [ -n "$ident" ]; then
    cert_note="the unikernel's own certificate and key (${cert#"$ROOT"/}, ${key#"$ROOT"/})"
  else
    read -r cert key <<<"$(https_generated_identity)"
    cert_note="${cert_note}an equivalent certificate made for the bench (ECDSA P-256, self-signed, ${cert#"$ROOT"/})"
  fi

  # nginx prefers the suite the unikernel negotiated (and speaks TLS 1.2 only if it did).
  tls_args=""
  case "${R[uk_https.protocol]:-}" in
    TLSv1.3) [ -z "${R[uk_https.cipher]:-}" ] || tls_args=" bench_tls13_suite=${R[uk_https.cipher]}";;
    TLSv1.2) [ -z "${R[uk_https.cipher]:-}" ] || tls_args=" bench_tls12_cipher=${R[uk_https.cipher]}";;
  esac

  nginx_append="$LINUX_APPEND_BASE ip=$NET_GUEST/24 rdinit=/sbin/nginx-init bench_scheme=$scheme$tls_args"

  mkdir -p "$ROOT/target/bench"
  build_log="$ROOT/target/bench/nginx-build.log"
  if [ "$LINUX" = 0 ]; then
    R[nginx.error]="not measured (--no-linux)"
  elif { "$HERE/build-linux-guest" "$LINUX_DIR" && "$HERE/build-nginx-guest" "$LINUX_DIR" "$NGINX_DIR" "$HTTPS_SITE" "$cert" "$key"; } \
       2>&1 | tee "$build_log" >&2; then
    nginx_info=$(cat "$NGINX_DIR/info")
    mem=$NGINX_MEMORY
    while :; do
      R[nginx.memory]=$mem
      unset "R[nginx.error]"
      if https_boot nginx "$mem" "$LINUX_DIR/vmlinuz" "$nginx_append" \
           -initrd "$NGINX_DIR/initramfs.cpio"; then
        if [ "$scheme" = https ]; then https_tls nginx || note nginx "no TLS handshake on port $HTTPS_PORT"; fi
        https_measure nginx "$scheme"
        https_stop
        break
      fi
      https_stop
      if [ "$mem" -lt 192 ] && out_of_memory "$CONSOLES/nginx.log"; then
        R[nginx.info]="$mem MiB was not enough (${R[nginx.error]}); measured with 192 MiB"
        mem=192
        continue
      fi
      break
    done
  else
    R[nginx.error]="the nginx guest could not be built: $(build_failure "$build_log") (log: ${build_log#"$ROOT"/})"
  fi

  case "$uk_scheme" in
    https) mode="TLS (${R[uk_https.tls]})";;
    http) mode="plain HTTP on port $HTTPS_PORT — the image does not speak TLS yet (no handshake with openssl s_client); nginx serves plain HTTP too";;
    *) mode="the unikernel did not answer (see below); nginx measured with TLS";;
  esac

  echo "## HTTPS: https unikernel vs nginx in a Linux guest, same QEMU setup"
  echo
  echo "Mode: **$mode**."
  echo
  echo "Setup: $(qemu-system-x86_64 --version | sed -n '1s/ (.*//p'), \`-accel tcg -M q35 -cpu max\`, 1 vCPU," \
    "virtio-net-pci on TAP xtap0 in a private netns per guest; host $NET_HOST/24, guest $NET_GUEST/24, port $HTTPS_PORT;" \
    "clients on the host side: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2), ${HTTPS_SECONDS} s per measurement;" \
    "host load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores."
  echo
  echo "- unikernel: \`${image#"$ROOT"/}\` ($(stat -c %s "$image") bytes), ${R[uk_https.memory]} MiB (apps/https/Unikernel.toml), \`-append \"ip=$NET_GUEST/24 ip6=$NET_GUEST6/64 http=off\"\`"
  if [ -n "$nginx_info" ]; then
    echo "- nginx guest: $nginx_info; $(cut -d, -f1 "$LINUX_DIR/info"); ${R[nginx.memory]:-$NGINX_MEMORY} MiB;" \
      "vmlinuz $(stat -c %s "$LINUX_DIR/vmlinuz") + initramfs $(stat -c %s "$NGINX_DIR/initramfs.cpio") bytes (uncompressed cpio);" \
      "keep-alive 30 s, no request limit, sendfile off, access_log off$([ "$scheme" = http ] || echo ", TLS 1.3 + 1.2 (bench_tls13_suite=: its preferred suite; see nginx-init)");" \
      "\`-append \"$nginx_append\"\` — Linux negotiates virtio-net's offloads (checksum, TSO/GSO, mergeable rx buffers); the unikernel does not"
  else
    echo "- nginx guest: not measured"
  fi
  if [ -n "${R[uk_https.certfp]:-}" ] && [ -n "${R[nginx.certfp]:-}" ]; then
    if [ "${R[uk_https.certfp]}" = "${R[nginx.certfp]}" ]; then
      cert_note+="; both guests presented it (SHA-256 ${R[nginx.certfp]:0:23}...)"
    else
      cert_note+="; the guests presented different certificates (SHA-256 ${R[uk_https.certfp]:0:23}... and ${R[nginx.certfp]:0:23}...)"
    fi
  fi
  echo "- certificate: $cert_note"
  [ -z "${R[nginx.tls]:-}" ] || echo "- TLS negotiated: unikernel ${R[uk_https.tls]:-n/a}; nginx ${R[nginx.tls]}"
  if [ "$scheme" = https ]; then
    echo "- new connections: \`openssl s_time -new -www /index.html\` (a full TLS handshake each, no resumption, then an HTTP/1.0 GET), $HTTPS_CONNS processes for \"$HTTPS_CONNS at a time\""
  else
    echo "- new connections: wrk with \`Connection: close\` (a new TCP connection for each GET /index.html), 1 and $HTTPS_CONNS connections"
  fi
  echo "- site: apps/https/www, the same files in both; big file = $HTTPS_BIG_URL ($(stat -c %s "$HTTPS_SITE$HTTPS_BIG_URL") B), the site's biggest"
  echo
  printf '| %-70s | %10s | %11s | %12s |\n' metric unikernel "nginx guest" "uk / nginx"
  echo "|------------------------------------------------------------------------|-----------:|------------:|-------------:|"
  local small big metric label uk nx
  small="GET /index.html ($(stat -c %s "$HTTPS_SITE/index.html") B), keep-alive, $HTTPS_CONNS conns"
  big="GET $HTTPS_BIG_URL ($(stat -c %s "$HTTPS_SITE$HTTPS_BIG_URL") B), keep-alive, $HTTPS_CONNS conns"
  R[uk_https.bytes]=$(stat -c %s "$image")
  [ -z "$nginx_info" ] || R[nginx.bytes]=$(( $(stat -c %s "$LINUX_DIR/vmlinuz") + $(stat -c %s "$NGINX_DIR/initramfs.cpio") ))
  for metric in small_rps small_p50 small_mib big_rps big_p50 big_mib new1_rps newn_rps bytes memory; do
    case $metric in
      small_rps) label="$small: requests/s";;
      small_p50) label="  same: median latency (ms)";;
      small_mib) label="  same: transfer (MiB/s, headers + body)";;
      big_rps) label="$big: requests/s";;
      big_p50) label="  same: median latency (ms)";;
      big_mib) label="  same: transfer (MiB/s, headers + body)";;
      new1_rps) label="new connection per request (see above), 1 at a time: conn/s";;
      newn_rps) label="  same, $HTTPS_CONNS at a time: conn/s";;
      bytes) label="bytes booted (image | vmlinuz + initramfs)";;
      memory) label="guest memory (MiB)";;
    esac
    uk=${R[uk_https.$metric]:-} nx=${R[nginx.$metric]:-}
    case $metric in bytes|memory) ;; *) uk=$(fmt "$uk") nx=$(fmt "$nx");; esac
    printf '| %-70s | %10s | %11s | %12s |\n' "$label" "${uk:-n/a}" "${nx:-n/a}" "$(ratio "${R[uk_https.$metric]:-}" "${R[nginx.$metric]:-}")"
  done
  echo
  printf '| %-70s | %10s | %11s | %12s |\n' "The unikernel over IPv4 and IPv6 (alternating, keep-alive /index.html)" IPv4 IPv6 "v6 / v4"
  printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..72})" "-----------:" "------------:" "-------------:"
  printf '| %-70s | %10s | %11s | %12s |\n' "requests/s (median of $(wc -w <<<"${R[uk_https.v4_all]:-}"), $(wc -w <<<"${R[uk_https.v6_all]:-}"))" \
    "$(fmt "${R[uk_https.v4_rps]:-}")" "$(fmt "${R[uk_https.v6_rps]:-}")" "$(ratio "${R[uk_https.v6_rps]:-}" "${R[uk_https.v4_rps]:-}")"
  echo
  echo "Ratios: above 1 means the unikernel does more per second (requests, MiB, connections); below 1 means" \
    "less latency, fewer bytes or less memory. Raw client output: ${CONSOLES#"$ROOT"/}/{uk_https,nginx}.*"
  [ -z "${R[uk_https.v4_all]:-}" ] || echo "- unikernel requests/s, each run: IPv4 ${R[uk_https.v4_all]}; IPv6 ${R[uk_https.v6_all]:-none}"
  for col in uk_https nginx uk_https4 uk_https6; do
    [ -z "${R[$col.info]:-}" ] || echo "Note, $col: ${R[$col.info]}"
    [ -z "${R[$col.error]:-}" ] || echo "**$col: ${R[$col.error]}**"
  done
  echo "(https section: $((SECONDS - t_start)) s)"
}
