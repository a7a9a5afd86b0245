#!/usr/bin/env bash
# Install the named Debian packages that are missing; idempotent, non-interactive, sudo when not root.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Debian packages present: $*"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# Set through env(1): sudo resets the environment, so an exported DEBIAN_FRONTEND would not reach apt-get.
APT=($SUDO env DEBIAN_FRONTEND=noninteractive apt-get)
"${APT[@]}" update -qq
"${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}"
echo "installed: ${missing[*]}"
