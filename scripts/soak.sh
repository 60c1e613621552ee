#!/usr/bin/env bash
# make soak [SOAK_MINUTES=N]: sustained load plus session churn against `twampprobe serve`, in every
# mode (unauth, auth, enc, mixed, TWAMP Light) and both roles, on loopback only (127.0.0.1 / ::1).
#   - steady: one long-running `ping` per mode (≈1500 packets/s in all), restarted when it ends;
#   - churn: every SOAK_CHURN_S a short ping (-c 50 -i 0.002) in a rotating mode and address family,
#     every 4th of them SIGKILLed mid-test;
#   - idle: every SOAK_IDLE_S a TCP connection that reads the greeting and says nothing; the server
#     must close it after its setup-timeout;
#   - every 10 s the server's RSS, descriptors, threads and CPU, and the client-side counts.
# Prints a table and a verdict, writes out/soak/results.json and out/soak/samples.csv, exits 1 when
# the verdict fails. Not part of CI.
# Usage: scripts/soak.sh [BIN]   (environment: SOAK_MINUTES, SOAK_PORT_BASE, SOAK_PING_BIN = another
# binary as the sender, e.g. a branch's build against this server; the limits below)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-out/linux-x64/twampprobe}")
PING_BIN=$(realpath "${SOAK_PING_BIN:-$BIN}")   # the sender under test; default the same binary
OUT=$(pwd)/out/soak
MINUTES=${SOAK_MINUTES:-30}
PORT_BASE=${SOAK_PORT_BASE:-30500}  # control = base, Light = base+1, test ports base+100..base+499 (below the ephemeral range)
SAMPLE_S=${SOAK_SAMPLE_S:-10}
CHURN_S=${SOAK_CHURN_S:-0.5}
IDLE_S=${SOAK_IDLE_S:-15}
STEADY_S=${SOAK_STEADY_S:-60}       # length of one steady ping before it restarts
SETUP_TIMEOUT=${SOAK_SETUP_TIMEOUT:-5}
DRAIN_S=${SOAK_DRAIN_S:-30}         # after the load: time for sessions, idle connections and pool threads to go
RSS_GROWTH_MAX=${SOAK_RSS_GROWTH_MAX:-10}   # % over the second half
FD_MARGIN=${SOAK_FD_MARGIN:-2}
THREAD_MARGIN=${SOAK_THREAD_MARGIN:-2}
LOSS_MAX=${SOAK_LOSS_MAX:-0.1}      # % packet loss allowed over all non-killed sessions

[ -x "$BIN" ] || { echo "soak: $BIN not found (make publish)" >&2; exit 1; }
command -v jq >/dev/null || { echo "soak: needs jq" >&2; exit 1; }
command -v python3 >/dev/null || { echo "soak: needs python3" >&2; exit 1; }
CTRL=$PORT_BASE; LIGHT=$((PORT_BASE + 1)); TLO=$((PORT_BASE + 100)); THI=$((PORT_BASE + 499))
for p in $CTRL $LIGHT; do
  if ss -Hltun "( sport = :$p )" | grep -q .; then echo "soak: port $p is in use; set SOAK_PORT_BASE" >&2; exit 1; fi
done

rm -rf "$OUT"; mkdir -p "$OUT/tmp"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
KEYS=$OUT/soak.pfs
printf '# soak keys\nsoak\t%s\n' "$(printf 'soak test pass phrase' | od -An -tx1 | tr -d ' \n')" > "$KEYS"
chmod 600 "$KEYS"
CONF=$OUT/soak.conf
cat > "$CONF" <<EOF
# make soak: loopback only
listen 127.0.0.1:$CTRL
listen [::1]:$CTRL
keyfile $KEYS
modes unauth,auth,enc,mixed
test-ports $TLO-$THI
light-listen 127.0.0.1:$LIGHT
light-allow 127.0.0.0/8
setup-timeout $SETUP_TIMEOUT
servwait 60
refwait 30
max-connections 200
max-connections-per-prefix 200
max-sessions 400
max-sessions-per-prefix 400
count 1024
EOF
SESS=$OUT/sessions.tsv     # one line per ping: end, start, kind, mode, af, kill_requested, rc, sent, received, lost, dup, invalid
STARTS=$OUT/starts.log     # one line per ping started
IDLE=$OUT/idle.tsv         # one line per idle connection: start, seconds until the server closed it (or "open"/"refused")
SAMPLES=$OUT/samples.csv
: > "$SESS"; : > "$STARTS"; : > "$IDLE"

