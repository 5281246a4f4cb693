#!/usr/bin/env bash
# Makes sure the UI tests have a browser: Debian's `chromium` at /usr/bin/chromium (or
# $CHROMIUM_PATH). Idempotent: does nothing when it is there. Installs it with apt-get when
# running as root on Debian/Ubuntu; otherwise says how, and fails in CI (CI=true), where the UI
# tests must run rather than skip.
set -euo pipefail

browser="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$browser" ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get > /dev/null; then
  echo "ensure-chromium: installing Debian's chromium for the UI tests" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
  if [ -x "$browser" ]; then
    exit 0
  fi
  echo "ensure-chromium: apt-get installed chromium, but not at $browser; set CHROMIUM_PATH" >&2
  exit 1
fi

echo "ensure-chromium: no browser at $browser. Install it (sudo apt-get install -y chromium)" >&2
echo "  or point CHROMIUM_PATH at a Chromium binary; the UI tests need it." >&2
if [ "${CI:-}" = "true" ]; then
  exit 1
fi
echo "ensure-chromium: outside CI the UI tests will be skipped." >&2
