#!/usr/bin/env bash
# Installs the programs the test suite drives for real (Debian packages), only those missing.
set -euo pipefail
need=()
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v wget >/dev/null || need+=(wget)
command -v shellcheck >/dev/null || need+=(shellcheck)
[ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
# The lifecycle suite runs a real systemd user manager in a private mount namespace.
[ -x /lib/systemd/systemd ] || need+=(systemd)
/usr/bin/python3 -c 'import requests' 2>/dev/null || need+=(python3-requests)
# The dashboard suite drives a real headless Chromium through playwright-core.
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "the tests need: ${need[*]} (install them with your package manager)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
echo "installing test tools: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
