# Shared by the scripts in this folder: logging, installing what a fresh Debian machine lacks,
# and building images. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET=x86_64-unknown-none
IMAGES="$ROOT/target/$TARGET/release"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# The test network of `scripts/guest netns-up` (a TAP device xtap0 in a private namespace), for
# the bench and the tests (tests/src/lib.rs repeats the two addresses as constants).
NET_HOST=10.66.0.1
NET_GUEST=10.66.0.2
NET_HOST6=fd00:66::1
NET_GUEST6=fd00:66::2
NET_MAC=52:54:00:12:34:56
NET_TAP=xtap0

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# AS_ROOT: the prefix that runs a command as root ("" when we are root, else sudo).
AS_ROOT=()
if [ "$(id -u)" != 0 ]; then AS_ROOT=(sudo); fi
as_root() {
  if [ ${#AS_ROOT[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
    die "need root to run: $* (run as root or install sudo)"
  fi
  "${AS_ROOT[@]}" "$@"
}

# has_terminal: whether this process has a controlling terminal (a user at a terminal, tmux,
# `script -c`), even when its standard streams are redirected.
has_terminal() { { : < /dev/tty; } 2> /dev/null; }

# bounded SECONDS COMMAND...: COMMAND with a time limit, safe at a terminal. Plain `timeout`
# puts COMMAND in a process group of its own; at a terminal that group is a background group,
# and a command that touches the terminal (apt-get and dpkg set its modes) is stopped by
# SIGTTOU and waits, silently, until the limit. So at a terminal `--foreground` keeps COMMAND
# in the terminal's group (Ctrl-C reaches it; on expiry COMMAND itself is killed, its children
# are not); without a terminal (CI) the whole group is timed out.
bounded() {
  local secs=$1
  shift
  if has_terminal; then
    timeout --foreground -k 10 "$secs" "$@"
  else
    timeout -k 10 "$secs" "$@"
  fi
}

APT_UPDATED=0
# apt_get ARGS...: apt-get as root, non-interactive, bounded (30 min), its progress on stderr.
apt_get() {
  if [ ${#AS_ROOT[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
    die "need root to install packages (apt-get $*): run as root or install sudo"
  fi
  bounded 1800 "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q "$@" >&2
}

# need_packages CHECK:PACKAGE ...  CHECK is a command name or an absolute file path. Installs
# the packages whose CHECK is missing; the package lists are refreshed once first, and once
# more before a retry if the install fails (an old list names versions the mirror dropped).
need_packages() {
  local missing=() pair check pkg
  for pair in "$@"; do
    check=${pair%%:*}; pkg=${pair#*:}
    if [ "${check#/}" != "$check" ]; then [ -e "$check" ] && continue
    else command -v "$check" >/dev/null 2>&1 && continue; fi
    missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ $APT_UPDATED = 0 ]; then
    say "apt-get update (package lists)"
    apt_get update || die "apt-get update failed (above)"
    APT_UPDATED=1
  fi
  if ! apt_get install -y "${missing[@]}"; then
    say "the install failed; refreshing the package lists and trying once more"
    apt_get update || die "apt-get update failed (above)"
    apt_get install -y "${missing[@]}" || die "could not install ${missing[*]} (above)"
  fi
}

# The Rust target and components (RUSTUP_AUTO_INSTALL=0 on our machines: add them explicitly).
need_rust() {
  command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
  if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
    say "adding the Rust target $TARGET"
    rustup target add "$TARGET" >&2
  fi
  local c
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      say "adding the Rust component $c"
      rustup component add "$c" >&2
    fi
  done
}

need_qemu() { need_packages qemu-system-x86_64:qemu-system-x86; }

# The apps: every folder under apps/ with a Cargo.toml.
apps() { local d; for d in "$ROOT"/apps/*/Cargo.toml; do basename "$(dirname "$d")"; done; }

# build_images [APP ...]: release images for the bare-metal target. One cargo run per app:
# building several packages at once unifies their features, and the DNS image must not get
# the DHCP client the echo image asks for (netstack feature `dhcp`).
build_images() {
  local app
  [ $# -gt 0 ] || set -- $(apps)
  say "building images: $*"
  for app in "$@"; do
    (cd "$ROOT" && cargo build --release --target "$TARGET" -p "$app") || return 1
  done
}
