#!/usr/bin/env bash
# Makes sure the system tools the test suite drives are installed, so no test ever skips for want of one.
# As root it installs what is missing with apt-get; otherwise it stops and prints the command to run.
set -euo pipefail

# command → Debian package
declare -A needs=(
  [/usr/bin/chromium]=chromium
  [/usr/bin/turnserver]=coturn
  [/usr/bin/redis-server]=redis-server
  [/usr/sbin/nginx]=nginx
)

missing=()
for cmd in "${!needs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needs[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "system-deps: installing ${missing[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: the test suite needs ${missing[*]}. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
