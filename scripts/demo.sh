#!/usr/bin/env bash
# make demo: start `twampprobe serve` on loopback, measure in every security mode and with
# TWAMP Light, then one-way delay both ways with OWAMP (owping), print the results, stop the server.
set -euo pipefail
BIN=${1:-out/linux-x64/twampprobe}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

# A key file in perfSONAR pfs format: identity, then the hex of the pass phrase.
printf 'demo\t%s\n' "$(printf 'twampprobe demo secret' | od -An -tx1 | tr -d ' \n')" > "$WORK/keys.pfs"
chmod 600 "$WORK/keys.pfs"

CONTROL=18620
OWAMP=18610
"$BIN" serve --listen 127.0.0.1:$CONTROL --keyfile "$WORK/keys.pfs" --test-ports 18700-18799 \
  --light-listen 127.0.0.1:18862 --owamp-listen 127.0.0.1:$OWAMP 2> "$WORK/serve.log" &
SERVER=$!
for _ in $(seq 50); do grep -q 'ready:' "$WORK/serve.log" && break; sleep 0.1; done
cat "$WORK/serve.log"

run() { echo; echo "\$ twampprobe $*"; "$BIN" "$@"; }
run ping -c 100 -i 0.01 -L 1 127.0.0.1:$CONTROL
run ping -c 100 -i 0.01 -L 1 -m auth -u demo -k "$WORK/keys.pfs" 127.0.0.1:$CONTROL
run ping -c 100 -i 0.01 -L 1 -m enc -u demo -k "$WORK/keys.pfs" -D 46 127.0.0.1:$CONTROL
run ping -c 100 -i 0.01 -L 1 -m mixed -u demo -k "$WORK/keys.pfs" --json 127.0.0.1:$CONTROL
run ping --light -c 100 -i 0.01 -L 1 127.0.0.1:18862
# OWAMP (RFC 4656): both directions at once, exponential schedule of mean 10 ms, encrypted.
run owping -c 100 -i 0.01 -L 1 -m enc -u demo -k "$WORK/keys.pfs" 127.0.0.1:$OWAMP

echo
kill -TERM $SERVER; wait $SERVER || true
echo "server log:"; cat "$WORK/serve.log"
