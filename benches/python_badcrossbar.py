#!/usr/bin/env python3
"""xbarsim.Crossbar against badcrossbar.compute, side by side in one run.

Linear N x N arrays, 2 ohm per line segment, devices uniform in 10-100 uS,
inputs uniform in 0-0.3 V; both tools solve the same circuit (rows driven
at one end, columns read at the far end into 0 V) and their output
currents are compared. Times are medians of REPS runs (badcrossbar at
N >= 512: one run unless BADCROSSBAR_REPS says otherwise), each tool on
the whole machine, one after the other.

xbarsim is timed two ways:
  - one-shot: Crossbar(g, ...) and its first solve(v): what a single
    solve costs from a numpy matrix (build, order, factor, solve);
  - kept: solve(v) with a new input on a Crossbar built before (the
    structure and factorization kept between calls).

Then 100 input vectors at 128x128 (one call each tool), and nonlinear
arrays (sinh, beta 2.6; the cubic TiO2-x law), which badcrossbar cannot
solve, timed alone.

Usage: python3 benches/python_badcrossbar.py [SIZES...]   (default 128 256 512)
Needs the package (pip install ./python) and badcrossbar
(pip install --no-deps badcrossbar scipy pathvalidate sigfig).
"""

import logging
from importlib.metadata import version
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import badcrossbar
import xbarsim

logging.disable(logging.INFO)
REPS = int(os.environ.get("REPS", "5"))


def timed(f, reps):
    ts, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), out


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, xbarsim {xbarsim.__version__}, badcrossbar {version('badcrossbar')}, numpy {np.__version__}"


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [128, 256, 512]
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} on {machine()}")
    print()
    print("| N | unknowns | badcrossbar s | xbarsim one-shot s | ratio | xbarsim kept s | ratio | max rel. diff |")
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        rng = np.random.default_rng(n)
        g = rng.uniform(10e-6, 100e-6, (n, n))
        v = rng.uniform(0.0, 0.3, (n, 1))
        v2 = rng.uniform(0.0, 0.3, (n, 1))
        breps = int(os.environ.get("BADCROSSBAR_REPS", "1" if n >= 512 else "3"))
        tb, peer = timed(lambda: badcrossbar.compute(v, 1.0 / g, r_i=2.0).currents.output, breps)
        t1, cur = timed(lambda: xbarsim.Crossbar(g, r_row=2.0, r_col=2.0).solve(v), REPS)
        xb = xbarsim.Crossbar(g, r_row=2.0, r_col=2.0)
        xb.solve(v)
        tk, _ = timed(lambda: xb.solve(v2), REPS)
        diff = np.max(np.abs(cur.T / peer - 1))
        print(
            f"| {n}x{n} | {xb.unknowns:,} | {tb:.3f} | {t1:.3f} | {tb / t1:.0f}x | {tk:.4f} | {tb / tk:.0f}x | {diff:.1e} |"
        )
    n, k = 128, 100
    rng = np.random.default_rng(1)
    g = rng.uniform(10e-6, 100e-6, (n, n))
    V = rng.uniform(0.0, 0.3, (n, k))
    tb, peer = timed(lambda: badcrossbar.compute(V, 1.0 / g, r_i=2.0).currents.output, 3)
    t1, cur = timed(lambda: xbarsim.Crossbar(g, r_row=2.0, r_col=2.0).solve(V), REPS)
    xb = xbarsim.Crossbar(g, r_row=2.0, r_col=2.0)
    xb.solve(V[:, 0])
    tk, _ = timed(lambda: xb.solve(V), REPS)
    diff = np.max(np.abs(cur.T / peer - 1))
    print()
    print(f"{k} input vectors at {n}x{n} (one call each):")
    print()
    print("| badcrossbar s | xbarsim one-shot s | ratio | xbarsim kept s | ratio | max rel. diff |")
    print("|---|---|---|---|---|---|")
    print(f"| {tb:.3f} | {t1:.4f} | {tb / t1:.0f}x | {tk:.4f} | {tb / tk:.0f}x | {diff:.1e} |")
    print()
    print("Nonlinear arrays (badcrossbar cannot solve them), xbarsim alone:")
    print()
    print("| N | law | one-shot s | kept, new input s | 100 vectors s |")
    print("|---|---|---|---|---|")
    for n in sizes:
        for label, model in (("sinh", {"level": "sinh", "beta": 2.6}), ("cubic (tio2x)", "tio2x")):
            rng = np.random.default_rng(n)
            g = rng.uniform(10e-6, 100e-6, (n, n))
            v = rng.uniform(0.0, 0.3, n)
            v2 = rng.uniform(0.0, 0.3, n)
            V = rng.uniform(0.0, 0.3, (n, 100))
            t1, _ = timed(lambda: xbarsim.Crossbar(g, r_row=2.0, r_col=2.0, model=model).solve(v), REPS)
            xb = xbarsim.Crossbar(g, r_row=2.0, r_col=2.0, model=model)
            xb.solve(v)
            tk, _ = timed(lambda: xb.solve(v2), REPS)
            tv, _ = timed(lambda: xb.solve(V), 1 if n >= 512 else 3)
            print(f"| {n}x{n} | {label} | {t1:.3f} | {tk:.3f} | {tv:.2f} |")


if __name__ == "__main__":
    main()
