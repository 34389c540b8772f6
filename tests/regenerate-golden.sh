#!/usr/bin/env bash
# Regenerates the golden results of the regression test `crates/bloc-cli/tests/golden.rs`.
#
# Builds the `bloc` binary, runs every shipped scenario (every folder under scenarios/ that
# holds a scenario.toml, at any depth; base scenarios too) and keeps each run's CSV files in
# tests/golden/<path under scenarios/>/. run.json is not kept: it holds timings and hashes
# that change from run to run. The whole tests/golden/ tree is replaced, so the golden
# results of a scenario that was removed go too.
#
# Run it after a change that is meant to change results, then review `git diff tests/golden`
# in the pull request: every changed number there is a change in what the engine says.
#
# It then renews the report screenshots in docs/screenshots/: the browser test
# (crates/bloc-cli/tests/report_browser.rs, needs Debian's chromium) writes a PNG of each
# report as it opens, and BLOC_SCREENSHOTS makes it copy those that passed every check there.
# Review them with the diff too: they are what a reader sees first.
#
#   tests/regenerate-golden.sh            # from anywhere inside the repository
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

echo "building bloc..." >&2
cargo build --quiet --release -p bloc-cli --bin bloc
bin="${CARGO_TARGET_DIR:-$root/target}/release/bloc"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/golden"

count=0
failed=0
while IFS= read -r -d '' toml; do
    dir="$(dirname "$toml")"
    rel="${dir#scenarios/}"
    out="$tmp/runs/${rel//\//__}"
    if ! "$bin" run "$dir" --out "$out" --quiet 2>"$tmp/stderr"; then
        echo "FAILED: bloc run $dir" >&2
        cat "$tmp/stderr" >&2
        failed=$((failed + 1))
        continue
    fi
    if [ -s "$tmp/stderr" ]; then
        # The golden test insists that a shipped scenario runs without warnings.
        echo "WARNINGS from bloc run $dir:" >&2
        cat "$tmp/stderr" >&2
        failed=$((failed + 1))
    fi
    mkdir -p "$tmp/golden/$rel"
    cp "$out"/*.csv "$tmp/golden/$rel/"
    count=$((count + 1))
    echo "  $rel" >&2
done < <(find scenarios -name scenario.toml -type f -print0 | sort -z)

if [ "$failed" -ne 0 ]; then
    echo "$failed scenario(s) failed or warned; tests/golden/ left unchanged" >&2
    exit 1
fi
if [ "$count" -eq 0 ]; then
    echo "no scenario.toml found under scenarios/; tests/golden/ left unchanged" >&2
    exit 1
fi

rm -rf tests/golden
mkdir -p tests
mv "$tmp/golden" tests/golden
echo "wrote golden results of $count scenarios to tests/golden/" >&2
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$root" status --short -- tests/golden | head -40 >&2 || true
fi

echo "renewing the report screenshots in docs/screenshots/..." >&2
rm -rf docs/screenshots
BLOC_SCREENSHOTS="$root/docs/screenshots" cargo test --quiet -p bloc-cli --test report_browser >&2
echo "wrote $(find docs/screenshots -name '*.png' | wc -l) screenshots to docs/screenshots/" >&2
