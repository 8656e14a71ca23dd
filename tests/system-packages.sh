#!/usr/bin/env bash
# The system packages the tests need, checked first by `npm test`.
#
# Quiet when all are there. Missing ones are installed when this runs as root
# where apt-get is (Debian): apt-get update once, then apt-get install -y. Otherwise
# it stops with one line naming them and the command that installs them.
#
# Each check looks where the tests look, so what passes here is what they run.
set -euo pipefail

# A command the tests run: on the PATH, or where Debian puts it for root (a
# user's PATH often lacks /usr/sbin, and the package is there all the same).
# `command -v` alone would also name a file that is not executable.
have() {
  local found
  found=$(command -v "$1" 2>/dev/null) && [ -x "$found" ] && return 0
  [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

check() {
  missing=()
  # The e2e tests drive Debian's Chromium at /usr/bin/chromium (playwright cannot
  # download browsers here; tests/e2e/browsers.ts), unless CHROMIUM_PATH names another.
  [ -n "${CHROMIUM_PATH:-}" ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The tests between two browsers drive Debian's Firefox ESR at /usr/bin/firefox-esr
  # through puppeteer-core (tests/e2e/firefox.ts), unless FIREFOX_PATH names another.
  [ -n "${FIREFOX_PATH:-}" ] || [ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
  # tests/e2e/in-private-network.sh configures its namespace with `ip`.
  have ip || missing+=(iproute2)
  # unshare (and the benchmark's taskset) come with util-linux, which Debian
  # normally has; check anyway.
  have unshare || missing+=(util-linux)
  # The across-networks tests put each browser behind a NAT router namespace
  # (iptables, sysctl) and relay through Debian's coturn.
  have iptables || missing+=(iptables)
  have sysctl || missing+=(procps)
  have turnserver || missing+=(coturn)
  # The PWA suite makes a self-signed certificate, as people first try HTTPS on a LAN.
  have openssl || missing+=(openssl)
  # The sharded layout's tests run Debian's HAProxy in front of the broker processes
  # (tests/e2e/sharded-ferry.ts: on the PATH, or /usr/sbin/haproxy).
  have haproxy || missing+=(haproxy)
}

# "a, b" for the sentence.
listed() {
  local IFS=,
  local joined="$*"
  echo "${joined//,/, }"
}

check
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$EUID" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ferry: installing system packages for the tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
  # The tests start turnserver themselves. The package's own service, started under
  # systemd, would hold port 3478, where `npm start` answers STUN: turn it off.
  if [[ " ${missing[*]} " == *" coturn "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now coturn
  fi
  check
  [ "${#missing[@]}" -eq 0 ] && exit 0
  echo "ferry: after apt-get install, npm test still lacks $(listed "${missing[@]}") (see the checks in tests/system-packages.sh)" >&2
  exit 1
fi

[ "${#missing[@]}" -eq 1 ] && them=it || them=them
if command -v apt-get >/dev/null 2>&1; then
  echo "ferry: npm test needs $(listed "${missing[@]}") — install $them with: sudo apt-get install -y ${missing[*]}" >&2
else
  echo "ferry: npm test needs $(listed "${missing[@]}") — install $them with your package manager (Debian: apt-get install -y ${missing[*]})" >&2
fi
exit 1
