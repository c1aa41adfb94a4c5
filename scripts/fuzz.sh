#!/usr/bin/env bash
# Runs every fuzz target of crates/fuzz for SECONDS each (default 60), then prints executions and findings
# per target. Exit status 1 when any target found something: the input is in crates/fuzz/artifacts/<target>/
# (replay it with `cargo fuzz run --fuzz-dir crates/fuzz --sanitizer none --features libfuzzer <target> <file>`,
# then commit it to crates/fuzz/corpus/<target>/ with the fix, where `cargo test` replays it for good).
#
#   bash scripts/fuzz.sh [SECONDS]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). It runs on the stable toolchain with
# `--sanitizer none`: libFuzzer's coverage instrumentation (-Cpasses=sancov-module, stable codegen options)
# needs no nightly, only AddressSanitizer does (-Zsanitizer), and the code under test is safe Rust, where a
# memory error cannot happen and a bug shows as a panic. Debug assertions stay on, so an integer overflow is
# a finding too. FEEDLAB_FUZZ_BUILD adds build flags: CI passes `--dev` (a debug build, several times
# quicker to compile; fine for a short pass).
#
# Fuzzing takes a whole core: run it alone (`flock /work/bench.lock bash scripts/fuzz.sh 600` here).
# New inputs go to target/fuzz-corpus/<target>/ and are kept there, so later runs go on from them; the
# committed seeds in crates/fuzz/corpus/<target>/ are read, never written.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash scripts/fuzz.sh [SECONDS per target]" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
  exit 2
fi

# shellcheck disable=SC2206 # FEEDLAB_FUZZ_BUILD is a list of flags.
flags=(--fuzz-dir crates/fuzz --sanitizer none --debug-assertions --features libfuzzer ${FEEDLAB_FUZZ_BUILD:-})
cargo fuzz build "${flags[@]}"

logs="target/fuzz-logs"
mkdir -p "$logs"
summary=()
passed=0
failed=0
for target in $(cargo fuzz list --fuzz-dir crates/fuzz); do
  corpus="target/fuzz-corpus/$target"
  mkdir -p "$corpus"
  echo "== fuzz $target for ${seconds}s"
  status=0
  # -max_len: libFuzzer's usual 4 KiB, also for the targets whose seeds are longer (they are replayed whole
  # by `cargo test`). -timeout: an input taking 10 s is a hang, and a finding.
  cargo fuzz run "${flags[@]}" "$target" "$corpus" "crates/fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
    >"$logs/$target.log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -1)
  if [ "$status" -eq 0 ]; then
    verdict="nothing found"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    verdict="FOUND (exit $status): $(grep -m1 -E '^(thread .* panicked|==[0-9]+== ERROR)' "$logs/$target.log" || echo 'see log')"
    tail -n 40 "$logs/$target.log"
  fi
  summary+=("$(printf '%-12s %12s executions  %6s inputs in corpus  %s' "$target" "${runs:-?}" \
    "$(find "$corpus" -type f | wc -l)" "$verdict")")
done

echo "== fuzz summary (${seconds}s per target; logs in $logs/)"
printf '%s\n' "${summary[@]}"
# A target passes when its run found nothing; the line is the plain form CI logs are read by.
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
