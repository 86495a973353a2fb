#!/usr/bin/env python3
"""plot_sizing.py — several `.sizing` results (sizing.csv) in one SVG figure.

Each curve is one sizing.csv: its figure (read margin or VMM error, %)
against the array size N, on a log2 axis, with the `limit` as a dashed line.
Python's standard library only (no plotting package needed).

Usage:
  studies/plot_sizing.py OUT.svg LIMIT [--title=TEXT] "label one=path/one/sizing.csv" "label two=..."
"""
import csv
import math
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
W, H = 760, 460
L, R, T, B = 80, 220, 40, 60  # margins: plot area inside


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    key = [k for k in rows[0] if k != "size" and k != "meets_criterion"][0]
    return key, [(int(r["size"]), float(r[key])) for r in rows]


def nice_step(span):
    raw = span / 6
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, limit = sys.argv[1], float(sys.argv[2])
    title = ""
    curves = []
    for arg in sys.argv[3:]:
        if arg.startswith("--title="):
            title = arg[len("--title="):]
            continue
        label, path = arg.split("=", 1)
        key, pts = read(path)
        curves.append((label, pts))
    xs = [n for _, pts in curves for n, _ in pts]
    ys = [y for _, pts in curves for _, y in pts] + [limit]
    x0, x1 = math.log2(min(xs)), math.log2(max(xs))
    step = nice_step(max(ys) - min(ys))
    y0 = math.floor(min(ys) / step) * step
    y1 = math.ceil(max(ys) / step) * step
    pw, ph = W - L - R, H - T - B

    def px(n):
        return L + (math.log2(n) - x0) / (x1 - x0 or 1) * pw

    def py(y):
        return T + (y1 - y) / (y1 - y0 or 1) * ph

    s = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'font-family="sans-serif" font-size="13">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
    ]
    y = y0
    while y <= y1 + step / 2:
        s.append(
            f'<line x1="{L}" y1="{py(y):.1f}" x2="{L + pw}" y2="{py(y):.1f}" '
            f'stroke="{"#999" if y == 0 else "#e5e5e5"}"/>'
        )
        s.append(
            f'<text x="{L - 8}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>'
        )
        y += step
    for n in sorted(set(xs)):
        s.append(
            f'<line x1="{px(n):.1f}" y1="{T}" x2="{px(n):.1f}" y2="{T + ph}" stroke="#e5e5e5"/>'
        )
        s.append(
            f'<text x="{px(n):.1f}" y="{T + ph + 18}" text-anchor="middle">{n}</text>'
        )
    s.append(
        f'<line x1="{L}" y1="{py(limit):.1f}" x2="{L + pw}" y2="{py(limit):.1f}" '
        f'stroke="black" stroke-dasharray="6,4"/>'
    )
    s.append(
        f'<text x="{L + pw - 6}" y="{py(limit) - 6:.1f}" text-anchor="end">limit {limit:g} %</text>'
    )
    if title:
        s.append(f'<text x="{L + pw / 2}" y="{T - 14}" text-anchor="middle">{title}</text>')
    s.append(
        f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="black"/>'
    )
    s.append(
        f'<text x="{L + pw / 2}" y="{H - 15}" text-anchor="middle">array size N (N×N)</text>'
    )
    s.append(
        f'<text x="18" y="{T + ph / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {T + ph / 2})">worst-case read margin (%)</text>'
    )
    for k, (label, pts) in enumerate(curves):
        c = COLOURS[k % len(COLOURS)]
        path = " ".join(f"{px(n):.1f},{py(y):.1f}" for n, y in pts)
        s.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2.5"/>')
        for n, y in pts:
            s.append(f'<circle cx="{px(n):.1f}" cy="{py(y):.1f}" r="4" fill="{c}"/>')
        ly = T + 20 + 24 * k
        s.append(
            f'<line x1="{L + pw + 12}" y1="{ly}" x2="{L + pw + 36}" y2="{ly}" '
            f'stroke="{c}" stroke-width="2.5"/>'
        )
        s.append(f'<text x="{L + pw + 42}" y="{ly + 4}">{label}</text>')
    s.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(s) + "\n")


if __name__ == "__main__":
    main()
