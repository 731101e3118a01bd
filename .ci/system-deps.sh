#!/usr/bin/env bash
# System packages the test suite drives for real: PostgreSQL 15 (initdb, pg_ctl)
# and Debian's Chromium. Installs what is missing when it can (root + apt-get);
# otherwise says what is missing. Never downloads a browser of its own.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages) for the tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
else
  echo "note: ${missing[*]} missing and cannot be installed here (needs root and apt-get);" \
       "the tests that need them will skip outside CI and fail under CI=true." >&2
fi
