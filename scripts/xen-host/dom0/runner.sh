#!/bin/sh
# runner.sh - runs INSIDE dom0: starts the Xen toolstack once, then runs the
# test cases one after another. run-cases ships it on the input disk on every
# run (as /in/runner.sh) and the image's init (dom0/init.sh) starts it.
#
# Input (/in, unpacked from the input disk):
#   params        shell variables: DOM0_IP GUEST_IP DOM0_IP6 GUEST_IP6 XH_BRIDGE XH_POLL
#   cases.list    one line per case: "NAME TIMEOUT_S", in run order
#   cases/NAME/   the case directories (guest.cfg, test.sh, kernel, ...)
#   xh-lib.sh     the helper library for test.sh
# Output (/out, copied to the host's --out directory):
#   NAME/{rc,test.log,console.log,debugport.log,xl-create.log,timings.txt,...}
#   xl-info.txt xl-dmesg.txt dom0-runner.log dom0-dmesg.txt ...
# Console protocol (read by run-cases on the host):
#   "XH-READY ..." toolstack up; "XH-CASE-START NAME"; "XH-CASE-END NAME rc=N ms=N"
#   "XH [t] ..." progress; "GUEST| ..." guest console; "TEST| ..." test.sh output.
# Exit status: 0 all cases were run (their results are in /out/NAME/rc);
#   10 the Xen toolstack did not start.
set -u
PATH=/usr/lib/xen-4.17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
IN=/in
OUT=/out
XH_RUN=/run/xh
XH_LIB=$IN/xh-lib.sh
export XH_RUN XH_LIB
# shellcheck source=/dev/null
. "$IN/params"
: "${XH_BRIDGE:=xenbr0}" "${XH_POLL:=0.3}" "${DOM0_IP:=10.99.0.1}" "${GUEST_IP:=10.99.0.2}"
: "${DOM0_IP6:=fd00:99::1}" "${GUEST_IP6:=fd00:99::2}"
export XH_BRIDGE XH_POLL DOM0_IP GUEST_IP DOM0_IP6 GUEST_IP6
XH_CASE=runner XH_OUT=$OUT XH_STATE=$XH_RUN/state/runner
# shellcheck source=SCRIPTDIR/xh-lib.sh
. "$XH_LIB"
mkdir -p "$OUT" "$XH_RUN/state" "$XH_RUN/dbg" "$XH_RUN/console" \
  /var/log/xen /var/lib/xen /run/xen /run/xenstored /var/run/xen
XH_TTY=/dev/console
[ -w "$XH_TTY" ] || XH_TTY=/dev/null
export XH_TTY

T_START=$(xh_now_ms)
say() {
  _t=$(_xh_secs "$(xh_now_ms)")
  echo "XH [$_t] $*"
  echo "[$_t] $*" >> "$OUT/dom0-runner.log"
}
# Write /out to the output disk now, so results survive a later hang.
save_out() {
  if [ -n "${XH_OUTDEV:-}" ]; then tar -cf "$XH_OUTDEV" -C "$OUT" . 2>/dev/null && sync; fi
  return 0
}
# Stop a background stream started with setsid (its pid is its group id).
stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
  return 0
}

say "runner start; dom0 uptime $(_xh_secs "$T_START")s"

# ---- Xen toolstack -------------------------------------------------------------
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-netback xen-blkback bridge; do
  modprobe "$m" 2>> "$OUT/dom0-runner.log" || true
done
mountpoint -q /proc/xen || mount -t xenfs xenfs /proc/xen 2>> "$OUT/dom0-runner.log" || true
XS=$(command -v xenstored || command -v oxenstored || true)
if [ -z "$XS" ]; then say "ERROR: no xenstored in the image"; save_out; exit 10; fi
"$XS" --pid-file /run/xenstored.pid >> "$OUT/dom0-runner.log" 2>&1
i=0
while ! xenstore-read -s / > /dev/null 2>&1 && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
if ! xenstore-read -s / > /dev/null 2>&1; then say "ERROR: xenstored is not answering"; save_out; exit 10; fi
xen-init-dom0 >> "$OUT/dom0-runner.log" 2>&1 || say "warning: xen-init-dom0 failed"
# Guest consoles are logged to $XH_RUN/console/guest-NAME.log, the hypervisor
# console (with the guests' port 0xe9 output as "(dN) ...") to hypervisor.log.
xenconsoled --pid-file=/run/xenconsoled.pid --log=all --log-dir="$XH_RUN/console" \
  >> "$OUT/dom0-runner.log" 2>&1 || say "warning: xenconsoled failed"
if ! xl info > "$OUT/xl-info.txt" 2>&1; then
  say "ERROR: xl info failed:"
  sed 's/^/XH xl-info: /' "$OUT/xl-info.txt"
  save_out
  exit 10
fi
grep -E '^(xen_version|virt_caps|nr_cpus|free_memory|xen_commandline)' "$OUT/xl-info.txt" | sed 's/^/XH xl-info: /'

