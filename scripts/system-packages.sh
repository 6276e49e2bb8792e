#!/usr/bin/env bash
# Debian packages the app needs at run time (WeasyPrint: Pango + HarfBuzz subsetting; fonts).
# With --test, also what the test suite needs (Chromium for browser tests, a PostgreSQL server,
# OpenLDAP's slapd, which the directory login tests start on a free port with a configuration of their own,
# and HAProxy, which the two-server test starts in front of two granian servers).
# Idempotent: installs only what is missing. Needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail
RUNTIME=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core)
TEST=(chromium postgresql slapd ldap-utils haproxy)
want=("${RUNTIME[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "Please install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Another apt or dpkg (unattended upgrades, a colleague's install) may hold the lock: wait for it
# (APT_LOCK_TIMEOUT seconds, 10 minutes by default) instead of failing at once.
LOCK_WAIT=(-o "DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT:-600}")
echo "Installing system packages: ${missing[*]}"
$SUDO apt-get "${LOCK_WAIT[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${LOCK_WAIT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
