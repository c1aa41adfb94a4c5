#!/usr/bin/env bash
# WebSocket protocol conformance: Autobahn|Testsuite's fuzzingclient against `feedlab serve`'s /echo.
#
#   bash scripts/autobahn.sh              # every case except 12.* and 13.* (permessage-deflate)
#   FEEDLAB_AUTOBAHN_CASES='5.*,6.4.*' bash scripts/autobahn.sh   # a subset, while fixing something
#
# Steps: find a Python 2.7 (Autobahn|Testsuite is Python 2 code), make or reuse a virtualenv in a cache
# directory outside the repo with the pins of scripts/autobahn-constraints.txt, build (or take) the
# feedlab binary, start `feedlab serve --addr 127.0.0.1:0`, run `wstest -m fuzzingclient` against
# ws://127.0.0.1:PORT/echo, count the verdicts of reports/servers/index.json and write docs/conformance.md
# (only for a full run). Exits 1 if any case FAILED.
#
# Environment:
#   FEEDLAB_AUTOBAHN_REQUIRED=1  no Python 2.7 is an error (exit 1) instead of `SKIPPED ...` (exit 0)
#   FEEDLAB_PYTHON2              the Python 2.7 interpreter to use (default: pyenv's, then python2.7 on PATH)
#   FEEDLAB_BIN                  a feedlab binary to test (default: `cargo build -p feedlab`, target/debug)
#   FEEDLAB_AUTOBAHN_CACHE       virtualenv location (default ${XDG_CACHE_HOME:-$HOME/.cache}/feedlab-autobahn)
#   FEEDLAB_AUTOBAHN_OUT         where spec, reports and server log go (default target/autobahn)
#   FEEDLAB_AUTOBAHN_CASES       comma-separated case patterns; a subset run does not rewrite the doc
#   FEEDLAB_AUTOBAHN_TIMEOUT     seconds before wstest is stopped (default 900)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$(date +%s)

constraints="$repo/scripts/autobahn-constraints.txt"
cache="${FEEDLAB_AUTOBAHN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/feedlab-autobahn}"
out="${FEEDLAB_AUTOBAHN_OUT:-$repo/target/autobahn}"
cases="${FEEDLAB_AUTOBAHN_CASES:-*}"
# 12.* and 13.* test permessage-deflate (RFC 7692). /echo does not negotiate it, so they would all be
# UNIMPLEMENTED; excluding them saves their connections. docs/conformance.md says so.
excluded='12.*,13.*'
wstest_timeout="${FEEDLAB_AUTOBAHN_TIMEOUT:-900}"

say() { echo "autobahn: $*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- 1. A Python 2.7 -------------------------------------------------------------------------------
is_py27() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (2, 7))' >/dev/null 2>&1; }

find_python2() {
  local candidate
  if [ -n "${FEEDLAB_PYTHON2:-}" ]; then
    is_py27 "$FEEDLAB_PYTHON2" && { echo "$FEEDLAB_PYTHON2"; return; }
    die "FEEDLAB_PYTHON2=$FEEDLAB_PYTHON2 is not a working Python 2.7"
  fi
  # pyenv's own directory first: its python2.7 shim fails unless 2.7 is the selected version.
  for candidate in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/2.7*/bin/python2.7 2>/dev/null | sort -rV); do
    is_py27 "$candidate" && { echo "$candidate"; return; }
  done
  for candidate in python2.7 python2 /usr/bin/python2.7; do
    candidate=$(command -v "$candidate" 2>/dev/null) || continue
    is_py27 "$candidate" && { echo "$candidate"; return; }
  done
  return 1
}

if ! python2=$(find_python2); then
  if [ "${FEEDLAB_AUTOBAHN_REQUIRED:-0}" = 1 ]; then
    die "no python2.7 (looked at FEEDLAB_PYTHON2, ${PYENV_ROOT:-$HOME/.pyenv}/versions/2.7*, PATH) and FEEDLAB_AUTOBAHN_REQUIRED=1"
  fi
  echo "SKIPPED autobahn: no python2.7"
  exit 0
fi
say "python: $python2"

