#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/browser), only when it is missing.
# Non-interactive; uses sudo when not run as root.  Playwright's own browser download is not
# used: the tests launch /usr/bin/chromium.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  SUDO=(sudo)
fi
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

if [ ! -x /usr/bin/chromium ]; then
  echo "install_browser.sh: apt-get finished but /usr/bin/chromium is missing" >&2
  exit 1
fi
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
