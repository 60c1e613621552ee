#!/bin/bash
# post-build.sh TARGET_ROOT BINARY — installs TwampProbe for this board into TARGET_ROOT:
# /usr/sbin/twampprobe (755), rootfs-overlay/, and /etc/twampprobe/twampprobe.conf
# (overlay default + this board's twampprobe.conf), key files 600.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -ne 2 ]; then echo "usage: $0 TARGET_ROOT BINARY" >&2; exit 2; fi
"$here/../common/post-build.sh" "$here" "$1" "$2"
