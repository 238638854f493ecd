#!/usr/bin/env bash
# Installs the peers `make bench` measures against (Debian packages), only those missing:
# tinyproxy (a plain CONNECT proxy) and mitmproxy (for mitmdump, a decrypting proxy).
set -euo pipefail
need=()
[ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
[ -x /usr/bin/mitmdump ] || need+=(mitmproxy)
command -v openssl >/dev/null || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "the benchmarks need: ${need[*]} (install them with your package manager; the bench skips what is missing)" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
echo "installing benchmark peers: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
