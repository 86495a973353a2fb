#!/usr/bin/env bash
# study_1s1r.sh — read margin vs array size with and without a selector
# (V/2 read of the far corner cell): runs the three netlists
# netlists/study_1s1r_{none,sel09,sel15}.cir as one batch and draws their
# sizing.csv into one figure, docs/img/study_1s1r.svg.
#
# Usage (repository root = this script's parent directory):
#   studies/study_1s1r.sh [OUT_DIR]        (default: out_1s1r)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out_1s1r}
cargo build --release --quiet
target/release/xbarsim run -q -j 2 netlists/study_1s1r_none.cir \
    netlists/study_1s1r_sel09.cir netlists/study_1s1r_sel15.cir -o "$OUT"
python3 studies/plot_sizing.py docs/img/study_1s1r.svg 10 \
    "--title=V/2 read of the far corner cell: TiO2-x 3-100 uS, 2.5 ohm/segment, 100 ohm sense" \
    "1R, 0.9 V=$OUT/study_1s1r_none/sizing.csv" \
    "1S1R, 0.9 V=$OUT/study_1s1r_sel09/sizing.csv" \
    "1S1R, 1.5 V=$OUT/study_1s1r_sel15/sizing.csv"
echo "study_1s1r: $OUT/*/sizing.csv -> docs/img/study_1s1r.svg"
