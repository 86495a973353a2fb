#!/usr/bin/env python3
"""Seed 001, Fig. 3d: one device tuned with 1 % error to conductance levels
equally spaced from 3 uS to 45 uS (read at 0.25 V), one after another.

The device is a 1x1 crossbar (no lines, no sneak paths: the device alone,
as the paper's single-device demonstration) of each pulse card; each level
is one `.program` run (write-verify, tol=0.01, one cycle) on the device as
the previous level left it. The card's seeded population gives the same
device every time. Prints one row per level: target, verify read, error,
pulses, and whether it ended within 1 %.

Usage: python3 studies/fig3d_single_device.py [CARD ...]
       (default: tio2x_pulse tio2x_table; needs `pip install ./python`)
"""

import sys

import numpy as np

import xbarsim

LEVELS = np.arange(3e-6, 45e-6 + 1e-12, 3e-6)  # 15 levels, 3 uS apart


def tune(card: str, seed: int = 1):
    xb = xbarsim.Crossbar([[20e-6]], model=card)
    rows = []
    for level in LEVELS:
        r = xb.program([[level]], algorithm="wv", tol=0.01, cycles=1, seed=seed)
        rows.append(
            (
                level,
                float(r.g_measured[0, 0]),
                float(r.error_pct[0, 0]),
                int(r.cycles["pulses"][0]),
                bool(r.stuck[0, 0]),
            )
        )
    return rows


def main():
    cards = sys.argv[1:] or ["tio2x_pulse", "tio2x_table"]
    for card in cards:
        rows = tune(card)
        print(f"\n{card}: levels {LEVELS[0] * 1e6:.0f}-{LEVELS[-1] * 1e6:.0f} uS, tol 1 %\n")
        print("| target uS | read uS | error % | pulses | within 1 % |")
        print("|---|---|---|---|---|")
        for level, g, err, pulses, stuck in rows:
            mark = "stuck" if stuck else ("yes" if abs(err) <= 1.0 else "no")
            print(f"| {level * 1e6:.0f} | {g * 1e6:.3f} | {err:+.2f} | {pulses} | {mark} |")
        ok = sum(abs(e) <= 1.0 for _, _, e, _, _ in rows)
        lower = [abs(e) <= 1.0 for lv, _, e, _, _ in rows if lv <= 24e-6]
        print(f"\nwithin 1 %: {ok} of {len(rows)} levels; lower half (3-24 uS): {sum(lower)} of {len(lower)}")


if __name__ == "__main__":
    main()
