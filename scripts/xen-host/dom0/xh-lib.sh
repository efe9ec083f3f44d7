# xh-lib.sh - helper library for xen-host test cases. POSIX sh (dash).
#
# It runs INSIDE dom0. run-cases ships it on every run as /in/xh-lib.sh, and
# dom0/runner.sh sources it before it sources each case's test.sh, so a
# test.sh may use it at once (". "$XH_LIB"" again is harmless). Full
# reference: docs/xen-host.md.
#
# Variables (set by the runner, exported):
#   GUEST_IP, DOM0_IP  addresses on bridge $XH_BRIDGE (xenbr0), DOM0_IP/24
#                      is on the bridge (defaults 10.99.0.2 and 10.99.0.1)
#   GUEST_IP6, DOM0_IP6  the same for IPv6 (fd00:99::2 and fd00:99::1/64)
#   NAME               domain name: the unique name that xh_create gives the
#                      guest (it overrides name= of the config)
#   DOMID              domain id, set by xh_create ("" before)
#   XH_CASE            case name; XH_CASE_DIR its directory (the cwd)
#   XH_OUT             this case's result directory in dom0 (copied to the
#                      host as OUT/<case>/); extra files may be put there
#   XH_TIMEOUT         the case timeout in seconds
#   XH_LAST_MS         ms after xl create when the last xh_wait_* succeeded
#
# Functions. Wait return codes: 0 ok; 1 timeout; 2 the domain stopped or is
# gone without reaching the goal; 3 usage error or no domain yet.
#   xh_create [CFG] [KEY=VALUE...]   xl create -p CFG (default guest.cfg)
#                     with name=$NAME and the KEY=VALUE overrides, then xl
#                     unpause. Non-zero if xl create (its own code, the end of
#                     xl-create.log goes to stderr) or xl unpause (4) fails.
#   xh_wait_console REGEX [TIMEOUT_S [LABEL]]   wait for an extended regex in
#                     the PV console or the port 0xe9 output (matched per
#                     line); LABEL records LABEL_ms in timings.txt
#   xh_wait_state gone|crashed|shutdown|running|paused [TIMEOUT_S]
#                     records state_STATE_ms in timings.txt
#   xh_state          prints the xl list state flags, e.g. -b---- ("" if gone)
#   xh_console        prints the PV console text so far (CRs removed)
#   xh_debugport      prints the port 0xe9 output so far
#   xh_output         both of the above
#   xh_destroy        xl destroy (idempotent)
#   xh_now_ms         dom0 uptime in ms
#   xh_elapsed        ms since the last xh_create started xl create
#   xh_mark KEY [MS]  appends KEY=MS (default: xh_elapsed) to timings.txt
#   xh_log MSG...     timestamped message on stderr (test.log)
#   xh_die MSG...     xh_log, then exit 1
# TIMEOUT_S defaults to the case timeout. The waits are event driven and use
# file descriptor 7 while they run. Their times (XH_LAST_MS, the marks) are
# when the line arrived or the state was reached, not when the wait noticed.
# Names starting with _xh_ / _XH_ are internal.
# shellcheck shell=sh

if [ -z "${XH_LIB_LOADED:-}" ]; then
XH_LIB_LOADED=1

: "${XH_RUN:=/run/xh}"
: "${XH_POLL:=0.3}"
: "${XH_TTY:=/dev/null}"
: "${XH_TIMEOUT:=180}"
: "${XH_BRIDGE:=xenbr0}"
: "${GUEST_IP:=10.99.0.2}"
: "${DOM0_IP:=10.99.0.1}"
: "${GUEST_IP6:=fd00:99::2}"
: "${DOM0_IP6:=fd00:99::1}"
: "${XH_CASE:=adhoc}"
: "${XH_CASE_DIR:=$(pwd)}"
: "${XH_BASE_NAME:=xh-$XH_CASE}"
: "${XH_OUT:=$XH_RUN/adhoc-out}"
: "${XH_STATE:=$XH_RUN/state/$XH_CASE}"
: "${NAME:=$XH_BASE_NAME}"
: "${DOMID:=}"
: "${XH_LAST_MS:=}"
XH__N=0
XH_T_CREATE=""
_xh_evpids=""
_XH_TAB=$(printf '\t')