now() { date +%s.%N; }
before() { awk -v a="$(now)" -v b="$1" 'BEGIN { exit !(a < b) }'; }   # true while now < $1

# Every process we start descends from this shell: end them child first, by pid.
killtree() {
  local sig=$1 pid=$2 c
  for c in $(pgrep -P "$pid" 2>/dev/null); do killtree "$sig" "$c"; done
  kill "-$sig" "$pid" 2>/dev/null
}
SPID=""
cleanup() {
  trap - EXIT INT TERM
  local c
  for c in $(pgrep -P $$ 2>/dev/null); do [ "$c" = "$SPID" ] || killtree KILL "$c"; done
  [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'echo "soak: interrupted" >&2; exit 130' INT TERM

# ---- the server
"$BIN" check-config -c "$CONF" || { echo "soak: $CONF rejected" >&2; exit 1; }
"$BIN" serve -c "$CONF" 2> "$OUT/serve.log" > /dev/null &
SPID=$!
for _ in $(seq 100); do grep -q 'ready' "$OUT/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'ready' "$OUT/serve.log" || { echo "soak: server did not become ready:"; cat "$OUT/serve.log"; exit 1; } >&2
echo "soak: server pid $SPID, control 127.0.0.1:$CTRL and [::1]:$CTRL, Light 127.0.0.1:$LIGHT, test ports $TLO-$THI, $MINUTES min"

mode_args() {  # mode → target and flags
  case $1 in
    unauth) echo "-m unauth" ;;
    auth|enc|mixed) echo "-m $1 -u soak -k $KEYS" ;;
    light) echo "--light" ;;
  esac
}
target() {  # mode af → HOST:PORT
  local host=127.0.0.1; [ "$2" = 6 ] && host='[::1]'
  if [ "$1" = light ]; then echo "127.0.0.1:$LIGHT"; else echo "$host:$CTRL"; fi
}

# run_ping KIND MODE AF KILL_AFTER_S(or -) PING-FLAGS... : one ping, its outcome appended to $SESS.
run_ping() {
  local kind=$1 mode=$2 af=$3 killafter=$4; shift 4
  local t0 tag out err rc pid
  t0=$(now); tag=$kind-$mode-$BASHPID-${t0/./}
  out=$OUT/tmp/$tag.json; err=$OUT/tmp/$tag.err
  echo "$t0 $kind $mode $af" >> "$STARTS"
  # shellcheck disable=SC2046
  "$PING_BIN" ping "$@" $(mode_args "$mode") --json "$(target "$mode" "$af")" > "$out" 2> "$err" &
  pid=$!
  if [ "$killafter" != - ]; then sleep "$killafter"; kill -KILL "$pid" 2>/dev/null; fi
  wait "$pid" 2>/dev/null; rc=$?
  local stats
  stats=$(jq -r '[.packets_sent, .packets_received, .packets_lost, .duplicates, .invalid] | map(tostring) | join("\t")' "$out" 2>/dev/null) || stats=""
  [ -n "$stats" ] || stats=$'-\t-\t-\t-\t-'
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(now)" "$t0" "$kind" "$mode" "$af" "$([ "$killafter" = - ] && echo 0 || echo 1)" "$rc" "$stats" >> "$SESS"
  if [ "$rc" != 0 ] && [ "$rc" != 137 ]; then
    { echo "== $kind $mode af=$af rc=$rc $(date -d "@${t0%.*}" +%T)"; head -n 40 "$err"; } >> "$OUT/failures.log"
  fi
  rm -f "$out" "$err"
}

# ---- warm-up (one session per mode), then the baseline
for m in unauth auth enc mixed light; do run_ping warmup $m 4 - -c 20 -i 0.005 -L 0.5; done
sleep 3
sample_proc() {  # → rss_kb fds threads cpu_ticks, or nothing when the server is gone
  [ -r "/proc/$SPID/status" ] || return 1
  local rss thr fds cpu
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SPID/status")
  thr=$(awk '/^Threads:/ { print $2 }' "/proc/$SPID/status")
  fds=$(ls "/proc/$SPID/fd" 2>/dev/null | wc -l)
  cpu=$(sed 's/.*) //' "/proc/$SPID/stat" | awk '{ print $12 + $13 }')
  echo "$rss $fds $thr $cpu"
}
read -r B_RSS B_FDS B_THR _ <<< "$(sample_proc)"
echo "soak: baseline after warm-up: RSS $((B_RSS / 1024)) MB, $B_FDS fds, $B_THR threads"

