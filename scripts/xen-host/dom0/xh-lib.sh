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
#   NAME               domain name: the unique name that xh_create gives the
#                      guest (it overrides name= of the config)
#   DOMID              domain id, set by xh_create ("" before)
#   XH_CASE            case name; XH_CASE_DIR its directory (the cwd)
#   XH_OUT             this case's result directory in dom0 (copied to the
#                      host as OUT/<case>/); extra files may be put there
#   XH_TIMEOUT         the case timeout in seconds
#   XH_LAST_MS         ms after xl create when the last xh_wait_* succeeded
#
# Functions (return codes: 0 ok; 1 timeout; 2 the domain stopped or is gone
# without reaching the goal; 3 usage error or no domain; xh_create returns
# xl's own code when xl create fails):
#   xh_create [CFG] [KEY=VALUE...]   xl create -p CFG (default guest.cfg)
#                     with KEY=VALUE overrides, then xl unpause
#   xh_wait_console REGEX [TIMEOUT_S [LABEL]]   wait for an extended regex in
#                     the PV console or the port 0xe9 output; LABEL records
#                     LABEL_ms in timings.txt
#   xh_wait_state gone|crashed|shutdown|running|paused [TIMEOUT_S]
#   xh_state          prints the xl list state flags ("" if gone)
#   xh_console        prints the PV console text so far
#   xh_debugport      prints the port 0xe9 output so far
#   xh_output         both of the above
#   xh_destroy        xl destroy (idempotent)
#   xh_now_ms         dom0 uptime in ms
#   xh_elapsed        ms since the last xh_create started xl create
#   xh_mark KEY [MS]  appends KEY=MS (default: xh_elapsed) to timings.txt
#   xh_log MSG...     timestamped message on stderr (test.log)
#   xh_die MSG...     xh_log, then exit 1
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

