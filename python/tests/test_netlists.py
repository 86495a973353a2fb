"""Every shipped netlist gives through Python exactly the numbers the CLI
writes: each result array is compared bit for bit with the CLI's files
(CSV numbers are written in shortest round-trip form, so parsing them
gives the same doubles)."""

import csv
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import xbarsim

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Runs of minutes to tens of minutes (64x64 pulse programming and
# threshold ramps): compared when XBARSIM_SLOW=1.
SLOW = {
    "thresholds_64x64.cir",
    "thresholds_64x64_table.cir",
    "tune_64x64.cir",
    "tune_64x64_table.cir",
}
NETLISTS = sorted(p.name for p in (ROOT / "netlists").glob("*.cir"))


def rows(path):
    with open(path, newline="") as f:
        return [r for r in csv.reader(f) if r and not r[0].startswith("#")]


def numbers(path, skip_header=True, first_col=0):
    r = rows(path)
    if skip_header:
        r = r[1:]
    return np.array([[float(x) for x in row[first_col:]] for row in r])


def same(a, b, what):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    assert a.shape == b.shape, f"{what}: shape {a.shape} against the CLI's {b.shape}"
    eq = (a == b) | (np.isnan(a) & np.isnan(b))
    assert eq.all(), f"{what}: {int((~eq).sum())} values differ, first at {np.argwhere(~eq)[0]}"


def check(result, d):
    """Compare every analysis result with the CLI's files in folder d."""
    checked = 0
    for a in result.analyses:
        if a.kind == "op":
            table = rows(d / "op.csv")[1:]
            assert [r[0] for r in table] == a.names
            same(a.values, [float(r[1]) for r in table], "op.csv")
            for name, m in a.vcell.items():
                same(m, numbers(d / f"{name}_vcell.csv", skip_header=False), f"{name}_vcell.csv")
        elif a.kind == "dc":
            header = rows(d / "dc.csv")[0]
            assert header == a.names
            same(a.table, numbers(d / "dc.csv"), "dc.csv")
        elif a.kind == "vmm":
            v = numbers(d / "vmm.csv")
            same(a.currents.ravel(), v[:, 2], "vmm.csv current")
            same(a.ideal.ravel(), v[:, 3], "vmm.csv ideal_current")
            same(a.rel_error, numbers(d / "vmm_error.csv")[:, 1], "vmm_error.csv")
            same(a.ir_drop, numbers(d / f"{a.crossbar}_vmm_irdrop.csv", skip_header=False), "irdrop")
        elif a.kind == "read":
            r = rows(d / "read.csv")
            h = r[0]
            cases = r[1 : 1 + len(a.cases)]
            assert [x[0] for x in cases] == a.cases
            for col in ("v_cell", "i_cell", "i_column", "i_sneak"):
                same(getattr(a, col), [float(x[h.index(col)]) for x in cases], f"read.csv {col}")
            # The last line: the margin (A) and the relative margin.
            assert r[-1][0] == "margin"
            same([a.margin, a.margin_rel], [float(x) for x in r[-1][-2:]], "read.csv margin")
        elif a.kind == "sizing":
            r = rows(d / "sizing.csv")[1:]
            same(a.sizes, [int(x[0]) for x in r], "sizing sizes")
            same(a.figure, [float(x[1]) for x in r], "sizing figure")
            assert list(a.meets) == [x[2] == "true" for x in r]
        elif a.kind == "perceptron":
            conf = numbers(d / f"{a.name}_confusion.csv")[:, 1:]
            same(a.confusion, conf, f"{a.name}_confusion.csv")
            cur = rows(d / f"{a.name}_currents.csv")
            h = cur[0]
            body = np.array([[float(x) for x in r] for r in cur[1:]])
            same(a.test_index, body[:, h.index("index")], "test index")
            same(a.circuit_pred, body[:, h.index("circuit")], "circuit predictions")
            same(a.ideal_pred, body[:, h.index("ideal")], "ideal predictions")
            ic = [k for k, n in enumerate(h) if n.startswith("i_col")]
            same(a.circuit_currents[:, : len(ic)], body[:, ic], "circuit currents")
            g = numbers(d / f"{a.name}_g.csv", skip_header=False)
            same(a.xbar_states[: g.shape[0], : g.shape[1]], g, f"{a.name}_g.csv")
            js = json.loads((d / f"{a.name}.json").read_text())
            assert js["circuit_accuracy"] == a.circuit_accuracy
        elif a.kind == "program":
            js = json.loads((d / "program.json").read_text())
            assert js["within_tol_pct"] == a.scalars["program.within_tol_pct"]
            x = a.crossbar
            for suffix, arr in (
                ("g", a.g_final),
                ("g_measured", a.g_measured),
                ("error", a.error_pct),
                ("error_true", a.error_true_pct),
            ):
                f = d / f"{x}_program_{suffix}.csv"
                same(arr, numbers(f, skip_header=False), f.name)
            cy = numbers(d / f"{x}_program_cycles.csv")
            for k, col in enumerate(["mean_abs_error_pct", "within_tol_pct", "pulses", "reads"]):
                same(a.cycles[col], cy[:, k + 1], f"cycles {col}")
        elif a.kind == "thresholds":
            js = json.loads((d / "thresholds.json").read_text())
            assert js["measured"]["set_mean_v"] == a.scalars["thresholds.set_mean"]
            t = rows(d / f"{a.crossbar}_thresholds.csv")
            h = t[0]
            for col in ("vset", "vreset", "vset_model", "vreset_model", "g_ramp_start", "g_peak"):
                vals = [float(r[h.index(col)]) if r[h.index(col)] else np.nan for r in t[1:]]
                same(getattr(a, col).ravel()[: len(vals)], vals, f"thresholds {col}")
        else:
            continue
        checked += 1
    return checked


@pytest.mark.parametrize("name", NETLISTS)
def test_shipped_netlist_matches_cli(name, cli, tmp_path):
    if name in SLOW and not os.environ.get("XBARSIM_SLOW"):
        pytest.skip("minutes long: run with XBARSIM_SLOW=1")
    net = ROOT / "netlists" / name
    d = tmp_path / "cli"
    subprocess.run([cli, "run", "-q", str(net), "-o", str(d)], check=True)
    r = xbarsim.run(net, out=tmp_path / "py")
    if r.steps is not None:
        cli_steps = rows(d / "steps.csv")
        h = cli_steps[0]
        assert list(r.steps) == h
        for k, col in enumerate(h):
            if col == "seconds":
                continue
            vals = [x[k] for x in cli_steps[1:]]
            got = r.steps[col]
            if got.dtype.kind == "f":
                same(got, [float(v) if v else np.nan for v in vals], f"steps.csv {col}")
            else:
                assert list(got) == vals
        return
    assert r.analyses, "the netlist ran no analysis"
    assert check(r, d) == len(r.analyses)
