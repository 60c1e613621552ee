#!/bin/bash
# scripts/boot-test.sh BOARD — boot the board's image in qemu-system and measure through it.
#   1. root = out/BOARD/rootfs.tar.gz (make image BOARD=..., rebuilt here from the current tree
#      unless BOOT_IMAGE_READY=1) + Debian's
#      busybox-static, libc6 and libssl3 of the board's architecture (out/boot/debs, make deps-boot),
#      a test key file /etc/twampprobe/twampprobe.pfs (mode 600) and 'keyfile' + 'modes' appended to
#      the board's twampprobe.conf, the virtio-net modules of the Debian kernel, and /init
#      (scripts/boot/init: BusyBox, the NIC renamed to the board's DEFAULT_INTERFACE with a static
#      address, /etc/init.d/S50twampprobe start, BOOT-OK)
#   2. initramfs (cpio newc, gzip) + the Debian kernel (linux-image-*-arm64 / -amd64) booted in
#      qemu-system-aarch64 -M virt -cpu cortex-a72 / qemu-system-x86_64 -M q35 (KVM when /dev/kvm
#      works and the guest is x86_64, else TCG), console on stdio, virtio-net on a tap device
#   3. the tap lives in a network namespace made here (host side 10.99.0.1/24, guest 10.99.0.2/24);
#      qemu runs inside it. No user-mode networking (it rewrites addresses).
#   4. from the namespace, the host's x64 binary pings: unauth, auth, enc, mixed, 50 packets each
#      (all 50 must come back; the first ping right after the init script's OK must be answered);
#      the daemon's warnings; then over the console hook: reload, restart (a ping after each),
#      a SIGKILL of the daemon (its supervisor must start it again), stop (the control port must
#      refuse, nothing starts it again); the daemon's VmRSS; poweroff.
# Prints 'boot-test: ...' summary lines; exits non-zero on any failure. Everything is bounded by
# timeouts (BOOT_TEST_TIMEOUT, default 240 s for the whole run); namespace, tap and qemu are removed
# on exit. Environment: CLIENT (default out/linux-x64/twampprobe), BOOT_TEST_TIMEOUT, BOOT_SMP (4),
# BOOT_MEM (512), BOOT_ACCEL (auto|kvm|tcg), BOOT_KEEP=1 keeps out/boot/BOARD/ work files.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
board=${1:-}
if [ -z "$board" ] || [[ "$board" == */* ]] || [ ! -f "board/$board/board.env" ]; then
	echo "boot-test: usage: $0 BOARD (make boot-test BOARD=...); boards:" $(cd board && for d in */; do [ -f "$d/board.env" ] && printf '%s ' "${d%/}"; done) >&2
	exit 2
fi
limit=${BOOT_TEST_TIMEOUT:-240}
smp=${BOOT_SMP:-4}
mem=${BOOT_MEM:-512}
client=${CLIENT:-$repo/out/linux-x64/twampprobe}
host_ip=10.99.0.1
guest_ip=10.99.0.2
t0=$(date +%s.%N)

say() { echo "boot-test: $*"; }
fail() { echo "boot-test: FAIL: $*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

RID= ARCH=
# shellcheck disable=SC1090
. "board/$board/board.env"
case "$ARCH" in
	aarch64)
		debarch=arm64 triplet=aarch64-linux-gnu qemu=qemu-system-aarch64 tty=ttyAMA0
		machine=(-M virt -cpu cortex-a72) ;;
	x86_64)
		debarch=amd64 triplet=x86_64-linux-gnu qemu=qemu-system-x86_64 tty=ttyS0
		machine=(-M q35) ;;
	*) fail "board/$board/board.env: ARCH '$ARCH' is not aarch64 or x86_64" ;;
esac
accel=${BOOT_ACCEL:-auto}
if [ "$accel" = auto ]; then
	accel=tcg
	if [ "$ARCH" = "$(uname -m)" ] && [ -c /dev/kvm ] && python3 -c 'import os; os.close(os.open("/dev/kvm", os.O_RDWR))' 2>/dev/null; then accel=kvm; fi
fi
if [ "$accel" = kvm ]; then machine+=(-accel kvm -cpu host); [ "$ARCH" = aarch64 ] && machine=(-M virt -accel kvm -cpu host); else machine+=(-accel "tcg,thread=multi"); fi

