#!/bin/bash
# board/common/post-build.sh BOARD_DIR TARGET_ROOT BINARY
# Shared by every board/<name>/post-build.sh: installs the binary, the rootfs overlay and the
# merged configuration (overlay default + the board's fragment), and sets modes.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 BOARD_DIR TARGET_ROOT BINARY" >&2
	exit 2
fi
board_dir=$(cd "$1" && pwd)
binary=$3
mkdir -p "$2"
target=$(cd "$2" && pwd)
repo=$(cd "$board_dir/../.." && pwd)
overlay=$repo/rootfs-overlay
board=$(basename "$board_dir")

[ -f "$binary" ] || { echo "post-build: binary '$binary' not found" >&2; exit 1; }
[ -f "$board_dir/twampprobe.conf" ] || { echo "post-build: $board_dir/twampprobe.conf missing" >&2; exit 1; }

# 1. The binary.
install -D -m 0755 "$binary" "$target/usr/sbin/twampprobe"

# 2. The overlay (contents, not the README).
(cd "$overlay" && find . -mindepth 1 \( -type d -o -type f -o -type l \) ! -name README.md -print0 |
	while IFS= read -r -d '' p; do
		if [ -d "$p" ]; then mkdir -p "$target/$p"; else mkdir -p "$target/$(dirname "$p")"; cp -P "$p" "$target/$p"; fi
	done)

# The init script writes its pid file and log there; a bare root has neither directory.
mkdir -p "$target/var/run" "$target/var/log"
chmod 0755 "$target/var" "$target/var/run" "$target/var/log"

# 3. The configuration: overlay default + board fragment.
conf=$target/etc/twampprobe/twampprobe.conf
{
	cat "$overlay/etc/twampprobe/twampprobe.conf"
	printf '\n# ==== board %s (board/%s/twampprobe.conf) ====\n' "$board" "$board"
	cat "$board_dir/twampprobe.conf"
} > "$conf"

# 4. Modes. Directories 755, files 644, then the exceptions.
find "$target/etc/twampprobe" "$target/etc/init.d" "$target/etc/sysctl.d" "$target/lib/systemd" -type d -exec chmod 0755 {} +
find "$target/etc/twampprobe" "$target/etc/sysctl.d" "$target/lib/systemd" -type f -exec chmod 0644 {} +
chmod 0755 "$target/usr/sbin/twampprobe"
chmod 0755 "$target/etc/init.d/S50twampprobe"
# Key files (real or example) must not be readable by group/other: the daemon refuses them.
find "$target/etc/twampprobe" -type f \( -name '*.pfs' -o -name '*.pfs.example' \) -exec chmod 0600 {} +

echo "post-build: $board -> $target"