# ---- 2. The virtualenv with wstest -------------------------------------------------------------------
# Rebuilt whenever the constraints file changes (its checksum is stamped into the venv).
venv="$cache/venv"
stamp="$(sha256sum "$constraints" | cut -c1-16) $python2"
export PIP_DISABLE_PIP_VERSION_CHECK=1 VIRTUALENV_OVERRIDE_APP_DATA="$cache/virtualenv-app-data"
if [ ! -x "$venv/bin/wstest" ] || [ "$(cat "$venv/.feedlab-stamp" 2>/dev/null)" != "$stamp" ]; then
  say "installing autobahntestsuite into $venv (from PyPI, pinned by ${constraints#"$repo"/})"
  rm -rf "$venv"
  mkdir -p "$cache"
  if "$python2" -c 'import virtualenv' >/dev/null 2>&1; then
    "$python2" -m virtualenv -q "$venv"
  else
    # No virtualenv module in this Python: install one into the cache, not into the interpreter.
    "$python2" -m pip --version >/dev/null 2>&1 || die "$python2 has neither virtualenv nor pip"
    "$python2" -m pip install -q --target "$cache/bootstrap" -c "$constraints" virtualenv
    PYTHONPATH="$cache/bootstrap" "$python2" -m virtualenv -q "$venv"
  fi
  "$venv/bin/pip" install -q -c "$constraints" autobahntestsuite
  echo "$stamp" >"$venv/.feedlab-stamp"
fi
# Autobahn's dependencies warn on every start that Python 2 is unsupported; that is known.
export PYTHONWARNINGS=ignore
versions=$("$venv/bin/python" -c 'import autobahntestsuite, autobahn; print("autobahntestsuite %s (autobahn %s)" % (autobahntestsuite.__version__, autobahn.__version__))')
say "$versions"

# ---- 3. The server -----------------------------------------------------------------------------------
if [ -n "${FEEDLAB_BIN:-}" ]; then
  bin=$FEEDLAB_BIN
else
  say "cargo build -p feedlab"
  cargo build -q -p feedlab
  bin="${CARGO_TARGET_DIR:-$repo/target}/debug/feedlab"
fi
[ -x "$bin" ] || die "no feedlab binary at $bin"

rm -rf "$out"
mkdir -p "$out"
server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

