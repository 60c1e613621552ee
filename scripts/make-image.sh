#!/bin/bash
# scripts/make-image.sh BOARD — build out/BOARD/rootfs.tar.gz for a board in board/.
#   1. reads board/BOARD/board.env (RID, ...)
#   2. publishes twampprobe for that RID (linux-arm64: installs the cross toolchain with
#      'make deps-cross', then cross-compiles Native AOT with clang + lld)
#   3. runs board/BOARD/post-build.sh into out/BOARD/rootfs
#   4. packs it as out/BOARD/rootfs.tar.gz: root:root, sorted, fixed mtime, gzip -n (reproducible)
# IMAGE_BINARY=PATH skips step 2 and packs that already published twampprobe (it must be of the
# board's architecture): BootTests hands it the binary that the other end-to-end tests run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
DOTNET=${DOTNET:-dotnet}
CONFIG=${CONFIG:-Release}

valid_boards() {
	local d
	for d in board/*/; do
		[ -f "$d/board.env" ] && basename "$d"
	done
}

board=${1:-}
if [ -z "$board" ] || [ ! -f "board/$board/board.env" ] || [[ "$board" == */* ]]; then
	[ -z "$board" ] && echo "make-image: no board given" >&2 || echo "make-image: unknown board '$board'" >&2
	echo "usage: $0 BOARD   (make image BOARD=...)" >&2
	echo "valid boards:" >&2
	valid_boards | sed 's/^/  /' >&2
	exit 2
fi

board_dir=board/$board
RID= ARCH= DEFAULT_INTERFACE= DATAPATH_CPU= TIMESTAMPING=
# shellcheck disable=SC1090
. "$board_dir/board.env"
case "$RID" in
	linux-x64) expect_machine=62 ;;    # EM_X86_64
	linux-arm64) expect_machine=183 ;; # EM_AARCH64
	*) echo "make-image: $board_dir/board.env: RID '$RID' is not linux-x64 or linux-arm64" >&2; exit 2 ;;
esac
case "$TIMESTAMPING" in hardware|software) ;; *) echo "make-image: $board_dir/board.env: TIMESTAMPING must be hardware or software" >&2; exit 2 ;; esac
[ -x "$board_dir/post-build.sh" ] || { echo "make-image: $board_dir/post-build.sh missing or not executable" >&2; exit 2; }

start=$(date +%s)
out_bin=out/$RID
if [ -n "${IMAGE_BINARY:-}" ]; then
	echo "== $board: $IMAGE_BINARY (IMAGE_BINARY), not published here"
	binary=$IMAGE_BINARY
else
	echo "== $board: publish $RID"
	# Published into a scratch directory first, then each changed file renamed into out/RID: a publish
	# straight into out/RID replaces the binary (unlink, create, write) under the feet of whatever runs
	# it meanwhile (make test's end-to-end tests run out/linux-x64/twampprobe, in parallel).
	mkdir -p out "$out_bin"
	staging=$(mktemp -d "out/.publish-$RID.XXXXXX")
	trap 'rm -rf "$staging"' EXIT
	publish_args=(src/TwampProbe/TwampProbe.csproj -c "$CONFIG" -r "$RID" -o "$staging" -nologo -v q -p:TreatWarningsAsErrors=true)
	if [ "$RID" = linux-arm64 ] && [ "$(uname -m)" != aarch64 ]; then
		make -s deps-cross
		# Cross Native AOT: clang targets aarch64-linux-gnu (ILCompiler passes --target) and finds
		# Debian's cross sysroot /usr/aarch64-linux-gnu by itself. No -p:SysRoot: with it, lld looks
		# for the absolute paths inside libc.so's linker script under the sysroot a second time.
		publish_args+=(-p:CppCompilerAndLinker=clang -p:LinkerFlavor=lld -p:ObjCopyName=llvm-objcopy)
	fi
	"$DOTNET" publish "${publish_args[@]}"
	rm -f "$staging"/*.dbg
	for f in "$staging"/*; do
		cmp -s "$f" "$out_bin/${f##*/}" || mv -f "$f" "$out_bin/${f##*/}"
	done
	binary=$out_bin/twampprobe
fi
[ -f "$binary" ] || { echo "make-image: no $binary" >&2; exit 1; }
machine=$(od -An -tu2 -j18 -N2 "$binary" | tr -d ' ')
if [ "$machine" != "$expect_machine" ]; then
	echo "make-image: $binary has e_machine $machine, expected $expect_machine for $RID" >&2
	exit 1
fi

echo "== $board: post-build"
stage=out/$board/rootfs
rm -rf "$stage"
mkdir -p "$stage"
"$board_dir/post-build.sh" "$stage" "$binary"

echo "== $board: pack"
tarball=out/$board/rootfs.tar.gz
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=gnu \
	-C "$stage" -cf - . | gzip -n -9 > "$tarball.tmp"
mv "$tarball.tmp" "$tarball"

echo "board:   $board ($RID, interface ${DEFAULT_INTERFACE:-none}, reflector cpu ${DATAPATH_CPU:-none}, $TIMESTAMPING timestamps)"
echo "image:   $repo/$tarball ($(stat -c %s "$tarball") bytes, $(($(date +%s) - start)) s)"
echo "binary:  $(file -b "$stage/usr/sbin/twampprobe")"