# ---- network: bridge with the dom0 address; guest vifs join it ---------------------
ip link add "$XH_BRIDGE" type bridge 2>> "$OUT/dom0-runner.log" || brctl addbr "$XH_BRIDGE"
ip addr add "$DOM0_IP/24" dev "$XH_BRIDGE"
# IPv6 too (no duplicate address detection: the address is usable at once). The bridge keeps
# Debian's defaults, multicast snooping on, as an operator's would.
ip addr add "$DOM0_IP6/64" dev "$XH_BRIDGE" nodad 2>> "$OUT/dom0-runner.log" || say "warning: no IPv6 on $XH_BRIDGE"
ip link set "$XH_BRIDGE" up
ip link set lo up

# ---- background: split the guests' port 0xe9 output out of the hypervisor log ----------
# (event driven: tail -F uses inotify, xenconsoled is woken by VIRQ_CON_RING)
# shellcheck disable=SC2016
setsid sh -c 'tail -s 0.1 -n +1 -F "$1" 2>/dev/null | awk -W interactive -v dir="$2" "$3"' sh \
  "$XH_RUN/console/hypervisor.log" "$XH_RUN/dbg" "$_XH_SPLIT_AWK" > /dev/null 2>&1 < /dev/null &
SPLITTER=$!
# ---- background: domain state monitor (see _xh_monitor in xh-lib.sh) -------------------
# shellcheck disable=SC2016
setsid sh -c '. "$XH_LIB" && _xh_monitor' > /dev/null 2>&1 < /dev/null &
MONITOR=$!

T_READY=$(xh_now_ms)
say "XH-READY toolstack up $((T_READY - T_START)) ms after runner start"
echo "toolstack_ready_ms=$((T_READY - T_START))" > "$OUT/dom0-timings.txt"
save_out

# _rel TIMED T0: "MS<TAB>line" -> "MS-T0<TAB>line"
_rel() { awk -v t="$2" '{ i = index($0, "\t"); printf "%d%s\n", substr($0, 1, i - 1) - t, substr($0, i) }' "$1"; }

# collect_domain N NAME: copy the logs of the case's N-th domain NAME into
# $cout and append its timings (ms after its xl create started) to timings.txt.
# Uses $cout, $st and $t1 (test end) of the current case.
collect_domain() {
  if [ "$1" = 1 ]; then sfx="" k=""; else sfx="-$2" k=".$2"; fi
  if [ -f "$XH_RUN/console/guest-$2.log" ]; then
    cp "$XH_RUN/console/guest-$2.log" "$cout/console$sfx.log"
  else
    : > "$cout/console$sfx.log"
  fi
  : > "$cout/debugport$sfx.log"
  [ -f "/var/log/xen/xl-$2.log" ] && cp "/var/log/xen/xl-$2.log" "$cout/xl-domain$sfx.log"
  [ -f "$st/dom.$2" ] || return 0 # xl create failed
  read -r did tc _ < "$st/dom.$2"
  [ -f "$XH_RUN/dbg/d$did.log" ] && cp "$XH_RUN/dbg/d$did.log" "$cout/debugport$sfx.log"
  fc="" fd=""
  if [ -s "$st/console.$2.timed" ]; then
    _rel "$st/console.$2.timed" "$tc" > "$cout/console$sfx.timed"
    fc=$(awk 'NR == 1 { print $1 + 0; exit }' "$cout/console$sfx.timed")
  fi
  if [ -s "$XH_RUN/dbg/d$did.timed" ]; then
    _rel "$XH_RUN/dbg/d$did.timed" "$tc" > "$cout/debugport$sfx.timed"
    fd=$(awk 'NR == 1 { print $1 + 0; exit }' "$cout/debugport$sfx.timed")
  fi
  fo=$fc
  if [ -z "$fo" ] || { [ -n "$fd" ] && [ "$fd" -lt "$fo" ]; }; then fo=$fd; fi
  {
    echo "domid$k=$did"
    echo "first_console_ms$k=${fc:-none}"
    echo "first_debugport_ms$k=${fd:-none}"
    echo "first_output_ms$k=${fo:-none}"
    # State changes seen by the monitor before the test ended.
    if [ -f "$XH_RUN/dom/$did.log" ]; then
      awk -v tc="$tc" -v t1="$t1" -v k="$k" '
        $1 > t1 { next }
        $2 == "gone" { if (g == "") g = $1 - tc; next }
        $2 ~ /c/ { if (c == "") c = $1 - tc; next }
        $2 ~ /s/ { if (s == "") s = $1 - tc }
        END {
          if (s != "") print "domain_shutdown_ms" k "=" s
          if (c != "") print "domain_crashed_ms" k "=" c
          if (g != "") print "domain_gone_ms" k "=" g
        }' "$XH_RUN/dom/$did.log"
    fi
  } >> "$cout/timings.txt"
  if [ -f "$XH_RUN/dom/$did.log" ]; then
    awk -v tc="$tc" '{ print $1 - tc, $2 }' "$XH_RUN/dom/$did.log" > "$cout/states$sfx.txt"
  fi
  return 0
}