# Timed copies: every line a guest writes is also stored as "MS<TAB>line",
# MS = dom0 uptime in ms when dom0 saw the line (tail -F follows the logs via
# inotify, measured at 10-40 ms after the write; -s 0.1 bounds the polling
# for a file that does not exist yet). Line N of a timed file is line N of
# its raw log.
#
# awk program of the live console stream of a guest: prefixes each line for
# the dom0 console and appends it to the timed file tf.
# shellcheck disable=SC2016
_XH_STREAM_AWK='
{ getline up < "/proc/uptime"; close("/proc/uptime"); split(up, a, " ")
  sub(/\r$/, "")
  printf "%d\t%s\n", int(a[1] * 1000 + 0.5), $0 >> tf; fflush(tf)
  print pfx $0; fflush()
}'
# awk program of the runner's hypervisor log splitter: "(dN) text" lines
# (what guest N wrote to I/O port 0xe9) go to $XH_RUN/dbg/dN.log, and timed
# to dN.timed.
# shellcheck disable=SC2016
_XH_SPLIT_AWK='
{ sub(/\r$/, "")
  if (match($0, /^\(d[0-9]+\) /)) {
    id = substr($0, 3, RLENGTH - 4)
    f = dir "/d" id ".log"; tf = dir "/d" id ".timed"
    getline up < "/proc/uptime"; close("/proc/uptime"); split(up, a, " ")
    print substr($0, RLENGTH + 1) >> f; fflush(f)
    printf "%d\t%s\n", int(a[1] * 1000 + 0.5), substr($0, RLENGTH + 1) >> tf; fflush(tf)
  }
}'