command -v "$qemu" >/dev/null || fail "$qemu not found (make deps-boot)"
command -v cpio >/dev/null || fail "cpio not found (make deps-boot)"
[ -x "$client" ] || fail "client $client not found (make publish)"
debs=$repo/out/boot/debs/$debarch
deb() { ls "$debs/${1}_"*"_$debarch.deb" 2>/dev/null | head -1; }
for p in busybox-static libc6 libssl3 linux-image-; do
	[ -n "$(ls "$debs/${p}"*"_$debarch.deb" 2>/dev/null)" ] || fail "$debs has no $p package (make deps-boot)"
done
tarball=out/$board/rootfs.tar.gz
# The image of the current tree (make-image.sh republishes incrementally): a stale tarball would
# boot yesterday's binary. BOOT_IMAGE_READY=1: the caller has just built it.
if [ -z "${BOOT_IMAGE_READY:-}" ] || [ ! -f "$tarball" ]; then
	say "make image BOARD=$board"
	scripts/make-image.sh "$board" > "$repo/out/boot-image-$board.log" 2>&1 || { tail -20 "$repo/out/boot-image-$board.log" >&2; fail "make image BOARD=$board failed"; }
fi

# ---- 1. the root ------------------------------------------------------------------------------
work=$repo/out/boot/$board
rm -rf "$work"
mkdir -p "$work/root" "$work/kernel"
root=$work/root
tar -xzf "$tarball" -C "$root"
for p in busybox-static libc6 libssl3; do dpkg-deb -x "$(deb "$p")" "$root"; done
kdeb=$(ls "$debs"/linux-image-[0-9]*"_$debarch.deb" | head -1)
dpkg-deb -x "$kdeb" "$work/kernel"
vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-* | head -1)
kver=${vmlinuz##*/vmlinuz-}
[ -e "$root/lib/ld-linux-aarch64.so.1" ] || [ -e "$root/lib64/ld-linux-x86-64.so.2" ] || fail "no dynamic loader in the root"
[ -e "$root/usr/lib/$triplet/libssl.so.3" ] || fail "no libssl.so.3 in the root"
# Drop what an initramfs does not need (docs, locales, gconv): keeps the cpio small.
rm -rf "$root/usr/share/doc" "$root/usr/share/lintian" "$root/usr/share/locale" "$root/usr/lib/$triplet/gconv" "$root/usr/share/man"

# The virtio-net modules (Debian builds virtio_pci/virtio_net as modules), in dependency order:
# each module's 'depends=' (.modinfo) first.
moddir=$work/kernel/lib/modules/$kver
mkdir -p "$root/lib/modules/boot-test"
declare -A seen=()
order=()
add_module() {
	local name=$1 f dep
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	f=$(find "$moddir" -name "$name.ko" -o -name "${name//_/-}.ko" | head -1)
	[ -n "$f" ] || return 0 # built in
	for dep in $(strings -a "$f" | sed -n 's/^depends=//p' | tr ',' ' '); do add_module "$dep"; done
	cp "$f" "$root/lib/modules/boot-test/$name.ko"
	order+=("$name.ko")
}
for m in virtio virtio_ring virtio_pci virtio_net; do add_module "$m"; done
printf '%s\n' "${order[@]}" > "$root/lib/modules/boot-test/order"

# The test key file (identity boottest) and the security modes, for every mode.
key=$work/client.pfs
printf 'boottest\t%s\n' "$(printf 'boot test %s' "$board" | od -An -tx1 | tr -d ' \n')" > "$key"
chmod 600 "$key"
install -m 600 "$key" "$root/etc/twampprobe/twampprobe.pfs"
printf '\n# ==== boot-test (scripts/boot-test.sh) ====\nkeyfile /etc/twampprobe/twampprobe.pfs\nmodes unauth,auth,enc,mixed\n' >> "$root/etc/twampprobe/twampprobe.conf"
# The guest's NIC gets the board's interface name (e.g. enp1s0 on the P2440, whose config names
# it), so the board's own configuration runs unchanged; virtio-net has no PHC, so hardware
# timestamping falls back to software there (logged by the daemon).
nic=${DEFAULT_INTERFACE:-eth0}
sed -e "s|@GUEST@|$guest_ip/24|g" -e "s|@NIC@|$nic|g" scripts/boot/init > "$root/init"
chmod 755 "$root/init"
initrd=$work/initrd.cpio.gz
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$initrd"
say "board $board ($ARCH): root $(du -sm "$root" | cut -f1) MB, initramfs $(($(stat -c %s "$initrd") / 1024)) KiB, kernel $kver, modules ${order[*]:-none}"

# ---- 2. namespace, tap, qemu ------------------------------------------------------------------
ns=tpboot$$
tap=tpbt$$
qemu_pid=
watchdog=
cleanup() {
	set +e
	[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill -TERM "$qemu_pid" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL $(ps -o pid= --ppid "$qemu_pid") "$qemu_pid" 2>/dev/null
	fi
	exec 3>&- 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	[ -n "${BOOT_KEEP:-}" ] || rm -rf "$work/root" "$work/kernel"
}
trap cleanup EXIT
trap 'echo "boot-test: FAIL: interrupted" >&2; exit 1' INT TERM
# The hard limit: the whole run, from here. The sleep holds neither stdout nor stderr and goes with
# the watchdog: a sleep left holding them kept whoever reads this script's output (BootTests) waiting
# until the limit ran out, long after the script itself had ended.
(
	sleep "$limit" > /dev/null 2>&1 < /dev/null &
	sleeper=$!
	trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
	wait "$sleeper" && { echo "boot-test: FAIL: time limit ${limit} s reached" >&2; kill -TERM $$; }
) &
watchdog=$!

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev "$tap" mode tap
ip -n "$ns" addr add "$host_ip/24" dev "$tap"
ip -n "$ns" link set "$tap" up
nsx() { ip netns exec "$ns" "$@"; }

console=$work/console.log
fifo=$work/console.in
rm -f "$fifo" "$console"
mkfifo "$fifo"
# start_qemu: qemu in the namespace, console on $console, its input from $fifo (held open on fd 3).
start_qemu() {
	qemu_start=$(date +%s.%N)
	: > "$console"
	ip netns exec "$ns" timeout "$limit" "$qemu" "${machine[@]}" -smp "$smp" -m "$mem" -nographic -no-reboot \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "console=$tty rdinit=/init panic=-1 quiet loglevel=4" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device "virtio-net-pci,netdev=n0,mac=52:54:00:99:00:02" \
		< "$fifo" > "$console" 2>&1 &
	qemu_pid=$!
	exec 3> "$fifo"
	say "qemu: $qemu ${machine[*]} -smp $smp -m $mem (accel $accel), tap $tap in netns $ns, guest $guest_ip"
}
start_qemu
# wait_for PATTERN SECONDS: until the console shows an (extended) regex; prints the matching line.
wait_for() {
	local pat=$1 secs=$2 deadline line
	deadline=$(($(date +%s) + secs))
	while :; do
		line=$(grep -aE "$pat" "$console" | tail -1 | tr -d '\r')
		[ -n "$line" ] && { echo "$line"; return 0; }
		kill -0 "$qemu_pid" 2>/dev/null || { echo "boot-test: qemu exited; console:" >&2; tail -40 "$console" >&2; return 1; }
		[ "$(date +%s)" -lt "$deadline" ] || { echo "boot-test: '$pat' not seen in $secs s; console:" >&2; tail -40 "$console" >&2; return 1; }
		sleep 0.2
	done
}
seq_no=0
# guest CMD: send one hook command, wait for its CMD-DONE; prints the rc.
guest() {
	local line
	seq_no=$((seq_no + 1))
	printf '%s\n' "$1" >&3
	# Each command's CMD-DONE count grows by one: wait for the new one.
	local want=$(( $(grep -ac "^CMD-DONE $1 " "$console" || true) + 1 )) deadline=$(($(date +%s) + ${2:-30}))
	while [ "$(grep -ac "^CMD-DONE $1 " "$console" || true)" -lt "$want" ]; do
		kill -0 "$qemu_pid" 2>/dev/null || fail "qemu exited during '$1'"
		[ "$(date +%s)" -lt "$deadline" ] || { tail -30 "$console" >&2; fail "no CMD-DONE for '$1'"; }
		sleep 0.2
	done
	line=$(grep -a "^CMD-DONE $1 " "$console" | tail -1 | tr -d '\r')
	line=${line#*rc=}
	echo "${line%% *}"
}

# KVM inside a VM (nested) may hang before the kernel prints anything, or qemu may abort at once (a host
# whose KVM refuses an MSR qemu sets: "failed to set MSR 0x10a"): then TCG, once.
# (A KVM guest prints BOOT-INIT within a few seconds; 12 s leaves room for a loaded host.)
if [ "$accel" = kvm ] && ! wait_for '^BOOT-INIT ' 12 >/dev/null 2>&1; then
	say "KVM: no BOOT-INIT within 12 s (nested KVM?): retrying with TCG"
	grep -a -m1 -E 'error|Assertion' "$console" | sed 's/^/boot-test: KVM qemu said: /' >&2 || true
	# TERM: $qemu_pid is timeout(1), which passes it on to qemu (KILL would leave qemu behind). qemu may
	# already be gone (it aborted): kill then fails, which must not end the script (set -e).
	kill -TERM "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
	exec 3>&-
	accel=tcg
	case "$ARCH" in aarch64) machine=(-M virt -cpu cortex-a72 -accel "tcg,thread=multi") ;; x86_64) machine=(-M q35 -accel "tcg,thread=multi") ;; esac
	start_qemu
fi
boot_ok=$(wait_for '^BOOT-OK ' 150) || fail "no BOOT-OK"
boot_ok_at=$(elapsed "$qemu_start")
case "$boot_ok" in *"rc=0 "*) ;; *) tail -40 "$console" >&2; fail "S50twampprobe start failed: $boot_ok" ;; esac

