#!/usr/bin/env bash
# Install what the Python client's tests need (packages/python): Debian's Python 3 with httpx,
# pytest, pytest-asyncio and mypy, via apt-get, when missing (PyPI is not assumed reachable).
# Quiet when everything is present. Always exits 0: when the packages cannot be installed it says
# so on stderr, and the Python suite reports itself skipped (or fails under CI=true).
set -euo pipefail

PACKAGES=(python3 python3-httpx python3-pytest python3-pytest-asyncio python3-mypy)

present() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import httpx, pytest, pytest_asyncio, mypy' >/dev/null 2>&1
}

if present; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "ensure-python: apt-get not found; install ${PACKAGES[*]} to run the Python client's tests" >&2
  exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    echo "ensure-python: not root; install ${PACKAGES[*]} to run the Python client's tests" >&2
    exit 0
  fi
fi
echo "installing ${PACKAGES[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null; }; then
  echo "ensure-python: apt-get could not install ${PACKAGES[*]}" >&2
fi
present || echo "ensure-python: /usr/bin/python3 still lacks httpx, pytest, pytest_asyncio or mypy" >&2
exit 0