xh_now_ms() {
  read -r _xh_up _xh_idle < /proc/uptime
  _xh_s=${_xh_up%.*}
  _xh_c=${_xh_up#*.}
  _xh_c=${_xh_c#0}
  echo $((_xh_s * 1000 + ${_xh_c:-0} * 10))
}

xh_elapsed() {
  echo $(($(xh_now_ms) - ${XH_T_CREATE:-${XH_CASE_T0:-0}}))
}

# 12345 -> 12.34
_xh_secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }

xh_log() {
  printf '[xh %s +%ss] %s\n' "$XH_CASE" "$(_xh_secs $(($(xh_now_ms) - ${XH_CASE_T0:-0})))" "$*" >&2
}

xh_die() {
  xh_log "FAIL: $*"
  exit 1
}

xh_mark() {
  if [ $# -lt 1 ]; then xh_log "usage: xh_mark KEY [MS]"; return 3; fi
  echo "$1=${2:-$(xh_elapsed)}" >> "$XH_OUT/timings.txt"
}

# xl list state flags of the current domain (e.g. "-b----"), "" if gone.
xh_state() {
  [ -n "$DOMID" ] || return 0
  xl list "$DOMID" 2> /dev/null | {
    read -r _xh_hdr || true
    read -r _xh_n _xh_i _xh_m _xh_v _xh_st _xh_rest || true
    echo "${_xh_st:-}"
  }
  return 0
}

xh_console() {
  if [ -f "$XH_RUN/console/guest-$NAME.log" ]; then
    tr -d '\r' < "$XH_RUN/console/guest-$NAME.log"
  fi
  return 0
}

xh_debugport() {
  if [ -n "$DOMID" ] && [ -f "$XH_RUN/dbg/d$DOMID.log" ]; then
    cat "$XH_RUN/dbg/d$DOMID.log"
  fi
  return 0
}

xh_output() {
  xh_console
  xh_debugport
}

xh_destroy() {
  [ -n "$DOMID" ] || return 0
  if xl list "$DOMID" > /dev/null 2>&1; then
    if ! xl destroy "$DOMID" >> "$XH_OUT/xl-destroy.log" 2>&1; then
      xh_log "xh_destroy: xl destroy $DOMID failed (see xl-destroy.log)"
      return 1
    fi
    xh_log "destroyed $NAME (domid $DOMID)"
  fi
  return 0
}

# Run "setsid CMD..." in the background with stdout on fd 7 (the event pipe),
# in its own session so that the whole pipeline can be killed. Every such pid
# is also listed in $XH_STATE/pgids: the runner kills them at the case end.
_xh_bg7() {
  setsid "$@" >&7 2> /dev/null < /dev/null &
  _xh_evpids="$_xh_evpids $!"
  echo "$!" >> "$XH_STATE/pgids"
}

# Event pipe for the waits, on fd 7. Lines written to it:
#   "@releaseDomain"  some domain shut down, crashed or died (xenstore watch;
#                     the first one comes once the watch is registered)
#   "tick"            every TICK_S seconds
#   "timeout"         after TIMEOUT_S seconds
#   "match"           from _xh_matcher
# Blocking on "read <&7" costs no CPU; polling with xl would cost a lot, as
# every exec takes ~0.1 s of dom0 CPU under TCG.
_xh_ev_start() {
  _xh_evpids=""
  mkdir -p "$XH_STATE"
  _xh_fifo=$XH_STATE/ev.$$.fifo
  rm -f "$_xh_fifo"
  if ! mkfifo "$_xh_fifo"; then xh_log "cannot make $_xh_fifo"; return 3; fi
  exec 7<> "$_xh_fifo"
  rm -f "$_xh_fifo"
  _xh_bg7 stdbuf -oL xenstore-watch @releaseDomain
  # shellcheck disable=SC2016
  _xh_bg7 sh -c 'sleep "$1"; echo timeout' sh "$1"
  # shellcheck disable=SC2016
  _xh_bg7 sh -c 'while sleep "$1"; do echo tick; done' sh "$2"
}

_xh_ev_stop() {
  [ -n "$_xh_evpids" ] || return 0
  for _xh_p in $_xh_evpids; do
    kill -TERM -- "-$_xh_p" 2> /dev/null || kill -TERM "$_xh_p" 2> /dev/null || true
  done
  _xh_evpids=""
  exec 7<&-
}

# _xh_matcher FILE REGEX: writes "match" to the event pipe once a line of
# FILE (from its start, followed as it grows) matches the extended REGEX.
_xh_matcher() {
  # shellcheck disable=SC2016
  _xh_bg7 sh -c 'tail -s 0.1 -n +1 -F "$1" 2>/dev/null | sed -u "s/\r\$//" | { grep -m1 -qaE -- "$2" && echo match; }' \
    sh "$1" "$2"
}

# Count of lines of the guest output matching an ERE (0 if none).
_xh_match_count() {
  _xh_n=$(xh_output | grep -Eac -- "$1" || true)
  echo "${_xh_n:-0}"
}

# Value of KEY = "..." in an xl config file.
_xh_cfg_value() {
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*[\"']\\([^\"']*\\)[\"'].*/\\1/p" "$2"
}

# Start the live console stream of $NAME to the dom0 console ("GUEST| ").
_xh_stream_console() {
  # shellcheck disable=SC2016
  setsid sh -c 'tail -s 0.1 -n +1 -F "$1" 2>/dev/null | awk -W interactive -v tf="$2" -v pfx="$3" "$4"' sh \
    "$XH_RUN/console/guest-$NAME.log" "$XH_STATE/console.$NAME.timed" "GUEST| " "$_XH_STREAM_AWK" \
    > "$XH_TTY" 2> /dev/null < /dev/null &
  echo "$!" >> "$XH_STATE/pgids"
}

# _xh_first_match_ms RAW TIMED REGEX: dom0 uptime (ms) of the first line of
# RAW that matches, from the timed copy; nothing if unknown.
_xh_first_match_ms() {
  [ -s "$1" ] && [ -s "$2" ] || return 0
  _xh_ln=$(grep -m1 -naE -- "$3" "$1" || true)
  # (the raw console has CR LF line ends, which an anchored regex may mind)
  [ -n "$_xh_ln" ] || _xh_ln=$(sed 's/\r$//' "$1" | grep -m1 -naE -- "$3" || true)
  _xh_ln=${_xh_ln%%:*}
  [ -n "$_xh_ln" ] || return 0
  _xh_tl=$(sed -n "${_xh_ln}p" "$2")
  _xh_tl=${_xh_tl%%"$_XH_TAB"*}
  case $_xh_tl in '' | *[!0-9]*) ;; *) echo "$_xh_tl" ;; esac
  return 0
}

# _xh_match_ms REGEX: when (dom0 uptime ms) the first line matching REGEX
# was seen in the console or the port 0xe9 output; nothing if unknown.
_xh_match_ms() {
  _xh_a=$(_xh_first_match_ms "$XH_RUN/console/guest-$NAME.log" "$XH_STATE/console.$NAME.timed" "$1")
  _xh_b=$(_xh_first_match_ms "$XH_RUN/dbg/d$DOMID.log" "$XH_RUN/dbg/d$DOMID.timed" "$1")
  if [ -z "$_xh_a" ] || { [ -n "$_xh_b" ] && [ "$_xh_b" -lt "$_xh_a" ]; }; then _xh_a=$_xh_b; fi
  echo "$_xh_a"
}

# _xh_state_ms STATE: when (dom0 uptime ms) the runner's domain monitor
# first saw the current domain in STATE; nothing if it did not.
_xh_state_ms() {
  [ -f "$XH_RUN/dom/$DOMID.log" ] || return 0
  while read -r _xh_t _xh_fl; do
    [ "$_xh_fl" = gone ] && _xh_fl=""
    if _xh_state_is "$1" "$_xh_fl"; then echo "$_xh_t"; return 0; fi
  done < "$XH_RUN/dom/$DOMID.log"
  return 0
}

# Domain state monitor (run by the runner in the background, once per boot):
# on every @releaseDomain event (a domain shut down, crashed or died) it runs
# "xl list" and appends "MS FLAGS" (or "MS gone") to $XH_RUN/dom/DOMID.log
# for every domain whose state changed. So state times are known even when
# no test was waiting at that moment.
_xh_monitor() {
  mkdir -p "$XH_RUN/dom"
  stdbuf -oL xenstore-watch @releaseDomain 2> /dev/null | while read -r _xh_ev; do
    _xh_t=$(xh_now_ms)
    _xh_seen=" "
    xl list > "$XH_RUN/dom/list" 2> /dev/null || continue
    while read -r _xh_n _xh_id _xh_m _xh_v _xh_fl _xh_rest; do
      case $_xh_id in '' | 0 | *[!0-9]*) continue ;; esac
      _xh_seen="$_xh_seen$_xh_id "
      _xh_last=""
      [ -f "$XH_RUN/dom/$_xh_id.last" ] && read -r _xh_last < "$XH_RUN/dom/$_xh_id.last"
      if [ "$_xh_fl" != "$_xh_last" ]; then
        echo "$_xh_t $_xh_fl" >> "$XH_RUN/dom/$_xh_id.log"
        echo "$_xh_fl" > "$XH_RUN/dom/$_xh_id.last"
      fi
    done < "$XH_RUN/dom/list"
    for _xh_f in "$XH_RUN"/dom/*.last; do
      [ -f "$_xh_f" ] || continue
      _xh_id=${_xh_f##*/}
      _xh_id=${_xh_id%.last}
      read -r _xh_last < "$_xh_f"
      case $_xh_seen in *" $_xh_id "*) continue ;; esac
      if [ "$_xh_last" != gone ]; then
        echo "$_xh_t gone" >> "$XH_RUN/dom/$_xh_id.log"
        echo gone > "$_xh_f"
      fi
    done
  done
}

