#!/usr/bin/env bash
# Every test of the project: the Rust suite, then the Python package's.
#
# The package is built from python/ (PyO3 + maturin, fetched by pip) and
# installed with its test dependencies into a virtualenv under target/, so
# nothing outside the checkout changes. badcrossbar (the peer the tests
# compare with) is installed without its plotting extra (cairo).
set -euo pipefail
cd "$(dirname "$0")"

cargo test --release

PY=${PYTHON:-python3}
VENV=target/py-test
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" || {
        echo "error: '$PY -m venv' failed: install Python 3.9+ with venv (Debian: apt install python3-venv)" >&2
        exit 1
    }
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check ./python pytest numpy pandas matplotlib scipy pathvalidate sigfig
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps badcrossbar
XBARSIM_BIN="$PWD/target/release/xbarsim" "$VENV/bin/python" -m pytest -q python/tests
