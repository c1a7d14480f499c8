#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages: Debian's chromium, for the browser test of the HTML
# report (driven by playwright-core; never a downloaded browser). Does nothing when it is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install-test-deps: /usr/bin/chromium is present"
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-test-deps: run as root or install sudo, to apt-get install chromium" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-test-deps: installing Debian's chromium (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
echo "install-test-deps: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium installed')"