T0=$(now)
DEADLINE=$(awk -v t="$T0" -v m="$MINUTES" 'BEGIN { printf "%.3f", t + m * 60 }')
echo "t_s,phase,rss_kb,fds,threads,cpu_pct,control_conns,started,ok,killed,failed,idle_opened,alive" > "$SAMPLES"

# ---- steady pings: one per mode, restarted until the deadline; each run at most STEADY_S and never past the deadline
steady() {  # mode af interval
  local mode=$1 af=$2 iv=$3 rem c
  while before "$DEADLINE"; do
    rem=$(awk -v d="$DEADLINE" -v n="$(now)" 'BEGIN { printf "%d", d - n - 3 }')
    [ "$rem" -gt "$STEADY_S" ] && rem=$STEADY_S
    [ "$rem" -lt 2 ] && break
    c=$(awk -v r="$rem" -v i="$iv" 'BEGIN { printf "%d", r / i }')
    run_ping steady "$mode" "$af" - -c "$c" -i "$iv" -L 2
  done
}
LOOPS=()
steady unauth 4 0.002 & LOOPS+=($!)   # 500 packets/s
steady auth 6 0.004 & LOOPS+=($!)     # 250
steady enc 4 0.004 & LOOPS+=($!)      # 250
steady mixed 6 0.004 & LOOPS+=($!)    # 250
steady light 4 0.004 & LOOPS+=($!)    # 250

# ---- churn: a short ping every CHURN_S in a rotating mode/family; every 4th one SIGKILLed after 20–200 ms
churn() {
  local modes=(unauth auth enc mixed light) i=0 m af k
  while before "$DEADLINE"; do
    m=${modes[i % 5]}; af=$(( (i / 5) % 2 == 0 ? 4 : 6 ))
    if [ $((i % 4)) = 3 ]; then k=$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.02 + r % 180 / 1000 }'); else k=-; fi
    run_ping churn "$m" "$af" "$k" -c 50 -i 0.002 -L 0.5 &
    i=$((i + 1))
    sleep "$CHURN_S"
  done
  wait
}
churn & LOOPS+=($!)

