#!/bin/bash
# scripts/arm64-smoke.sh [BINARY] — run the cross-built arm64 twampprobe under qemu-user:
#   1. 'version', then 'self-test' under -cpu max (the crypto vectors on ARMv8 AES/SHA1 and the fallbacks)
#   2. 'serve' on 127.0.0.1 (a free control port, a free test-port range)
#   3. 'ping -c 20 -i 0.01 -L 1 --json' through it, with the arm64 binary as well
# Prints the JSON and the server's log; exits non-zero on any failure.
# qemu-user does not implement SO_TIMESTAMPING: timestamps fall back to user space
# (clock_gettime after recvmsg), reported as "timestamp_source" in the JSON.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-$repo/out/linux-arm64/twampprobe}
sysroot=${ARM64_SYSROOT:-/usr/aarch64-linux-gnu}
qemu=${QEMU:-$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)}

fail() { echo "arm64-smoke: FAIL: $*" >&2; exit 1; }
[ -f "$bin" ] || fail "$bin not found (make image BOARD=raspberrypi4 builds it)"
[ "$(od -An -tu2 -j18 -N2 "$bin" | tr -d ' ')" = 183 ] || fail "$bin is not an aarch64 ELF"
[ -n "$qemu" ] || fail "qemu-aarch64-static not found (make deps-cross)"
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || fail "no arm64 sysroot at $sysroot (make deps-cross)"
# The binary loads libssl.so.3 at run time: from Debian multiarch libssl3:arm64 (make deps-cross).
ls /usr/lib/aarch64-linux-gnu/libssl.so.3 >/dev/null 2>&1 || fail "libssl3:arm64 missing (make deps-cross)"

# -L: the dynamic loader and libc of the cross sysroot. LD_LIBRARY_PATH keeps libc from that same
# sysroot (a multiarch libc6:arm64 of a different build next to the sysroot's ld.so hangs) and
# finds libssl/libcrypto in /usr/lib/aarch64-linux-gnu.
run=("$qemu" -L "$sysroot" -E "LD_LIBRARY_PATH=$sysroot/lib:/usr/lib/aarch64-linux-gnu" "$bin")

work=$(mktemp -d /tmp/twampprobe-arm64-smoke.XXXXXX)
server_pid=
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== version (qemu: $qemu, sysroot: $sysroot)"
timeout 60 "${run[@]}" version || fail "version"

# qemu-user's "max" CPU emulates the ARMv8 Cryptography Extension (AES, SHA1): the per-packet crypto
# then runs on Arm.Aes/Arm.Sha1, and self-test checks that path and the fallbacks against the vectors.
echo "== self-test (qemu -cpu max)"
set +e
timeout 120 "$qemu" -cpu max -L "$sysroot" -E "LD_LIBRARY_PATH=$sysroot/lib:/usr/lib/aarch64-linux-gnu" "$bin" self-test > "$work/self-test.txt" 2>&1
self_test_rc=$?
set -e
cat "$work/self-test.txt"
[ "$self_test_rc" = 0 ] || fail "self-test exited $self_test_rc"
grep -q '^per-packet crypto: AES: ARMv8 AES; SHA-1: ARMv8 SHA1$' "$work/self-test.txt" || fail "self-test did not run on the ARMv8 AES/SHA1 instructions"

free_tcp_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# A free block of 20 UDP ports for the test sessions.
free_udp_range() {
	python3 - <<'PY'
import random, socket
for _ in range(200):
    lo = random.randrange(30000, 60000 - 20)
    socks = []
    try:
        for p in range(lo, lo + 20):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); socks.append(s); s.bind(("127.0.0.1", p))
        print(f"{lo}-{lo + 19}"); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}
port=$(free_tcp_port)
range=$(free_udp_range)
[ -n "$range" ] || fail "no free UDP port range"

echo "== serve --listen 127.0.0.1:$port --test-ports $range"
"${run[@]}" serve --listen "127.0.0.1:$port" --test-ports "$range" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
	grep -q 'ready:' "$work/server.log" && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "server exited before ready"; }
	sleep 0.1
done
grep -q 'ready:' "$work/server.log" || { cat "$work/server.log" >&2; fail "server not ready after 30 s"; }

echo "== ping -c 20 -i 0.01 -L 1 --json 127.0.0.1:$port"
echo "   (qemu-user implements no SO_TIMESTAMPING: timestamps fall back to user space, see timestamp_source)"
set +e
timeout 120 "${run[@]}" ping -c 20 -i 0.01 -L 1 --json "127.0.0.1:$port" > "$work/ping.json" 2> "$work/ping.err"
ping_rc=$?
set -e

kill -TERM "$server_pid" 2>/dev/null || true
set +e
for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
wait "$server_pid"
server_rc=$?
set -e
server_pid=

echo "-- ping JSON (exit $ping_rc)"
cat "$work/ping.json"
[ -s "$work/ping.err" ] && { echo "-- ping stderr"; cat "$work/ping.err"; }
echo "-- server log (exit $server_rc after SIGTERM)"
cat "$work/server.log"

[ "$ping_rc" = 0 ] || fail "ping exited $ping_rc"
[ "$server_rc" = 0 ] || fail "server exited $server_rc after SIGTERM (expected 0)"
received=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("packets_received", d.get("received", "")))' "$work/ping.json") \
	|| fail "ping output is not JSON"
source=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("timestamp_source", "missing"))' "$work/ping.json")
[ "$received" = 20 ] || fail "packets_received = '$received', expected 20"
echo "== timestamps: timestamp_source=$source"
if [ "$source" = "user space" ]; then
	echo "   (expected under qemu-user: no SO_TIMESTAMPING, timestamps fall back to user space)"
else
	echo "   (qemu-user normally has no SO_TIMESTAMPING; timestamps would fall back to user space)"
fi
echo "arm64-smoke: OK (20/20 packets through the arm64 reflector)"
