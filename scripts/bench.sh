#!/usr/bin/env bash
# make bench: reflector cost against a C recvmmsg/sendmmsg echo floor, scale, turnaround/RTT
# accuracy, sender pacing and footprint, all on loopback. Prints a table and writes
# out/bench/results.json and out/bench/README-performance.md.
# Usage: scripts/bench.sh [BIN] [extra options for TwampProbe.Bench, e.g. --duration 2]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-out/linux-x64/twampprobe}
shift || true
OUT=out/bench
DOTNET=${DOTNET:-dotnet}
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "bench: $BIN not found (make publish)" >&2; exit 1; }
if [ "$(nproc)" -lt 2 ]; then echo "bench: needs 2 CPUs (generator on 0, reflector on 1)" >&2; exit 1; fi

echo "building the C echo floor and the load generator..."
gcc -O2 -Wall -o "$OUT/echo" scripts/bench/echo.c
# Own artifacts path: does not touch the obj/ and bin/ directories other builds use.
"$DOTNET" build src/TwampProbe.Bench/TwampProbe.Bench.csproj -c Release --artifacts-path "$OUT/artifacts" -nologo -v q
BENCH_DLL="$OUT/artifacts/bin/TwampProbe.Bench/release/TwampProbe.Bench.dll"

# 2000 sessions: 2000 sockets here and 2000 in the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
rm -f "$OUT"/serve.log "$OUT"/echo.log "$OUT"/echo-ts.log "$OUT"/echo-1.log
# The generator (and everything it does not pin elsewhere) runs on CPU 0.
# The in-process parts (the T3-lead reflector, the sender-pacing SessionSender) are compiled like the
# Native-AOT binary: fully optimised from the start (no tiering) and x86-64-v2 code without AVX, whose
# dirty upper registers otherwise slow OpenSSL's SSE SHA-1 down. The measured server is the binary itself.
export DOTNET_TieredCompilation=0 DOTNET_EnableAVX=0
CMD="chrt -f 10 taskset -c 0 $DOTNET $BENCH_DLL --bin $BIN --echo $OUT/echo --out $OUT $*"
echo "\$ $CMD"
$CMD
{
  echo
  echo "Machine: $(lscpu | grep 'Model name' | sed 's/  */ /g'), $(nproc) CPUs, $(uname -r)"
  echo "Command: \`make bench\` (scripts/bench.sh $BIN)"
} | tee -a "$OUT/README-performance.md"
