#!/usr/bin/env bash
# How long a start takes until the first search is answered.
#
#   cargo build --release
#   benches/restart.sh DATA_DIR [PORT]
#
# Starts `assetgraph serve` on DATA_DIR (the service must not be running
# there), asks /api/search every 50 ms until it answers, prints the time,
# stops the server gracefully (which saves the rights table), and prints
# the log lines that say how the index got its rights.
set -euo pipefail
data=${1:?usage: benches/restart.sh DATA_DIR [PORT]}
port=${2:-7991}
binary=${ASSETGRAPH_BIN:-${CARGO_TARGET_DIR:-target}/release/assetgraph}
log=$(mktemp)
started=$(date +%s.%N)
"$binary" serve --data "$data" --listen "127.0.0.1:$port" >"$log" 2>&1 &
server=$!
until curl -sf -o /dev/null "http://127.0.0.1:$port/api/search?q=harbour&territory=DE&limit=10"; do
  kill -0 "$server" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.05
done
echo "first search answered $(echo "$(date +%s.%N) - $started" | bc) s after start"
kill -INT "$server"
wait "$server" || true
grep -E "rights table loaded|compiling the rights|rebuilding the search index|listening|stopped" "$log" | tail -5
rm -f "$log"
