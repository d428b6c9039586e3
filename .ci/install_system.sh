#!/usr/bin/env bash
# Install the Debian packages the tests need beyond Python, only those that are missing:
#   chromium  - the browser tests (tests/browser) launch /usr/bin/chromium (Playwright's own
#               browser download is not used);
#   nodejs    - tests/test_linked.py runs the linked views' JavaScript math under Node.js and
#               compares it with course_utils.
# Non-interactive; uses sudo when not run as root.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: $(/usr/bin/chromium --version 2>/dev/null || echo chromium?), node $(node --version)"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  SUDO=(sudo)
fi
echo "installing: ${missing[*]}"
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"

[ -x /usr/bin/chromium ] || { echo "install_system.sh: /usr/bin/chromium is missing" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "install_system.sh: node is missing" >&2; exit 1; }
echo "installed: $(/usr/bin/chromium --version 2>/dev/null), node $(node --version)"
