#!/usr/bin/env bash
# The Python package's tests (python/tests), as the README's test command runs them after
# `cargo test --workspace`:
#   1. a virtual environment under the Cargo target directory (kept between runs);
#   2. `pip install ./python[test]`: maturin builds crates/bloc-py and installs the package
#      with pandas, pyarrow, pytest, nbclient, ipykernel and matplotlib from PyPI;
#   3. the `bloc` command line the tests compare against;
#   4. pytest.
# Both builds use Cargo's `test` profile (optimised, as `cargo test` builds), so they reuse
# what `cargo test --workspace` compiled instead of a second, release build of the engine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/python-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
echo "== python: installing the package (pip install ./python[test])" >&2
MATURIN_PEP517_ARGS="--profile test" "$venv/bin/pip" install --quiet "$root/python[test]"
echo "== python: building the bloc command line" >&2
cargo build --quiet --profile test -p bloc-cli --bin bloc
export BLOC_BIN="$target/debug/bloc"
echo "== python: pytest" >&2
cd "$root/python/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