# ---- 3. measurements ----------------------------------------------------------------------------
# ping_mode MODE COUNT [ARGS...]: 'ping -c COUNT -i 0.01 -L 1 --json' in MODE (ARGS may give another
# -L); prints "received sent". -L 1, not the default 2 s: every ping waits that long after its last
# packet, and a reply over the tap takes milliseconds, from a TCG guest too.
ping_mode() {
	local mode=$1 count=$2 args=(-c "$2" -i 0.01 --json -m "$1" "${@:3}") out rc
	[[ " ${*:3} " == *" -L "* ]] || args+=(-L 1)
	[ "$mode" = unauth ] || args+=(-u boottest -k "$key")
	set +e
	out=$(nsx timeout 60 "$client" ping "${args[@]}" "$guest_ip" 2> "$work/ping.err")
	rc=$?
	set -e
	echo "$out" > "$work/ping-$mode.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["packets_received"], d["packets_sent"])' "$work/ping-$mode.json" 2>/dev/null \
		|| { echo "0 0 (exit $rc: $(tr '\n' ' ' < "$work/ping.err"))"; }
}

# first_reply SINCE: one one-packet ping, right after the init script said OK (which means
# listening: --ready-fd); prints seconds since SINCE, or fails.
first_reply() {
	local since=$1 r
	# -L 0.5: the ping returns 0.5 s after the reply at the latest (not the default 2 s late-reply wait).
	r=$(ping_mode unauth 1 -L 0.5)
	[ "${r%% *}" = 1 ] || { echo "boot-test: the first ping after 'start' said OK got no reply ($r)" >&2; return 1; }
	elapsed "$since"
}
# Boot to first reply: from qemu's start until the first one-packet ping comes back.
first=$(first_reply "$qemu_start") || fail "not answering when the init script said OK"
say "boot: BOOT-OK after ${boot_ok_at} s ($boot_ok); boot-to-first-reply ${first} s (qemu start -> first TWAMP reply)"
# What the daemon warned about on this board (missing LEDs, hardware timestamps, pinning in a VM).
guest log >/dev/null
warnings=$(sed -n '/^LOG-BEGIN/,/^LOG-END/p' "$console" | tr -d '\r' | grep -a '\[warn\]' | sed 's/^.*\[warn\]: //' | sort -u || true)
if [ -n "$warnings" ]; then while IFS= read -r w; do say "daemon warning: $w"; done <<< "$warnings"; else say "daemon warnings: none"; fi

