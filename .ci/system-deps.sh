#!/usr/bin/env bash
# System packages the test suite drives for real: PostgreSQL 15 (initdb, pg_ctl)
# and Debian's Chromium; for the briefing (docs/briefing.md): Pango (WeasyPrint's
# PDF), poppler-utils (pdftoppm, which the tests draw the PDF's pages with) and
# fonts covering accents and non-Latin scripts (DejaVu, Noto). Installs what is
# missing when it can (root + apt-get); otherwise says what is missing. Never
# downloads a browser of its own.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
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
