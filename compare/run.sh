#!/usr/bin/env bash
# The side-by-side comparison in one command (see compare/README.md):
#   compare/run.sh [--quick] [harness options]
#   VENV=/path/to/venv compare/run.sh      # use an existing venv with numpy, torch, jax
#   DATA_DIR=/tmp/bp-data compare/run.sh   # keep (and reuse) the generated 45 MiB data set
# Builds backprop (cargo build --release), makes compare/.venv with NumPy,
# PyTorch and JAX from pip unless VENV is given, writes the synthetic data
# set, runs every workload in every system and prints one table. The raw
# numbers go to compare/results/<timestamp>.json. Exits non-zero if any
# system fails to install or run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"

for arg in "$@"; do
    case "$arg" in
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; echo; exec python3 "$here/harness.py" --help ;;
    esac
done

echo "== building backprop (cargo build --release)" >&2
cargo build --release
bin="${CARGO_TARGET_DIR:-$root/target}/release/backprop"
[ -x "$bin" ] || { echo "error: $bin was not built" >&2; exit 1; }

if [ -n "${VENV:-}" ]; then
    venv=$VENV
    [ -x "$venv/bin/python" ] || { echo "error: VENV=$venv has no bin/python" >&2; exit 1; }
else
    venv="$here/.venv"
    if [ ! -x "$venv/bin/python" ]; then
        echo "== creating $venv" >&2
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c "import numpy, torch, jax, threadpoolctl" 2>/dev/null; then
        echo "== installing numpy, torch, jax[cpu], threadpoolctl into $venv (several GB; a few minutes)" >&2
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        "$venv/bin/python" -m pip install --quiet numpy torch "jax[cpu]" threadpoolctl
    fi
fi
if ! "$venv/bin/python" -c "import numpy, torch, jax" ; then
    echo "error: $venv/bin/python cannot import numpy, torch and jax;" \
         "install them: $venv/bin/pip install numpy torch 'jax[cpu]' threadpoolctl" >&2
    exit 1
fi
"$venv/bin/python" -c "import threadpoolctl" 2>/dev/null ||
    echo "note: threadpoolctl is not in $venv: the BLAS kernel in use will not be recorded" >&2

if [ -n "${DATA_DIR:-}" ]; then
    data=$DATA_DIR
    mkdir -p "$data"
else
    data=$(mktemp -d "${TMPDIR:-/tmp}/backprop-compare.XXXXXX")
    trap 'rm -rf "$data"' EXIT
fi
if [ ! -s "$data/data.json" ] || [ ! -s "$data/synth-60k-images-idx3-ubyte" ]; then
    echo "== writing the synthetic data set (60000 x 784 bytes) to $data" >&2
    "$venv/bin/python" "$here/make_data.py" "$data" > "$data/data.json.tmp"
    mv "$data/data.json.tmp" "$data/data.json"
fi

echo "== running the comparison" >&2
COMPARE_COMMAND="${VENV:+VENV=$VENV }compare/run.sh${*:+ $*}" \
    "$venv/bin/python" "$here/harness.py" --backprop "$bin" --data-dir "$data" \
    --python "$venv/bin/python" "$@"