# awk program of the live console streams: prefixes each line for the dom0
# console and records the dom0 uptime (ms) of the first line in file ff.
_XH_STREAM_AWK='
{ if (!seen) {
    seen = 1
    getline up < "/proc/uptime"; close("/proc/uptime")
    split(up, a, " "); print int(a[1] * 1000 + 0.5) > ff; close(ff)
  }
  sub(/\r$/, ""); print pfx $0; fflush()
}'
# awk program of the runner's hypervisor log splitter: "(dN) text" lines
# (what guest N wrote to I/O port 0xe9) go to $XH_RUN/dbg/dN.log, and the dom0
# uptime (ms) of a domain's first such line to dN.first.
_XH_SPLIT_AWK='
{ sub(/\r$/, "")
  if (match($0, /^\(d[0-9]+\) /)) {
    id = substr($0, 3, RLENGTH - 4)
    f = dir "/d" id ".log"
    if (!(id in seen)) {
      seen[id] = 1
      getline up < "/proc/uptime"; close("/proc/uptime")
      split(up, a, " "); ff = dir "/d" id ".first"
      print int(a[1] * 1000 + 0.5) > ff; close(ff)
    }
    print substr($0, RLENGTH + 1) >> f; fflush(f)
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
  printf '[xh %s +%ss] %s\n' "$XH_CASE" "$(_xh_secs "$(xh_elapsed)")" "$*" >&2
}

xh_die() {
  xh_log "FAIL: $*"
  exit 1
}

xh_mark() {
  if [ $# -lt 1 ]; then xh_log "usage: xh_mark KEY [MS]"; return 3; fi
  echo "$1=${2:-$(xh_elapsed)}" >> "$XH_OUT/timings.txt"
}

# Read and clear the hypervisor console ring, split out guest port 0xe9 lines.
# Serialised with a lock: the runner also polls it in the background.
_xh_collect_dmesg() {
  mkdir -p "$XH_RUN/dbg"
  (
    flock 8
    xl dmesg -c 2>/dev/null | tr -d '\r' \
      | awk -v raw="$XH_RUN/xl-dmesg.txt" -v dir="$XH_RUN/dbg" "$_XH_DMESG_AWK"
  ) 8> "$XH_RUN/dmesg.lock"
  return 0
}

# xl list state flags of the current domain (e.g. "-b----"), "" if gone.
xh_state() {
  [ -n "$DOMID" ] || return 0
  xl list "$DOMID" 2>/dev/null | awk 'NR == 2 { print $5 }'
  return 0
}

xh_console() {
  if [ -f "$XH_RUN/console/guest-$NAME.log" ]; then
    tr -d '\r' < "$XH_RUN/console/guest-$NAME.log"
  fi
  return 0
}

xh_debugport() {
  [ -n "$DOMID" ] || return 0
  _xh_collect_dmesg
  if [ -f "$XH_RUN/dbg/d$DOMID.log" ]; then cat "$XH_RUN/dbg/d$DOMID.log"; fi
  return 0
}

xh_output() {
  xh_console
  xh_debugport
}

xh_destroy() {
  [ -n "$DOMID" ] || return 0
  if xl list "$DOMID" >/dev/null 2>&1; then
    if ! xl destroy "$DOMID" >> "$XH_OUT/xl-destroy.log" 2>&1; then
      xh_log "xh_destroy: xl destroy $DOMID failed (see xl-destroy.log)"
      return 1
    fi
    xh_log "destroyed $NAME (domid $DOMID)"
  fi
  return 0
}

# Start the live console stream of $NAME to the dom0 console ("GUEST| ").
_xh_stream_console() {
  # shellcheck disable=SC2016
  setsid sh -c 'tail -n +1 -F "$1" 2>/dev/null | awk -v ff="$2" -v pfx="$3" "$4"' sh \
    "$XH_RUN/console/guest-$NAME.log" "$XH_STATE/firstcon.$NAME" "GUEST| " "$_XH_STREAM_AWK" \
    > "$XH_TTY" 2>/dev/null < /dev/null &
  echo "$!" >> "$XH_STATE/pgids"
}

# Value of KEY = "..." in an xl config file (last one wins).
_xh_cfg_value() {
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*[\"']\\([^\"']*\\)[\"'].*/\\1/p" "$2" | tail -n 1
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
  # kernel= and ramdisk= paths are relative to the config file's directory.
  _xh_dir=$(cd "$(dirname "$_xh_cfg")" && pwd)
  _xh_k=$(_xh_cfg_value kernel "$_xh_cfg")
  _xh_r=$(_xh_cfg_value ramdisk "$_xh_cfg")
  case $_xh_k in ''|/*) _xh_k="" ;; *) _xh_k="kernel=\"$_xh_dir/$_xh_k\"" ;; esac
  case $_xh_r in ''|/*) _xh_r="" ;; *) _xh_r="ramdisk=\"$_xh_dir/$_xh_r\"" ;; esac
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
  DOMID=$(xl domid "$NAME" 2>/dev/null || true)
  if [ -z "$DOMID" ]; then
    xh_log "xh_create: xl create succeeded but domain $NAME does not exist"
    return 3
  fi
  echo "$DOMID $XH_T_CREATE $XH_T_CREATED" > "$XH_STATE/dom.$NAME"
  _xh_stream_console
  if ! xl unpause "$DOMID" >> "$XH_OUT/xl-create.log" 2>&1; then
    xh_log "xh_create: xl unpause $DOMID failed (see xl-create.log)"
    return 4
  fi
  if [ "$XH__N" -eq 1 ]; then
    xh_mark xl_create_ms $((XH_T_CREATED - XH_T_CREATE))
  else
    xh_mark "xl_create_ms.$NAME" $((XH_T_CREATED - XH_T_CREATE))
  fi
  xh_log "created $NAME (domid $DOMID): xl create took $((XH_T_CREATED - XH_T_CREATE)) ms; unpaused"
  return 0
}

# Count of lines of the guest output matching an ERE (0 if none).
_xh_match_count() {
  _xh_n=$(xh_output | grep -Eac -- "$1" || true)
  echo "${_xh_n:-0}"
}

xh_wait_console() {
  if [ $# -lt 1 ] || [ -z "$1" ]; then xh_log "usage: xh_wait_console REGEX [TIMEOUT_S [LABEL]]"; return 3; fi
  if [ -z "$DOMID" ]; then xh_log "xh_wait_console: no domain (call xh_create first)"; return 3; fi
  _xh_re=$1
  _xh_to=${2:-$XH_TIMEOUT}
  _xh_dl=$(($(xh_now_ms) + _xh_to * 1000))
  while :; do
    if [ "$(_xh_match_count "$_xh_re")" -gt 0 ]; then
      XH_LAST_MS=$(xh_elapsed)
      xh_log "xh_wait_console: '$_xh_re' seen $XH_LAST_MS ms after xl create"
      if [ -n "${3:-}" ]; then xh_mark "${3}_ms" "$XH_LAST_MS"; fi
      return 0
    fi
    _xh_f=$(xh_state)
    case $_xh_f in
      '' | *s* | *c* | *d*)
        # Stopped: give xenconsoled a moment to write the last output.
        sleep 1
        if [ "$(_xh_match_count "$_xh_re")" -gt 0 ]; then
          XH_LAST_MS=$(xh_elapsed)
          xh_log "xh_wait_console: '$_xh_re' seen (domain already stopped) by $XH_LAST_MS ms"
          if [ -n "${3:-}" ]; then xh_mark "${3}_ms" "$XH_LAST_MS"; fi
          return 0
        fi
        xh_log "xh_wait_console: domain $NAME ${_xh_f:+stopped (state $_xh_f)}${_xh_f:-is gone} without '$_xh_re'"
        return 2
        ;;
    esac
    if [ "$(xh_now_ms)" -ge "$_xh_dl" ]; then
      xh_log "xh_wait_console: timeout: '$_xh_re' not seen within ${_xh_to}s"
      return 1
    fi
    sleep "$XH_POLL"
  done
}

xh_wait_state() {
  case ${1:-} in
    gone | crashed | shutdown | running | paused) ;;
    *) xh_log "usage: xh_wait_state gone|crashed|shutdown|running|paused [TIMEOUT_S]"; return 3 ;;
  esac
  if [ -z "$DOMID" ]; then xh_log "xh_wait_state: no domain (call xh_create first)"; return 3; fi
  _xh_want=$1
  _xh_to=${2:-$XH_TIMEOUT}
  _xh_dl=$(($(xh_now_ms) + _xh_to * 1000))
  while :; do
    _xh_f=$(xh_state)
    _xh_hit=0
    case $_xh_want in
      gone) [ -n "$_xh_f" ] || _xh_hit=1 ;;
      crashed) case $_xh_f in *c*) _xh_hit=1 ;; esac ;;
      shutdown) case $_xh_f in *c*) ;; *s*) _xh_hit=1 ;; esac ;;
      paused) case $_xh_f in *p*) _xh_hit=1 ;; esac ;;
      running) case $_xh_f in '' | *[pscd]*) ;; *) _xh_hit=1 ;; esac ;;
    esac
    if [ "$_xh_hit" = 1 ]; then
      XH_LAST_MS=$(xh_elapsed)
      xh_mark "state_${_xh_want}_ms" "$XH_LAST_MS"
      xh_log "xh_wait_state: $NAME is $_xh_want${_xh_f:+ ($_xh_f)} $XH_LAST_MS ms after xl create"
      return 0
    fi
    if [ -z "$_xh_f" ]; then
      xh_log "xh_wait_state: domain $NAME is gone; it cannot become $_xh_want"
      return 2
    fi
    if [ "$(xh_now_ms)" -ge "$_xh_dl" ]; then
      xh_log "xh_wait_state: timeout: $NAME not $_xh_want within ${_xh_to}s (state $_xh_f)"
      return 1
    fi
    sleep "$XH_POLL"
  done
}

fi