failed=0
for mode in unauth auth enc mixed; do
	r=$(ping_mode "$mode" 50)
	stats=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d.get("rtt_ms") or d.get("round_trip") or {}; print("mode", d.get("mode", "?"), "timestamps", d.get("timestamp_source", "?"))' "$work/ping-$mode.json" 2>/dev/null || true)
	if [ "$r" = "50 50" ]; then say "mode $mode: 50/50 ($stats)"; else say "mode $mode: FAILED ($r)"; failed=1; fi
done
[ "$failed" = 0 ] || fail "a mode lost packets"

rss=$(guest rss >/dev/null; grep -a '^RSS ' "$console" | tail -1 | tr -d '\r')
say "daemon in the guest: $rss"

for action in reload restart; do
	since=$(date +%s.%N)
	rc=$(guest "$action" 60)
	[ "$rc" = 0 ] || fail "S50twampprobe $action exited $rc"
	done_after=$(elapsed "$since")
	# 'start' (and so restart) reports OK once the daemon listens: the first ping must be answered.
	ready=$(first_reply "$since") || fail "no reply right after $action said OK"
	r=$(ping_mode enc 20)
	[ "$r" = "20 20" ] || fail "ping after $action: $r"
	if [ "$action" = reload ]; then
		guest log >/dev/null
		grep -aq 'reloaded configuration' "$console" || fail "reload: the daemon's log has no 'reloaded configuration'"
		pid_before=$(grep -a '^RSS pid=' "$console" | tail -1 | sed 's/^RSS pid=\([0-9]*\).*/\1/')
	fi
	say "$action: OK (init script rc 0 after ${done_after} s, first reply ${ready} s after the command), then enc ping 20/20$([ "$action" = reload ] && echo ", log: reloaded configuration")"