xh_create() {
  _xh_cfg=guest.cfg
  if [ $# -gt 0 ]; then
    case $1 in
      *=*) ;;
      *) _xh_cfg=$1; shift ;;
    esac
  fi
  if [ ! -f "$_xh_cfg" ]; then
    xh_log "xh_create: no xl config '$_xh_cfg' in $(pwd)"
    return 3
  fi
  XH__N=$((XH__N + 1))
  if [ "$XH__N" -eq 1 ]; then NAME=$XH_BASE_NAME; else NAME=$XH_BASE_NAME-$XH__N; fi
  DOMID=""
  mkdir -p "$XH_STATE" "$XH_OUT"
  echo "$NAME" >> "$XH_STATE/domains"
  # Relative kernel= and ramdisk= paths are relative to the config's directory.
  case $_xh_cfg in */*) _xh_dir=${_xh_cfg%/*} ;; *) _xh_dir=. ;; esac
  _xh_dir=$(cd "$_xh_dir" && pwd)
  _xh_k=$(_xh_cfg_value kernel "$_xh_cfg")
  _xh_r=$(_xh_cfg_value ramdisk "$_xh_cfg")
  # (the quotes are xl config syntax: key="value")
  # shellcheck disable=SC2089
  case $_xh_k in '' | /*) _xh_k="" ;; *) _xh_k="kernel=\"$_xh_dir/$_xh_k\"" ;; esac
  # shellcheck disable=SC2089
  case $_xh_r in '' | /*) _xh_r="" ;; *) _xh_r="ramdisk=\"$_xh_dir/$_xh_r\"" ;; esac
  # shellcheck disable=SC2090
  set -- "name=\"$NAME\"" ${_xh_k:+"$_xh_k"} ${_xh_r:+"$_xh_r"} "$@"
  xh_log "xl create -p $_xh_cfg $*"
  echo "### xl -v create -p $_xh_cfg $*" >> "$XH_OUT/xl-create.log"
  XH_T_CREATE=$(xh_now_ms)
  if xl -v create -p "$_xh_cfg" "$@" >> "$XH_OUT/xl-create.log" 2>&1; then _xh_rc=0; else _xh_rc=$?; fi
  XH_T_CREATED=$(xh_now_ms)
  if [ "$_xh_rc" -ne 0 ]; then
    xh_log "xh_create: xl create FAILED rc=$_xh_rc after $((XH_T_CREATED - XH_T_CREATE)) ms; end of xl-create.log:"
    tail -n 25 "$XH_OUT/xl-create.log" | sed 's/^/    | /' >&2
    return "$_xh_rc"
  fi
  # (while it is paused: a guest may be gone soon after it runs)
  DOMID=$(xl domid "$NAME" 2> /dev/null || true)
  if [ -z "$DOMID" ]; then
    xh_log "xh_create: xl create succeeded but domain $NAME does not exist"
    return 3
  fi
  # Tell the state monitor about the domain, so that it notices when it is gone.
  mkdir -p "$XH_RUN/dom"
  [ -f "$XH_RUN/dom/$DOMID.last" ] || echo new > "$XH_RUN/dom/$DOMID.last"
  # The console stream (and its timed copy) starts before the guest runs.
  _xh_stream_console
  XH_T_UNPAUSE=$(xh_now_ms)
  if ! xl unpause "$DOMID" >> "$XH_OUT/xl-create.log" 2>&1; then
    xh_log "xh_create: xl unpause $DOMID failed (see xl-create.log)"
    return 4
  fi
  XH_T_UNPAUSED=$(xh_now_ms)
  echo "$DOMID $XH_T_CREATE $XH_T_CREATED $XH_T_UNPAUSED" > "$XH_STATE/dom.$NAME"
  if [ "$XH__N" -eq 1 ]; then _xh_k=""; else _xh_k=.$NAME; fi
  xh_mark "xl_create_ms$_xh_k" $((XH_T_CREATED - XH_T_CREATE))
  xh_mark "unpause_ms$_xh_k" $((XH_T_UNPAUSE - XH_T_CREATE))
  xh_mark "unpaused_ms$_xh_k" $((XH_T_UNPAUSED - XH_T_CREATE))
  xh_log "created $NAME (domid $DOMID): xl create took $((XH_T_CREATED - XH_T_CREATE)) ms; unpaused at $((XH_T_UNPAUSED - XH_T_CREATE)) ms"
  return 0
}

xh_wait_console() {
  if [ $# -lt 1 ] || [ -z "$1" ]; then xh_log "usage: xh_wait_console REGEX [TIMEOUT_S [LABEL]]"; return 3; fi
  if [ -z "$DOMID" ]; then xh_log "xh_wait_console: no domain (call xh_create first)"; return 3; fi
  _xh_re=$1
  _xh_to=${2:-$XH_TIMEOUT}
  _xh_res=""
  _xh_tev=$(xh_now_ms)
  # Fast path: already there? (Setting up the wait costs ~2 s of dom0 CPU.)
  _xh_t=$(_xh_match_ms "$_xh_re")
  if [ -n "$_xh_t" ]; then
    _xh_res=match
  else
    _xh_ev_start "$_xh_to" 5 || return 3
    _xh_matcher "$XH_RUN/console/guest-$NAME.log" "$_xh_re"
    _xh_matcher "$XH_RUN/dbg/d$DOMID.log" "$_xh_re"
  fi
  while [ -z "$_xh_res" ]; do
    if ! read -r _xh_ev <&7; then _xh_res=timeout; break; fi
    _xh_tev=$(xh_now_ms)
    case $_xh_ev in
      match) _xh_res=match ;;
      timeout) _xh_res=timeout ;;
      *)
        _xh_f=$(xh_state)
        case $_xh_f in '' | *s* | *c* | *d*) _xh_res=stopped ;; esac
        ;;
    esac
  done
  _xh_ev_stop
  # The time the first matching line came (from the timed copies).
  [ -n "$_xh_t" ] || _xh_t=$(_xh_match_ms "$_xh_re")
  if [ "$_xh_res" != match ]; then
    # Stopped or timed out: did it match after all? (Also look once more
    # after giving xenconsoled a moment for the last output.)
    if [ -n "$_xh_t" ] || [ "$(_xh_match_count "$_xh_re")" -gt 0 ]; then
      _xh_res=match
    elif [ "$_xh_res" = stopped ]; then
      sleep 1
      [ "$(_xh_match_count "$_xh_re")" -eq 0 ] || _xh_res=match
    fi
  fi
  case $_xh_res in
    match)
      # (when it was noticed, if the line's own time is unknown)
      XH_LAST_MS=$((${_xh_t:-$_xh_tev} - XH_T_CREATE))
      xh_log "xh_wait_console: '$_xh_re' seen $XH_LAST_MS ms after xl create"
      if [ -n "${3:-}" ]; then xh_mark "${3}_ms" "$XH_LAST_MS"; fi
      return 0
      ;;
    stopped)
      xh_log "xh_wait_console: domain $NAME ${_xh_f:+stopped (state $_xh_f)}${_xh_f:-is gone} without '$_xh_re'"
      return 2
      ;;
    *)
      xh_log "xh_wait_console: timeout: '$_xh_re' not seen within ${_xh_to}s"
      return 1
      ;;
  esac
}

# _xh_state_is STATE FLAGS: does FLAGS (from xh_state) mean STATE?
_xh_state_is() {
  case $1 in
    gone) [ -z "$2" ] ;;
    crashed) case $2 in *c*) return 0 ;; *) return 1 ;; esac ;;
    shutdown) case $2 in *c*) return 1 ;; *s*) return 0 ;; *) return 1 ;; esac ;;
    paused) case $2 in *p*) return 0 ;; *) return 1 ;; esac ;;
    running) case $2 in '' | *[pscd]*) return 1 ;; *) return 0 ;; esac ;;
    *) return 1 ;;
  esac
}

xh_wait_state() {
  case ${1:-} in
    gone | crashed | shutdown) _xh_tick=5 ;;
    running | paused) _xh_tick=$XH_POLL ;;
    *) xh_log "usage: xh_wait_state gone|crashed|shutdown|running|paused [TIMEOUT_S]"; return 3 ;;
  esac
  if [ -z "$DOMID" ]; then xh_log "xh_wait_state: no domain (call xh_create first)"; return 3; fi
  _xh_want=$1
  _xh_to=${2:-$XH_TIMEOUT}
  _xh_res=""
  _xh_ev=first
  while [ -z "$_xh_res" ]; do
    if [ "$_xh_ev" = first ]; then
      _xh_ev=""  # fast path: check once before setting up the wait
    else
      [ -n "$_xh_evpids" ] || _xh_ev_start "$_xh_to" "$_xh_tick" || return 3
      if ! read -r _xh_ev <&7; then _xh_ev=timeout; fi
    fi
    _xh_tev=$(xh_now_ms)
    _xh_f=$(xh_state)
    if _xh_state_is "$_xh_want" "$_xh_f"; then
      _xh_res=hit
    elif [ -z "$_xh_f" ]; then
      _xh_res=gone
    elif [ "$_xh_ev" = timeout ]; then
      _xh_res=timeout
    fi
  done
  _xh_ev_stop
  case $_xh_res in
    hit)
      # The time the monitor saw the state first, if it did; else now.
      _xh_t=$(_xh_state_ms "$_xh_want")
      XH_LAST_MS=$((${_xh_t:-$_xh_tev} - XH_T_CREATE))
      xh_mark "state_${_xh_want}_ms" "$XH_LAST_MS"
      xh_log "xh_wait_state: $NAME is $_xh_want${_xh_f:+ ($_xh_f)} $XH_LAST_MS ms after xl create"
      return 0
      ;;
    gone)
      xh_log "xh_wait_state: domain $NAME is gone; it cannot become $_xh_want"
      return 2
      ;;
    *)
      xh_log "xh_wait_state: timeout: $NAME not $_xh_want within ${_xh_to}s (state $_xh_f)"
      return 1
      ;;
  esac
}

fi
