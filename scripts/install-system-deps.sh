#!/usr/bin/env bash
# Debian packages the code verifier's sandbox needs; idempotent, non-interactive.
#   bubblewrap  - the spawn fallback (bwrap per test)
#   util-linux  - unshare(1), used by the hostile tests' own safety net
#   procps      - ps/pgrep, used by the leak checks
# Landlock, seccomp, namespaces and cgroups are used through the kernel directly (ctypes).
set -euo pipefail
PKGS=(bubblewrap util-linux procps)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system deps present: ${PKGS[*]}"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "installed: ${missing[*]}"
