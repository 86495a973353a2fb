#!/usr/bin/env python3
"""The ngspice side of step.sh: the same vin sweep as the study, as one
ngspice deck with a `.control` loop, and the check of its results.

usage: step_ngspice.py deck WORK POINTS
         reads WORK/flat.cir (`xbarsim export` of point 1's netlist, no .step
         line) and writes WORK/ng.cir: the flat netlist without its .options,
         .op and .end cards, `.options klu`, and a control block that saves
         the column currents vs<j>#branch and, for every vin, alters the DC
         value of every row source vr<i>, runs `op`, appends the plot to the
         ASCII raw file WORK/ng.raw and destroys it.
       step_ngspice.py check WORK POINTS
         compares WORK/ng.raw with the study's WORK/s1 (steps.csv and the
         points' op.csv) at 5 points: first, quarters, last. Prints the check;
         exits 1 when a point is missing or a column current differs by more
         than 1e-6 relative.
The vin values are the ones step.sh gives the separate runs:
float(f"{0.3 / POINTS * k:.14e}") for k = 1..POINTS.
"""
import csv
import os
import sys

LIMIT = 1e-6


def values(pts):
    step = 0.3 / pts
    return [float(f"{step * k:.14e}") for k in range(1, pts + 1)]


def deck(work, pts):
    vals = values(pts)
    lines = open(os.path.join(work, "flat.cir")).read().splitlines()
    # The export evaluates {vin}: every row is driven by `vr<i> r<i> 0 DC <vin>`.
    vr = [ln.split() for ln in lines if ln.lower().startswith("vr")]
    vs = [ln.split()[0] for ln in lines if ln.lower().startswith("vs")]
    if len(vr) != 64 or len(vs) != 64:
        sys.exit(f"step_ngspice.py: expected 64 vr and 64 vs sources, found {len(vr)} and {len(vs)}")
    for w in vr:
        if len(w) != 5 or w[3].upper() != "DC" or float(w[4]) != vals[0]:
            sys.exit(f"step_ngspice.py: unexpected row source in the export: {' '.join(w)}")
    out = [ln for ln in lines if not ln.lower().startswith((".options", ".op", ".end"))]
    out += [".options klu", ".control", "set filetype=ascii", "set appendwrite",
            "save " + " ".join(f"{s}#branch" for s in vs),
            "foreach v " + " ".join(repr(v) for v in vals)]
    out += [f"  alter {w[0]} dc = $v" for w in vr]
    out += ["  op", f"  write {os.path.join(work, 'ng.raw')}", "  destroy all", "end",
            ".endc", ".end"]
    open(os.path.join(work, "ng.cir"), "w").write("\n".join(out) + "\n")


def read_raw(path):
    """An ASCII raw file of several plots: a list of {name: value}."""
    plots, names, mode, i = [], [], None, 0
    if not os.path.exists(path):
        return plots
    for ln in open(path):
        t = ln.strip()
        if t.startswith("Title:"):
            plots.append({})
            names, mode = [], None
        elif t.startswith("Variables:"):
            mode = "v"
        elif t.startswith("Values:"):
            mode, i = "x", 0
        elif mode == "v" and t:
            names.append(t.split()[1].lower())
        elif mode == "x" and t:
            plots[-1][names[i]] = float(t.split()[-1])
            i += 1
    return plots


def check(work, pts):
    vals = values(pts)
    plots = read_raw(os.path.join(work, "ng.raw"))
    rows = list(csv.DictReader(open(os.path.join(work, "s1", "steps.csv"))))
    ok = len(plots) == pts and len(rows) == pts
    print(f"[step] ngspice check: {len(plots)} of {pts} points written by ngspice, "
          f"{len(rows)} in the study's steps.csv")
    worst = 0.0
    for k in sorted({0, pts // 4, pts // 2, 3 * pts // 4, pts - 1}):
        r = rows[k]
        if abs(float(r["vin"]) - vals[k]) > 1e-12 * vals[k]:
            sys.exit(f"step_ngspice.py: {r['point']} has vin={r['vin']}, ngspice used {vals[k]!r}")
        x = {q: float(v) for q, v in csv.reader(open(os.path.join(work, "s1", r["point"], "op.csv")))
             if q.startswith("i(vs")}
        ng = plots[k] if k < len(plots) else {}
        d = max(abs(ng[q] - v) / abs(v) if q in ng else float("inf") for q, v in x.items())
        worst = max(worst, d)
        print(f"[step] ngspice check: point {k + 1} (vin={vals[k]!r}): {len(x)} column currents, "
              f"max rel diff to {r['point']}/op.csv {d:.1e}")
    ok = ok and worst <= LIMIT
    print(f"[step] ngspice check: max rel diff {worst:.1e} (limit {LIMIT:g}): "
          f"{'ok' if ok else 'FAILED'}")
    return ok


if __name__ == "__main__":
    cmd, work, pts = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "deck":
        deck(work, pts)
    elif cmd == "check":
        sys.exit(0 if check(work, pts) else 1)
    else:
        sys.exit(__doc__)