done
rss=$(guest rss >/dev/null; grep -a '^RSS ' "$console" | tail -1 | tr -d '\r')
pid_after=$(echo "$rss" | sed 's/^RSS pid=\([0-9]*\).*/\1/')
[ -n "$pid_after" ] && [ "$pid_after" != "$pid_before" ] || fail "restart: daemon pid unchanged ($pid_before -> $pid_after)"
say "daemon in the guest after restart (pid $pid_before -> $pid_after): $rss"

# Always on under BusyBox too: the init script's supervisor starts a killed daemon again (RESPAWN_DELAY 2 s).
since=$(date +%s.%N)
rc=$(guest crash 20)
[ "$rc" = 0 ] || fail "crash: no daemon to kill"
back=
for _ in $(seq 1 30); do
	r=$(ping_mode unauth 1 -L 0.5)
	[ "${r%% *}" = 1 ] && { back=$(elapsed "$since"); break; }
	sleep 0.5
done
[ -n "$back" ] || fail "crash: the killed daemon was not started again within ~30 s"
rss=$(guest rss >/dev/null; grep -a '^RSS ' "$console" | tail -1 | tr -d '\r')
pid_crash=$(echo "$rss" | sed 's/^RSS pid=\([0-9]*\).*/\1/')
[ -n "$pid_crash" ] && [ "$pid_crash" != "$pid_after" ] || fail "crash: daemon pid unchanged ($pid_after -> $pid_crash)"
say "crash: SIGKILL to pid $pid_after; answering again ${back} s later (supervisor, pid $pid_crash)"

rc=$(guest stop 60)
[ "$rc" = 0 ] || fail "S50twampprobe stop exited $rc"
sleep 3 # longer than RESPAWN_DELAY: a supervisor that outlived stop would have started it again
set +e
refused=$(nsx timeout 10 bash -c "exec 4<>/dev/tcp/$guest_ip/862" 2>&1)
tcp_rc=$?
nsx timeout 30 "$client" ping -c 5 -i 0.01 "$guest_ip" > /dev/null 2> "$work/ping.err"
ping_rc=$?
set -e
[ "$tcp_rc" != 0 ] && [[ "$refused" == *"refused"* ]] || fail "after stop the control port does not refuse (rc $tcp_rc: $refused)"
[ "$ping_rc" = 5 ] || fail "after stop ping exited $ping_rc, expected 5: $(cat "$work/ping.err")"
st=$(guest status 20)
say "stop: OK (init script rc 0, status rc $st), control port $guest_ip:862 refuses, ping exit $ping_rc ($(head -1 "$work/ping.err"))"

# ---- 4. power off -------------------------------------------------------------------------------
printf 'poweroff\n' >&3
off=
for _ in $(seq 1 100); do kill -0 "$qemu_pid" 2>/dev/null || { off=1; break; }; sleep 0.2; done
if [ -n "$off" ]; then
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=
	say "poweroff: qemu exited"
else
	fail "qemu did not exit within 20 s of poweroff"
fi
say "OK: $board booted in qemu ($ARCH, $accel), every mode 50/50, reload/restart/crash/stop, $(elapsed "$t0") s in all"
