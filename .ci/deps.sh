#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine with Rust lacks to build
# assetgraph: libclang (RocksDB's bindings are generated at build time),
# curl and jq (the README tour's test) and, when available, sccache to cache
# RocksDB's C++ between builds.
set -euo pipefail

need=()
if ! ldconfig -p 2>/dev/null | grep -q 'libclang[-.0-9]*\.so'; then
  need+=(libclang-dev)
fi
# The README tour's test runs its commands with curl and jq.
for tool in curl jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    need+=("$tool")
  fi
done
if ! command -v sccache >/dev/null 2>&1; then
  need+=(sccache)
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing: ${need[*]}" >&2
  $sudo apt-get update -qq
  # sccache is a speed-up only: go on without it if the distribution lacks it.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
    || $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         $(printf '%s\n' "${need[@]}" | grep -v '^sccache$')
fi

# The SPARQL client test talks to the server with SPARQLWrapper (PyPI); it
# is skipped, with a notice, where Python or the package is missing.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import SPARQLWrapper' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check SPARQLWrapper >&2 \
    || echo "notice: SPARQLWrapper could not be installed; its test will be skipped" >&2
fi

# The browser scenarios (tests/browser.rs) drive Debian's Chromium with
# playwright-core from npm (web/package-lock.json). Where either cannot be
# installed, that test says so and skips.
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM:-}" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing: chromium (for the browser scenarios)" >&2
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >&2 \
    || echo "notice: chromium could not be installed; the browser scenarios will be skipped" >&2
fi
web="$(dirname "$0")/../web"
if [ ! -f "$web/node_modules/playwright-core/package.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) >&2 \
      || echo "notice: playwright-core could not be installed; the browser scenarios will be skipped" >&2
  else
    echo "notice: no npm; the browser scenarios will be skipped" >&2
  fi
fi
