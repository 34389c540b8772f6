#!/usr/bin/env bash
# Issue 15, item 12: the OpenAPI document is true. Starts the real service from the built
# binary (`bloc serve --demo`, a fresh database, a free port on 127.0.0.1 only), then runs
# schemathesis (from PyPI) against /openapi.json with the secretariat's token and with a
# member reporter's token, and fails on any failure. Bounded: a fixed number of examples per
# operation and a time budget per run.
#
#   crates/bloc-serve/tests/schemathesis.sh [path/to/bloc]
#
# SCHEMATHESIS: the schemathesis command (default: installed with pip into a venv under
# ${BLOC_ST_VENV:-target/schemathesis-venv}). BLOC_ST_EXAMPLES (default 40) examples per
# operation, BLOC_ST_MAX_TIME (default 90) seconds per run.
set -euo pipefail
cd "$(dirname "$0")/../../.."
bin=${1:-${CARGO_TARGET_DIR:-target}/debug/bloc}
[ -x "$bin" ] || { echo "schemathesis.sh: $bin is not built (cargo build -p bloc-cli)" >&2; exit 1; }
examples=${BLOC_ST_EXAMPLES:-40}
max_time=${BLOC_ST_MAX_TIME:-90}

if [ -z "${SCHEMATHESIS:-}" ]; then
  venv=${BLOC_ST_VENV:-target/schemathesis-venv}
  if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check 'schemathesis>=4,<5'
  fi
  SCHEMATHESIS="$venv/bin/schemathesis"
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --demo --db "$work/bloc-serve.sqlite" --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  grep -q 'listening on' "$work/serve.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; echo "schemathesis.sh: bloc serve did not start" >&2; exit 1; }
  sleep 0.1
done
grep -q 'listening on' "$work/serve.log" || { cat "$work/serve.log" >&2; exit 1; }
sec=$(sed -n 's/^demo token (secretariat): //p' "$work/serve.log")
jpn=$(sed -n 's/^demo token (reporter JPN, [^)]*): //p' "$work/serve.log")
[ -n "$sec" ] && [ -n "$jpn" ] || { cat "$work/serve.log" >&2; echo "schemathesis.sh: no demo tokens" >&2; exit 1; }
base="http://127.0.0.1:$port"

status=0
# One worker: with two, hypothesis's lambda descriptions (ast.parse in threads) hit CPython
# 3.11's "AST constructor recursion depth mismatch" now and then, a fault of the tool.
for who in secretariat reporter; do
  token=$sec
  [ "$who" = reporter ] && token=$jpn
  echo "== schemathesis as $who against $base"
  "$SCHEMATHESIS" run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all --exclude-checks positive_data_acceptance,use_after_free,ensure_resource_availability \
    --max-examples "$examples" --max-time "$max_time" --seed 15 \
    --request-timeout 10 --workers 1 --no-color \
    --generation-database none --report junit --report-dir "$work/report-$who" || status=1
done
if ! kill -0 "$pid" 2>/dev/null; then
  echo "schemathesis.sh: bloc serve died during the run" >&2
  cat "$work/serve.log" >&2
  status=1
fi
grep -i 'internal error' "$work/serve.log" >&2 && status=1
exit $status
