#!/usr/bin/env bash
# The project's test command (README "Tests"): every Rust test, then the classroom page in real Chromium.
#
# The browser tests need node and Debian's chromium; without them they are skipped with a clear
# "SKIPPED e2e" line, unless FEEDLAB_E2E_REQUIRED=1 (set by .ci/run, which installs both).
# The Autobahn WebSocket conformance run follows when scripts/autobahn.sh exists; it skips itself when
# no Python 2.7 is present, unless FEEDLAB_AUTOBAHN_REQUIRED=1.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --locked
# The e2e tests and Autobahn drive the debug binary that `cargo test` just built.
bash tests/e2e/run.sh
if [ -f scripts/autobahn.sh ]; then
  bash scripts/autobahn.sh
fi
