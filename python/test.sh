#!/usr/bin/env bash
# The Python package's tests (python/tests), as the README's test command runs them after
# `cargo test --workspace`:
#   1. a virtual environment under the Cargo target directory (kept between runs), with the
#      package's dependencies and its `test` extras as python/pyproject.toml lists them;
#   2. the engine (crates/bloc-py) built with `cargo build --profile test`, which reuses what
#      `cargo test --workspace` compiled (optimised) instead of a second, release build, and
#      laid out with python/bloc as the package `bloc` under the target directory;
#   3. the `bloc` command line the tests compare against;
#   4. pytest, with that package first on the path.
# (`pip install ./python` builds the same package through maturin with the release profile;
# maturin's `--profile test` would build a test harness, not the extension module.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/python-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
echo "== python: dependencies (python/pyproject.toml: dependencies and the test extras)" >&2
mapfile -t deps < <("$venv/bin/python" -c '
import tomllib, sys
p = tomllib.load(open(sys.argv[1], "rb"))["project"]
print("\n".join(p["dependencies"] + p["optional-dependencies"]["test"]))' "$root/python/pyproject.toml")
"$venv/bin/pip" install --quiet "${deps[@]}"
echo "== python: building the engine and the bloc command line" >&2
cargo build --quiet --profile test -p bloc-py --lib -p bloc-cli --bin bloc
pkg="$target/python-pkg"
rm -rf "$pkg/bloc"
mkdir -p "$pkg"
cp -r "$root/python/bloc" "$pkg/bloc"
suffix="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
cp "$target/debug/lib_native.so" "$pkg/bloc/_native$suffix"
export PYTHONPATH="$pkg${PYTHONPATH:+:$PYTHONPATH}"
export BLOC_BIN="$target/debug/bloc"
echo "== python: pytest" >&2
cd "$root/python/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
