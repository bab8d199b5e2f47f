#!/usr/bin/env bash
# Install Debian's Chromium (/usr/bin/chromium) for the console's browser tests when it is missing.
# Idempotent: does nothing when it is already there. The tests drive it with playwright-core;
# never `npx playwright install` (it downloads a browser). Always exits 0: without Chromium the
# browser suites are skipped with a reason, and fail under CI=true.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "Chromium is missing and apt-get is not available: install chromium to run the console's browser tests" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing chromium"
$SUDO apt-get update -qq || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null \
  || echo "could not install chromium" >&2
exit 0