# ---- idle control connections: connect, read the greeting, say nothing; how long until the server closes?
idle() {
  while before "$DEADLINE"; do
    (
      s=$(now)
      if exec 3<>"/dev/tcp/127.0.0.1/$CTRL"; then
        timeout $((SETUP_TIMEOUT + 20)) cat <&3 > /dev/null; r=$?
        if [ $r = 124 ]; then d=open; else d=$(awk -v s="$s" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'); fi
      else d=refused; fi
      printf '%s\t%s\n' "$s" "$d" >> "$IDLE"
    ) 2>/dev/null &
    sleep "$IDLE_S"
  done
  wait
}
idle & LOOPS+=($!)

# ---- sampler (this shell): every SAMPLE_S until the deadline, then through the drain
LAST_CPU=""; LAST_T=""
take_sample() {  # phase
  local t s rss fds thr cpu pct conns started ok killed failed idles alive=1
  t=$(now)
  if s=$(sample_proc); then read -r rss fds thr cpu <<< "$s"; else rss=; fds=; thr=; cpu=; alive=0; fi
  pct=""
  if [ -n "$cpu" ] && [ -n "$LAST_CPU" ]; then pct=$(awk -v c="$cpu" -v l="$LAST_CPU" -v t="$t" -v lt="$LAST_T" 'BEGIN { printf "%.1f", (c - l) / (t - lt) }'); fi
  LAST_CPU=$cpu; LAST_T=$t
  conns=$(ss -Htn state established "( sport = :$CTRL )" 2>/dev/null | wc -l)
  started=$(grep -cv warmup "$STARTS")
  read -r ok killed failed <<< "$(awk -F'\t' '$3 != "warmup" { if ($7 == 0) ok++; else if ($6 == 1 && $7 == 137) k++; else f++ } END { print ok + 0, k + 0, f + 0 }' "$SESS")"
  idles=$(wc -l < "$IDLE")
  printf '%.0f,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$(awk -v t="$t" -v t0="$T0" 'BEGIN { print t - t0 }')" "$1" "$rss" "$fds" "$thr" "$pct" "$conns" "$started" "$ok" "$killed" "$failed" "$idles" "$alive" >> "$SAMPLES"
  [ $alive = 1 ]
}
take_sample load   # (no CPU % for the first sample: no interval yet)
n=1
while before "$DEADLINE"; do
  next=$(awk -v t="$T0" -v n=$n -v s="$SAMPLE_S" 'BEGIN { printf "%.3f", t + n * s }')
  while before "$next"; do sleep 0.5; done
  n=$((n + 1))
  take_sample load || { echo "soak: server died" >&2; break; }
done

# ---- the loops stop by themselves; give the last pings a bound, then end whatever is left
END_BY=$(awk -v d="$DEADLINE" 'BEGIN { printf "%.3f", d + 30 }')
running() { local p; for p in "${LOOPS[@]}"; do kill -0 "$p" 2>/dev/null && echo "$p"; done; }
while before "$END_BY" && [ -n "$(running)" ]; do sleep 0.5; done
LEFT=$(running | wc -l)
for j in $(running); do killtree KILL "$j"; done
wait "${LOOPS[@]}" 2>/dev/null
[ "$LEFT" = 0 ] || echo "soak: $LEFT loop(s) still running 30 s after the deadline, killed" >&2

# ---- drain: no load; the server should return to its baseline
for _ in $(seq $((DRAIN_S / 5))); do sleep 5; take_sample drain; done

# ---- stop the server: SIGTERM must end it cleanly (exit 0) within 3 s
SERVER_RC=dead
if kill -0 "$SPID" 2>/dev/null; then
  kill -TERM "$SPID"
  for _ in $(seq 30); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SPID" 2>/dev/null; then SERVER_RC=hung; kill -KILL "$SPID"; fi
  wait "$SPID"; rc=$?
  [ "$SERVER_RC" = hung ] || SERVER_RC=$rc
else
  wait "$SPID"; SERVER_RC="died:$?"
fi
SPID=""

# ---- report
export OUT MINUTES SETUP_TIMEOUT RSS_GROWTH_MAX FD_MARGIN THREAD_MARGIN LOSS_MAX B_RSS B_FDS B_THR SERVER_RC LEFT CTRL LIGHT TLO THI
python3 - <<'PY'
import csv, json, os, re, sys
E = os.environ
out = E["OUT"]
samples = list(csv.DictReader(open(f"{out}/samples.csv")))
num = lambda v: float(v) if v not in ("", None) else None
sess = [l.rstrip("\n").split("\t") for l in open(f"{out}/sessions.tsv") if l.strip()]
idle = [l.rstrip("\n").split("\t") for l in open(f"{out}/idle.tsv") if l.strip()]
setup = float(E["SETUP_TIMEOUT"])
b_rss, b_fds, b_thr = int(E["B_RSS"]), int(E["B_FDS"]), int(E["B_THR"])

# sessions: killed = SIGKILL requested and the ping died of it (137); lost = every other ping that did not exit 0
modes = {}
lost_sessions, lossy = [], []
for end, start, kind, mode, af, killreq, rc, sent, recv, lost, dup, inv in sess:
    if kind == "warmup": continue
    k = modes.setdefault(mode, {"sessions": 0, "ok": 0, "killed": 0, "lost_sessions": 0, "packets_sent": 0,
                                "packets_received": 0, "packets_lost": 0, "duplicates": 0, "invalid": 0,
                                "steady_sessions": 0, "churn_sessions": 0})
    k["sessions"] += 1; k[f"{kind}_sessions"] += 1
    if rc == "0":
        k["ok"] += 1
        for f, v in (("packets_sent", sent), ("packets_received", recv), ("packets_lost", lost), ("duplicates", dup), ("invalid", inv)):
            k[f] += int(v) if v != "-" else 0
        if lost not in ("-", "0"): lossy.append({"kind": kind, "mode": mode, "af": af, "sent": int(sent), "lost": int(lost)})
    elif killreq == "1" and rc == "137":
        k["killed"] += 1
    else:
        k["lost_sessions"] += 1
        lost_sessions.append({"kind": kind, "mode": mode, "af": af, "exit": int(rc), "start": float(start)})
for k in modes.values():
    k["loss_percent"] = round(100.0 * k["packets_lost"] / k["packets_sent"], 4) if k["packets_sent"] else None
tot_sent = sum(k["packets_sent"] for k in modes.values()); tot_lost = sum(k["packets_lost"] for k in modes.values())
loss_pct = 100.0 * tot_lost / tot_sent if tot_sent else 0.0

load = [s for s in samples if s["phase"] == "load" and s["rss_kb"]]
drain = [s for s in samples if s["phase"] == "drain" and s["rss_kb"]]
alive = all(s["alive"] == "1" for s in samples) and E["SERVER_RC"] == "0"
# RSS growth over the second half of the load: the first sample at or after half-time → the last load sample
half = float(E["MINUTES"]) * 60 / 2
second = [s for s in load if float(s["t_s"]) >= half] or load[-1:]
rss_mid, rss_end = (int(second[0]["rss_kb"]), int(second[-1]["rss_kb"])) if second else (0, 0)
growth = 100.0 * (rss_end - rss_mid) / rss_mid if rss_mid else 0.0
final = drain[-1] if drain else (load[-1] if load else None)
f_fds, f_thr = (int(final["fds"]), int(final["threads"])) if final else (None, None)
max_fds = max((int(s["fds"]) for s in load), default=None); max_thr = max((int(s["threads"]) for s in load), default=None)
max_rss = max((int(s["rss_kb"]) for s in samples if s["rss_kb"]), default=None)

idle_closed = [float(d) for _, d in idle if re.fullmatch(r"[0-9.]+", d)]
idle_bad = [d for _, d in idle if not re.fullmatch(r"[0-9.]+", d) or float(d) > setup + 2]
idle_early = [d for d in idle_closed if d < setup - 0.5]

log = open(f"{out}/serve.log", errors="replace").read().splitlines()
log_err = [l for l in log if re.search(r"\[(error|fatal|crit)\]|internal error|Unhandled|exception", l, re.I)]
log_setup = sum("setup-timeout" in l for l in log)

checks = {
    "server_alive": alive,
    "rss_flat": growth < float(E["RSS_GROWTH_MAX"]),
    "fds_back_to_baseline": f_fds is not None and f_fds <= b_fds + int(E["FD_MARGIN"]),
    "threads_back_to_baseline": f_thr is not None and f_thr <= b_thr + int(E["THREAD_MARGIN"]),
    "zero_lost_sessions": not lost_sessions,
    "packet_loss_within_limit": loss_pct <= float(E["LOSS_MAX"]),
    "idle_connections_closed_by_setup_timeout": not idle_bad and bool(idle),
    "no_server_errors_logged": not log_err,
    "loops_ended_by_themselves": E["LEFT"] == "0",
}
ok = all(checks.values())

print()
print(f"{'time s':>7} {'phase':>6} {'RSS MB':>7} {'fds':>5} {'thr':>4} {'CPU %':>6} {'conns':>5} {'started':>8} {'ok':>7} {'killed':>6} {'failed':>6} {'idle':>5}")
for s in samples:
    rss = f"{int(s['rss_kb']) / 1024:.1f}" if s["rss_kb"] else "DEAD"
    print(f"{s['t_s']:>7} {s['phase']:>6} {rss:>7} {s['fds']:>5} {s['threads']:>4} {s['cpu_pct']:>6} {s['control_conns']:>5} {s['started']:>8} {s['ok']:>7} {s['killed']:>6} {s['failed']:>6} {s['idle_opened']:>5}")
print()
print(f"{'mode':<7} {'sessions':>8} {'steady':>6} {'churn':>6} {'ok':>6} {'killed':>6} {'lost':>5} {'pkts sent':>10} {'received':>10} {'lost pkts':>9} {'loss %':>7} {'dup':>4} {'inv':>4}")
for m in ("unauth", "auth", "enc", "mixed", "light"):
    k = modes.get(m)
    if not k: continue
    lp = "-" if k["loss_percent"] is None else f"{k['loss_percent']:.3f}"
    print(f"{m:<7} {k['sessions']:>8} {k['steady_sessions']:>6} {k['churn_sessions']:>6} {k['ok']:>6} {k['killed']:>6} {k['lost_sessions']:>5} {k['packets_sent']:>10} {k['packets_received']:>10} {k['packets_lost']:>9} {lp:>7} {k['duplicates']:>4} {k['invalid']:>4}")
print()
print(f"baseline RSS {b_rss/1024:.1f} MB, {b_fds} fds, {b_thr} threads; under load max RSS {(max_rss or 0)/1024:.1f} MB, max {max_fds} fds, max {max_thr} threads;"
      f" after {len(drain)*5} s drain {f_fds} fds, {f_thr} threads")
nsess = sum(k["sessions"] for k in modes.values())
per_sess = (int(load[-1]["rss_kb"]) - b_rss) / nsess if load and nsess else 0
print(f"RSS over the second half: {rss_mid/1024:.1f} -> {rss_end/1024:.1f} MB ({growth:+.1f} %, limit {E['RSS_GROWTH_MAX']} %);"
      f" {per_sess:.1f} kB per session started (end of load vs baseline, {nsess} sessions)")
print(f"idle connections: {len(idle)}, closed by the server after {min(idle_closed, default=0):.1f}-{max(idle_closed, default=0):.1f} s (setup-timeout {setup:.0f} s);"
      f" not closed in time: {len(idle_bad)}; setup-timeout closes logged: {log_setup}")
print(f"sessions with packet loss: {len(lossy)}; lost sessions: {len(lost_sessions)}" + (f" (see {out}/failures.log)" if lost_sessions else ""))
print(f"server exit after SIGTERM: {E['SERVER_RC']}; error lines in serve.log: {len(log_err)}")
for l in log_err[:5]: print("  " + l)
print("checks: " + ", ".join(f"{k}={'ok' if v else 'FAIL'}" for k, v in checks.items()))
print(f"VERDICT: {'PASS' if ok else 'FAIL'} — " +
      f"{'flat' if checks['rss_flat'] and checks['fds_back_to_baseline'] and checks['threads_back_to_baseline'] else 'NOT flat'}"
      f" (RSS {growth:+.1f} % over the second half, fds {b_fds}->{f_fds}, threads {b_thr}->{f_thr}),"
      f" {len(lost_sessions)} lost sessions of {sum(k['sessions'] - k['killed'] for k in modes.values())} not killed"
      f" ({sum(k['killed'] for k in modes.values())} killed), packet loss {loss_pct:.4f} %,"
      f" server {'alive' if checks['server_alive'] else 'NOT alive / unclean exit'}")

json.dump({
    "minutes": float(E["MINUTES"]), "verdict": "pass" if ok else "fail", "checks": checks,
    "definitions": {
        "lost_session": "a ping that was not SIGKILLed by the soak (exit 137 after a requested kill) and did not exit 0",
        "killed_session": "a churn ping the soak SIGKILLed mid-test (kill requested and exit 137)",
        "rss_growth_percent": "VmRSS at the last load sample vs the first sample at or after half the run",
        "baseline": "after one warm-up session per mode and 3 s idle, before the load",
        "final": "the last sample after the drain (no load)",
    },
    "ports": {"control": int(E["CTRL"]), "light": int(E["LIGHT"]), "test_ports": [int(E["TLO"]), int(E["THI"])]},
    "baseline": {"rss_kb": b_rss, "fds": b_fds, "threads": b_thr},
    "final": {"rss_kb": int(final["rss_kb"]) if final else None, "fds": f_fds, "threads": f_thr},
    "under_load_max": {"rss_kb": max_rss, "fds": max_fds, "threads": max_thr},
    "rss_second_half_kb": [rss_mid, rss_end], "rss_growth_percent": round(growth, 2), "rss_kb_per_session": round(per_sess, 1),
    "modes": modes, "packets_sent": tot_sent, "packets_lost": tot_lost, "loss_percent": round(loss_pct, 5),
    "lost_sessions": lost_sessions, "sessions_with_loss": lossy[:50],
    "idle_connections": {"opened": len(idle), "closed_after_s": [min(idle_closed, default=None), max(idle_closed, default=None)],
                         "not_closed_in_time": idle_bad, "closed_early": len(idle_early), "setup_timeout_closes_logged": log_setup},
    "server_exit": E["SERVER_RC"], "server_error_lines": log_err[:20],
    "samples": samples,
}, open(f"{out}/results.json", "w"), indent=1)
print(f"wrote {out}/results.json and {out}/samples.csv")
sys.exit(0 if ok else 1)
PY
