#!/usr/bin/env bash
# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="control server ..."]: every target of tests/TwampProbe.Fuzz
# under afl-fuzz for N seconds each (SharpFuzz instruments twampprobe.dll and TwampProbe.Protocol.dll
# of a separate build in out/fuzz/bin). Findings: out/fuzz/<target>/default/{crashes,hangs}.
# Last line: "fuzz: N targets, N execs, N crashes"; exit status 1 when there is a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
DOTNET=${DOTNET:-dotnet}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
OUT=out/fuzz
BIN=$OUT/bin
CORPUS=tests/fuzz-corpus

command -v afl-fuzz >/dev/null || { echo "fuzz: afl-fuzz not found (make deps-fuzz installs afl++)" >&2; exit 2; }

rm -rf "$BIN"
mkdir -p "$OUT"
"$DOTNET" tool restore >/dev/null
"$DOTNET" build tests/TwampProbe.Fuzz/TwampProbe.Fuzz.csproj -c Release -o "$BIN" -nologo -v q >"$OUT/build.log" 2>&1 ||
  { cat "$OUT/build.log" >&2; exit 1; }
for dll in twampprobe.dll TwampProbe.Protocol.dll; do
  "$DOTNET" tool run sharpfuzz "$BIN/$dll" >/dev/null
done
targets=${FUZZ_TARGETS:-$("$BIN/twampprobe-fuzz" list | cut -f1)}

# Root in a container: no CPU governor to check, no core_pattern to fix, no free core to bind to
# on a shared machine. The target is 'dotnet', not an afl-instrumented ELF: skip the binary check.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
export AFL_SKIP_BIN_CHECK=1 AFL_MAP_SIZE=65536 AFL_FORKSRV_INIT_TMOUT=60000
# A regression input that crashes again is reported as a crash of the run rather than aborting the dry run.
export AFL_SKIP_CRASHES=1

# The server target may bind any test port, UDP 862 included: as root, fuzz in a network namespace
# of its own (loopback only) so that the sockets never collide with servers or tests running beside it.
isolate=()
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && unshare --net true 2>/dev/null; then
  isolate=(unshare --net sh -c 'ip link set lo up && exec "$0" "$@"')
fi

stat() { awk -F' *: *' -v k="$2" '$1 == k { print $2 }' "$1"; }

n=0 total_execs=0 total_crashes=0
for t in $targets; do
  in=$OUT/$t.in
  rm -rf "$in" "$OUT/$t"
  mkdir -p "$in"
  # Seeds plus every earlier finding kept as a regression input.
  find "$CORPUS/$t" -type f -exec cp {} "$in/" \;
  rc=0
  "${isolate[@]}" afl-fuzz -i "$in" -o "$OUT/$t" -t 20000 -m none -V "$SECONDS_PER_TARGET" -- "$BIN/twampprobe-fuzz" run "$t" >"$OUT/$t.log" 2>&1 || rc=$?
  stats=$OUT/$t/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    echo "fuzz: afl-fuzz on $t failed (exit $rc), see $OUT/$t.log:" >&2
    tail -n 20 "$OUT/$t.log" >&2
    exit 1
  fi
  execs=$(stat "$stats" execs_done)
  run_time=$(stat "$stats" run_time)
  crashes=$(find "$OUT/$t/default/crashes" -type f ! -name README.txt | wc -l)
  hangs=$(find "$OUT/$t/default/hangs" -type f | wc -l)
  printf 'fuzz %-12s %9d execs in %4d s (%6.0f/s), corpus %4d, stability %s, %d crashes, %d hangs\n' \
    "$t" "$execs" "$run_time" "$(awk -v e="$execs" -v s="$run_time" 'BEGIN { print (s > 0 ? e / s : 0) }')" \
    "$(stat "$stats" corpus_count)" "$(stat "$stats" stability)" "$crashes" "$hangs"
  # A crash becomes a regression input: tests/fuzz-corpus/<target>/regressions/ (replayed by make test).
  find "$OUT/$t/default/crashes" -type f ! -name README.txt | sort | while read -r f; do echo "fuzz $t crash: $f"; done
  n=$((n + 1)) total_execs=$((total_execs + execs)) total_crashes=$((total_crashes + crashes))
done
echo "fuzz: $n targets, $total_execs execs, $total_crashes crashes"
[ "$total_crashes" -eq 0 ]
