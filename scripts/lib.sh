# Shared by the scripts in this folder: logging, installing what a fresh Debian machine lacks,
# and building images. Source it; do not run it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET=x86_64-unknown-none
IMAGES="$ROOT/target/$TARGET/release"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (run as root or install sudo)"; fi
}

APT_UPDATED=0
# need_packages CHECK:PACKAGE ...  CHECK is a command name or an absolute file path.
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
  if [ $APT_UPDATED = 0 ]; then as_root apt-get update -q >&2; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
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
