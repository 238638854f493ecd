#!/bin/sh
# Halton Meter installer.
#
#   curl -fsSL https://get.haltonlabs.com/meter/install.sh | sh
#   curl -fsSL https://get.haltonlabs.com/meter/install.sh | sh -s -- --init
#   sh ./install.sh                      (from an unpacked release folder: installs offline)
#
# Downloads the two executables for this machine and their checksum file, verifies SHA-256,
# and puts them in ~/.local/bin (or $PREFIX/bin) by atomic rename, without root. Re-running it
# is safe: an install that is already running is upgraded in place (the edge keeps its port).
#
# Environment: HALTON_METER_BASE_URL  where the release lives: https://..., file://... or a folder
#              PREFIX                 install into $PREFIX/bin instead of ~/.local/bin
set -eu

DEFAULT_BASE_URL="https://get.haltonlabs.com/meter/latest"

say() { printf '%s\n' "$*"; }
fail() {
  printf 'halton-meter install: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  hint: %s\n' "$2" >&2
  exit 1
}

usage() {
  cat <<'EOF'
Usage: install.sh [--init] [--prefix DIR] [--base-url URL]

  --init          run `halton-meter init` after installing (CA, service, shell setup)
  --prefix DIR    install into DIR/bin (default: $PREFIX, else ~/.local)
  --base-url URL  release location: https://..., file://... or a local folder
                  (default: $HALTON_METER_BASE_URL, else the folder holding this script
                  when it sits in a release, else the public release)
EOF
}

run_init=0
prefix="${PREFIX:-}"
base_url="${HALTON_METER_BASE_URL:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --init) run_init=1 ;;
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a folder"; prefix="$2"; shift ;;
    --prefix=*) prefix="${1#--prefix=}" ;;
    --base-url) [ $# -ge 2 ] || fail "--base-url needs a URL or folder"; base_url="$2"; shift ;;
    --base-url=*) base_url="${1#--base-url=}" ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option: $1" ;;
  esac
  shift
done

# --- platform -------------------------------------------------------------------------------
os=$(uname -s)
case "$os" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) fail "unsupported operating system: $os" "Halton Meter runs on Linux and macOS" ;;
esac
arch=$(uname -m)
case "$arch" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) fail "unsupported CPU architecture: $arch" "release builds exist for x86_64 and arm64" ;;
esac
# An x64 shell under Rosetta on Apple silicon should still get the native build.
if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
  arch=arm64
fi
# The executables link glibc dynamically; on musl (Alpine) they would fail with a puzzling error.
if [ "$os" = linux ] && ! ls /lib*/ld-linux* /lib/*/ld-linux* >/dev/null 2>&1; then
  if ls /lib/ld-musl-* >/dev/null 2>&1; then
    fail "this Linux uses musl libc; the release builds need glibc" "use a glibc distribution (Debian, Ubuntu, Fedora...) or build from source with \`make install\`"
  fi
fi
target="$os-$arch"

# --- where the release is -------------------------------------------------------------------
if [ -z "$base_url" ]; then
  here=$(dirname -- "$0" 2>/dev/null || echo .)
  if [ -f "$here/SHA256SUMS" ] && [ -f "$here/halton-meter-$target" ]; then
    base_url=$(cd -- "$here" && pwd)
  else
    base_url="$DEFAULT_BASE_URL"
  fi
fi
base_url="${base_url%/}"

fetch_tool=""
case "$base_url" in
  http://*|https://*)
    if command -v curl >/dev/null 2>&1; then fetch_tool=curl
    elif command -v wget >/dev/null 2>&1; then fetch_tool=wget
    else fail "neither curl nor wget is installed" "install one of them (e.g. \`sudo apt-get install curl\`) and run this again"
    fi ;;
  file://*) base_url="${base_url#file://}" ;;
esac

# fetch NAME DEST: copies one release file into DEST.
fetch() {
  case "$fetch_tool" in
    curl) curl -fsSL --retry 2 -o "$2" "$base_url/$1" || fail "could not download $base_url/$1" "check the address (HALTON_METER_BASE_URL) and your connection" ;;
    wget) wget -q -O "$2" "$base_url/$1" || fail "could not download $base_url/$1" "check the address (HALTON_METER_BASE_URL) and your connection" ;;
    *) [ -f "$base_url/$1" ] || fail "$base_url/$1 does not exist" "point HALTON_METER_BASE_URL at a release folder (make release writes one in dist/release)"
       cp "$base_url/$1" "$2" ;;
  esac
}

if command -v sha256sum >/dev/null 2>&1; then sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else fail "no SHA-256 tool found (sha256sum or shasum)" "install coreutils"
fi

# --- where it goes --------------------------------------------------------------------------
[ -n "${HOME:-}" ] || [ -n "$prefix" ] || fail "HOME is not set" "set PREFIX to the folder to install into"
prefix="${prefix:-$HOME/.local}"
bindir="$prefix/bin"
mkdir -p "$bindir" 2>/dev/null || fail "cannot create $bindir" "choose a folder you own with PREFIX=... (no root needed)"
[ -w "$bindir" ] || fail "no write permission in $bindir" "choose a folder you own with PREFIX=... (no root needed)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/halton-meter-install.XXXXXX") || fail "cannot create a temporary folder"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

say "Installing Halton Meter ($target) from $base_url"
fetch SHA256SUMS "$tmp/SHA256SUMS"
for name in halton-meter halton-meter-edge; do
  file="$name-$target"
  fetch "$file" "$tmp/$file"
  expected=$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
  [ -n "$expected" ] || fail "SHA256SUMS has no entry for $file" "the release is incomplete; try again later"
  actual=$(sha256 "$tmp/$file")
  [ "$expected" = "$actual" ] || fail "checksum mismatch for $file (expected $expected, got $actual): refusing to install" "the download is corrupt or was tampered with; nothing was changed"
done

# A previous version here makes this an upgrade: `halton-meter upgrade` restarts what runs.
upgrading=0
[ -x "$bindir/halton-meter" ] && upgrading=1
edge_changed=1
if [ -f "$bindir/halton-meter-edge" ] && [ "$(sha256 "$bindir/halton-meter-edge")" = "$(sha256 "$tmp/halton-meter-edge-$target")" ]; then
  edge_changed=0
fi

# Rename into place: a running process keeps its old file; a new exec sees a whole new one.
for name in halton-meter-edge halton-meter; do
  [ "$name" = halton-meter-edge ] && [ "$edge_changed" = 0 ] && continue
  cp "$tmp/$name-$target" "$bindir/.$name.new"
  chmod 755 "$bindir/.$name.new"
  mv -f "$bindir/.$name.new" "$bindir/$name"
done
say "Installed $("$bindir/halton-meter" --version) in $bindir"

if [ "$upgrading" = 1 ]; then
  set -- upgrade
  [ "$edge_changed" = 1 ] && set -- upgrade --edge-changed
  "$bindir/halton-meter" "$@" || fail "the new version is installed but the running meter did not restart" "run \`halton-meter doctor\`"
fi
if [ "$run_init" = 1 ]; then
  "$bindir/halton-meter" init --non-interactive || exit $?
fi

case ":${PATH:-}:" in
  *":$bindir:"*) ;;
  *) say ""
     say "$bindir is not on your PATH. Add it, e.g.:"
     say "  echo 'export PATH=\"$bindir:\$PATH\"' >> ~/.bashrc   (or ~/.zshrc)" ;;
esac
if [ "$upgrading" = 0 ] && [ "$run_init" = 0 ]; then
  say "Next: run \`halton-meter init\` to set up the CA, the service and your shell."
fi
