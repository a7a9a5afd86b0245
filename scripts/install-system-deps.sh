#!/usr/bin/env bash
# Debian packages the code verifier's sandbox needs:
#   bubblewrap  - the spawn fallback (bwrap per sample)
#   util-linux  - unshare(1), used by the hostile tests' own safety net
#   procps      - ps/pgrep, used by the leak checks
# Landlock, seccomp, namespaces and cgroups are used through the kernel directly (ctypes).
exec bash "$(dirname "$0")/apt-install.sh" bubblewrap util-linux procps
