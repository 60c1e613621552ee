#!/bin/bash
# scripts/boot/fetch-debs.sh [ARCH...] — download (cached) the Debian packages the booted image is made
# of into out/boot/debs/ARCH: busybox-static, libc6, libssl3 and the kernel (linux-image-*-ARCH, the
# dependency of linux-image-ARCH). ARCH: arm64 and/or amd64 (default: both). Only apt-get download:
# nothing is installed. 'apt-get update' once when a download fails.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(arm64 amd64)
updated=
for arch in "${archs[@]}"; do
	case "$arch" in arm64|amd64) ;; *) echo "fetch-debs: arch must be arm64 or amd64, not '$arch'" >&2; exit 2 ;; esac
	if [ "$arch" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		apt-get update -qq; updated=1
	fi
	dir=$repo/out/boot/debs/$arch
	mkdir -p "$dir"
	kernel=$(apt-cache depends "linux-image-$arch:$arch" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1)
	if [ -z "$kernel" ] && [ -z "$updated" ]; then
		apt-get update -qq; updated=1
		kernel=$(apt-cache depends "linux-image-$arch:$arch" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1)
	fi
	[ -n "$kernel" ] || { echo "fetch-debs: no kernel package for $arch (linux-image-$arch)" >&2; exit 1; }
	for p in busybox-static libc6 libssl3 "$kernel"; do
		ls "$dir/${p}_"*"_$arch.deb" >/dev/null 2>&1 && continue
		echo "fetch-debs: $p:$arch"
		if ! (cd "$dir" && apt-get download -qq "$p:$arch" 2>/dev/null); then
			[ -z "$updated" ] && { apt-get update -qq; updated=1; }
			(cd "$dir" && apt-get download -qq "$p:$arch")
		fi
	done
done