# ---- cases ---------------------------------------------------------------------------
idx=0
# (fd 9, so that no command in the loop can eat the list from stdin)
while read -r name tmo <&9; do
  [ -n "$name" ] || continue
  idx=$((idx + 1))
  cdir=$IN/cases/$name
  cout=$OUT/$name
  st=$XH_RUN/state/$name
  mkdir -p "$cout" "$st"
  base=$(printf 'xh%d-%s' "$idx" "$name" | tr -c 'A-Za-z0-9_.\n-' '_' | cut -c1-48)
  say "XH-CASE-START $name (timeout ${tmo}s, guest name $base)"
  ip neigh flush dev "$XH_BRIDGE" 2> /dev/null || true
  : > "$cout/test.log"
  # shellcheck disable=SC2016
  setsid sh -c 'tail -s 0.1 -n +1 -F "$1" 2>/dev/null | sed -u "s/^/TEST| /"' sh "$cout/test.log" \
    > "$XH_TTY" 2> /dev/null < /dev/null &
  testtail=$!
  t0=$(xh_now_ms)
  echo "case_start_uptime_ms=$t0" > "$cout/timings.txt"
  (
    cd "$cdir" || exit 3
    XH_CASE=$name XH_CASE_DIR=$cdir XH_OUT=$cout XH_STATE=$st XH_TIMEOUT=$tmo
    XH_BASE_NAME=$base NAME=$base DOMID="" XH_CASE_T0=$t0
    export XH_CASE XH_CASE_DIR XH_OUT XH_STATE XH_TIMEOUT XH_BASE_NAME NAME DOMID XH_CASE_T0
    # timeout(1) makes itself a process group leader (pgid = this pid) and
    # on timeout signals the whole group.
    # shellcheck disable=SC2016
    exec timeout -k 5 "$tmo" sh -c 'unset XH_LIB_LOADED; . "$XH_LIB" && . ./test.sh' test.sh
  ) > "$cout/test.log" 2>&1 < /dev/null &
  tpid=$!
  wait "$tpid"
  rc=$?
  # Leftover background processes of test.sh share that group: end them.
  kill -KILL -- "-$tpid" 2> /dev/null
  t1=$(xh_now_ms)
  timed_out=no
  if [ $rc = 124 ] || [ $rc = 137 ]; then
    timed_out=yes
    echo "[runner] test.sh was killed after the case timeout of ${tmo}s (rc=$rc)" >> "$cout/test.log"
  fi

  # Tear down every domain the case created, stop its streams, collect logs.
  if [ -f "$st/domains" ]; then
    xl list > "$cout/xl-list.txt" 2>&1
    while read -r dn; do
      if xl domid "$dn" > /dev/null 2>&1; then
        xl destroy "$dn" >> "$cout/xl-destroy.log" 2>&1 || say "warning: xl destroy $dn failed"
      fi
    done < "$st/domains"
  fi
  sleep 0.3
  if [ -f "$st/pgids" ]; then
    while read -r p; do stop_group "$p"; done < "$st/pgids"
  fi
  stop_group "$testtail"
  n=0
  if [ -f "$st/domains" ]; then
    while read -r dn; do
      n=$((n + 1))
      collect_domain "$n" "$dn"
    done < "$st/domains"
  else
    : > "$cout/console.log"
    : > "$cout/debugport.log"
  fi
  [ -f "$cout/xl-create.log" ] || : > "$cout/xl-create.log"
  t2=$(xh_now_ms)
  {
    echo "test_ms=$((t1 - t0))"
    echo "case_ms=$((t2 - t0))"
    echo "timed_out=$timed_out"
  } >> "$cout/timings.txt"
  echo "$rc" > "$cout/rc"
  say "XH-CASE-END $name rc=$rc ms=$((t1 - t0))$([ $timed_out = yes ] && echo ' (case timeout)')"
  save_out
done 9< "$IN/cases.list"

# ---- run-wide diagnostics ------------------------------------------------------------
stop_group "$SPLITTER"
stop_group "$MONITOR"
# The whole hypervisor console since boot (conring_size=1m keeps the boot log
# until xenconsoled reads it), as logged by xenconsoled; else the ring itself.
if [ -s "$XH_RUN/console/hypervisor.log" ]; then
  tr -d '\r' < "$XH_RUN/console/hypervisor.log" > "$OUT/xl-dmesg.txt"
else
  xl dmesg > "$OUT/xl-dmesg.txt" 2>&1
fi
xl list > "$OUT/xl-list.txt" 2>&1
ip -s link > "$OUT/ip-link.txt" 2>&1
dmesg > "$OUT/dom0-dmesg.txt" 2>&1
for f in /var/log/xen/xen-hotplug.log /var/log/xen/xenstored-access.log; do
  [ -f "$f" ] && cp "$f" "$OUT/"
done
echo "all_cases_done_ms=$(($(xh_now_ms) - T_START))" >> "$OUT/dom0-timings.txt"
say "all cases done"
exit 0