"$bin" serve --addr 127.0.0.1:0 >"$out/server.out" 2>"$out/server.log" &
server_pid=$!
port=
for _ in $(seq 300); do
  port=$(sed -n 's|^feedlab listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$out/server.out")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || die "feedlab serve exited: $(cat "$out/server.log")"
  sleep 0.1
done
[ -n "$port" ] || die "feedlab serve did not print its address within 30 s"
url="ws://127.0.0.1:$port/echo"
say "server: $bin at $url (log: ${out#"$repo"/}/server.log)"

# ---- 4. The fuzzingclient ----------------------------------------------------------------------------
json_list() { # "5.*,6.1.1" -> ["5.*", "6.1.1"] (no glob expansion)
  local items item sep=; IFS=, read -ra items <<<"$1"; printf '['
  for item in "${items[@]}"; do printf '%s"%s"' "$sep" "$item"; sep=', '; done; printf ']'; }
cat >"$out/spec.json" <<EOF
{
  "outdir": "$out/reports/servers",
  "servers": [{"agent": "feedlab", "url": "$url"}],
  "cases": $(json_list "$cases"),
  "exclude-cases": $(json_list "$excluded"),
  "exclude-agent-cases": {}
}
EOF
say "wstest -m fuzzingclient (cases $cases, excluding $excluded; takes a few minutes)"
wstest_rc=0
(cd "$out" && timeout "$wstest_timeout" "$venv/bin/wstest" -m fuzzingclient -s spec.json >wstest.log 2>&1) \
  || wstest_rc=$?
stop_server
[ "$wstest_rc" = 0 ] || die "wstest exited with $wstest_rc (see ${out#"$repo"/}/wstest.log): $(tail -5 "$out/wstest.log")"
index="$out/reports/servers/index.json"
[ -s "$index" ] || die "wstest wrote no $index"

# ---- 5. The verdicts, and docs/conformance.md ---------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- crates 2>/dev/null || commit="$commit + uncommitted changes"
doc=
[ "$cases" = '*' ] && doc="$repo/docs/conformance.md"
elapsed=$(( $(date +%s) - started ))
"$venv/bin/python" - "$index" "$doc" "$versions" "$commit" "$excluded" "$elapsed" <<'PY'
# -*- coding: utf-8 -*-
# Counts the verdicts of Autobahn's index.json; writes the markdown report when given a path.
from __future__ import print_function
import io, json, os, sys, time

index_path, doc_path, versions, commit, excluded, elapsed = sys.argv[1:]
verdicts = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
meaning = {
    "OK": "behaves exactly as the RFC and the test expect",
    "NON-STRICT": "acceptable, but not the strictest behaviour (e.g. fails a bad message later than it could)",
    "INFORMATIONAL": "no pass/fail verdict; the behaviour is recorded",
    "UNIMPLEMENTED": "tests an optional feature the server does not offer",
    "FAILED": "violates the RFC",
}
# Why a case is not OK, for the ones that are expected not to be (see the notes in the doc).
explain = {
    "6.4.3": "fail-fast UTF-8: see note 1",
    "6.4.4": "fail-fast UTF-8: see note 1",
}

with io.open(index_path, encoding="utf-8") as f:
    index = json.load(f)
(agent, results), = index.items()

def case_key(case_id):
    return tuple(int(part) for part in case_id.split("."))

def verdict(result):
    # A case fails when either its messages or its closing handshake fail.
    b, c = result["behavior"], result["behaviorClose"]
    if "FAILED" in (b, c) or c not in ("OK", "INFORMATIONAL", "UNIMPLEMENTED"):
        return "FAILED" if b != "UNIMPLEMENTED" else b
    return b

counts = dict((v, 0) for v in verdicts)
odd = []
for case_id in sorted(results, key=case_key):
    result = results[case_id]
    v = verdict(result)
    counts[v] = counts.get(v, 0) + 1
    if v != "OK" or result["behaviorClose"] != "OK":
        report = {}
        path = os.path.join(os.path.dirname(index_path), result["reportfile"])
        if os.path.exists(path):
            with io.open(path, encoding="utf-8") as f:
                report = json.load(f)
        odd.append((case_id, v, result, report))

total = sum(counts.values())
print("autobahn: %d cases: %s" % (total, ", ".join("%s %d" % (v, counts[v]) for v in verdicts)))
for case_id, v, result, report in odd:
    print("  %-8s %-13s close=%s code=%s  %s" % (case_id, v, result["behaviorClose"],
          result.get("remoteCloseCode"), report.get("result", "")))

if doc_path:
    def cell(text):
        return u" ".join(u"%s" % text for text in [text]).replace(u"|", u"\\|").replace(u"\n", u" ")
    lines = []
    w = lines.append
    w(u"# WebSocket conformance: Autobahn|Testsuite against `/echo`")
    w(u"")
    w(u"Written by `bash scripts/autobahn.sh` (do not edit by hand): Autobahn|Testsuite's `fuzzingclient` "
      u"runs every test case against `GET /echo` of `feedlab serve`, the plain echo endpoint that shares "
      u"its WebSocket stack (actix-ws, `routes/ws.rs`) with `/ws`.")
    w(u"")
    w(u"- Date: %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    w(u"- Test suite: %s, Python 2.7" % versions)
    w(u"- Server commit: `%s` (debug build)" % commit)
    w(u"- Cases: all (`*`) except `%s` (permessage-deflate, RFC 7692: `/echo` does not negotiate "
      u"compression, so the suite would only report them UNIMPLEMENTED)" % u"`, `".join(excluded.split(",")))
    w(u"- Script run time: %s s, including the build and the virtualenv check" % elapsed)
    w(u"")
    w(u"| Verdict | Cases | Meaning |")
    w(u"|---|---:|---|")
    for v in verdicts:
        w(u"| %s | %d | %s |" % (v, counts[v], meaning[v]))
    w(u"| **Total** | **%d** | |" % total)
    w(u"")
    w(u"## Cases not plainly OK")
    w(u"")
    if not odd:
        w(u"None: every case is OK, closing handshake included.")
    else:
        w(u"| Case | Verdict | Close | Close code | What the test does | What the server did |")
        w(u"|---|---|---|---:|---|---|")
        for case_id, v, result, report in odd:
            did = report.get("result", u"")
            if case_id in explain:
                did = u"%s (%s)" % (did, explain[case_id])
            w(u"| %s | %s | %s | %s | %s | %s |" % (case_id, v, result["behaviorClose"],
              result.get("remoteCloseCode"), cell(report.get("description", u"")), cell(did)))
    w(u"")
    notes = os.environ.get("FEEDLAB_AUTOBAHN_NOTES", u"")
    if notes:
        w(notes.decode("utf-8") if isinstance(notes, bytes) else notes)
    with io.open(doc_path, "w", encoding="utf-8") as f:
        f.write(u"\n".join(lines).rstrip(u"\n") + u"\n")
    print("autobahn: wrote %s" % doc_path)

sys.exit(1 if counts["FAILED"] else 0)
PY
