#!/usr/bin/env bash
# A real browser against a running service: a page on one origin searches
# with a browser token (CORS allowed), asks for a context its token does
# not allow (403, readable by the page), and the same page on an origin
# nobody listed is blocked by the browser. Also loads /api/docs/ and checks
# that it asks no other host for anything.
#
#   tools/browser-check/run.sh            # after `cargo build`
#
# Needs Chromium (Debian: apt-get install chromium), Node with
# playwright-core (npm install playwright-core, here or globally), python3,
# curl and jq. Screenshots go to $OUT (default /tmp/assetgraph-browser-check).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-/tmp/assetgraph-browser-check}
binary=${ASSETGRAPH:-${CARGO_TARGET_DIR:-$root/target}/debug/assetgraph}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -x "$binary" ] || { echo "no $binary: run cargo build first (or set ASSETGRAPH)"; exit 2; }
[ -n "$chromium" ] || { echo "no chromium: apt-get install chromium (or set CHROMIUM)"; exit 2; }
node -e "require('playwright-core')" 2>/dev/null || { echo "no playwright-core: npm install playwright-core in $here"; exit 2; }

rm -rf "$out" && mkdir -p "$out/page"
cat > "$out/config.toml" <<TOML
[http]
cors_origins = ["http://127.0.0.1:8088"]
[tokens]
signing_keys = ["browser-check-signing-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"]
[[keys]]
name = "host"
role = "admin"
secret = "browser-check-host-secret"
TOML
"$binary" --config "$out/config.toml" serve --demo --data "$out/data" --listen 127.0.0.1:7979 > "$out/serve.log" 2>&1 &
service=$!
(cd "$out/page" && exec python3 -m http.server 8088 --bind 127.0.0.1 > /dev/null 2>&1) &
pages=$!
trap 'kill $service $pages 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf 127.0.0.1:7979/health > /dev/null && break; sleep 0.2; done

# The host's server mints the token; the page only ever sees the token.
token=$(curl -sf -X POST 127.0.0.1:7979/api/tokens -H 'Authorization: Bearer browser-check-host-secret' \
  -H 'Content-Type: application/json' \
  -d '{"subject": "mia@brand.example", "context": {"territory": "US", "channel": "web"}}' | jq -r .token)
sed "s/TOKEN/$token/" "$here/page.html" > "$out/page/index.html"
CHROMIUM="$chromium" OUT="$out" NODE_PATH="$here/node_modules:${NODE_PATH:-}" node "$here/check.js"
