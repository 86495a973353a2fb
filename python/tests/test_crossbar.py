"""`xbarsim.Crossbar` against the `.crossbar` card, against badcrossbar, and
under hostile input; `xbarsim.run` errors and parameters."""

import _thread
import json
import logging
import os
import pathlib
import threading
import warnings

import numpy as np
import pytest

import xbarsim
from xbarsim import _xbarsim

with warnings.catch_warnings():
    # badcrossbar warns that its plotting extra (cairo) is not installed.
    warnings.simplefilter("ignore")
    import badcrossbar

logging.getLogger("badcrossbar").setLevel(logging.WARNING)
logging.disable(logging.INFO)


def card_netlist(tmp_path, g, v, rrow, rcol, model_card, model, rdrive=0.0, rsense=0.0):
    """The same array as a netlist: the `.crossbar` card with explicit
    drivers and sense sources, solved by `.op`."""
    rows, cols = g.shape
    np.savetxt(tmp_path / "g.csv", g, delimiter=",", fmt="%.17g")
    lines = ["crossbar as a card", model_card]
    lines.append(
        f".crossbar xb rows={rows} cols={cols} model={model} rrow={rrow!r} rcol={rcol!r} "
        'g=file("g.csv")'
    )
    for i in range(rows):
        if rdrive > 0:
            lines.append(f"vd{i} in{i} 0 {float(v[i])!r}")
            lines.append(f"rd{i} in{i} xb.w{i} {rdrive!r}")
        else:
            lines.append(f"vd{i} xb.w{i} 0 {float(v[i])!r}")
    for j in range(cols):
        if rsense > 0:
            lines.append(f"rs{j} xb.s{j} sn{j} {rsense!r}")
            lines.append(f"vs{j} sn{j} 0 0")
        else:
            lines.append(f"vs{j} xb.s{j} 0 0")
    lines += [".op", ".end"]
    path = tmp_path / "card.cir"
    path.write_text("\n".join(lines) + "\n")
    op = xbarsim.run(path)["op"]
    return np.array([op[f"i(vs{j})"] for j in range(cols)]), op.vcell["xb"]


@pytest.mark.parametrize(
    "model,card,rdrive,rsense",
    [
        ("linear", ".model linear memristor (level=linear)", 0.0, 0.0),
        ("linear", ".model linear memristor (level=linear)", 10.0, 5.0),
        ({"level": "sinh", "beta": 2.6}, ".model custom memristor (level=sinh beta=2.6)", 0.0, 0.0),
        ({"level": "sinh", "beta": 2.6}, ".model custom memristor (level=sinh beta=2.6)", 10.0, 10.0),
    ],
)
def test_solve_equals_card_netlist(tmp_path, model, card, rdrive, rsense):
    rng = np.random.default_rng(7)
    g = rng.uniform(10e-6, 100e-6, (16, 12))
    v = rng.uniform(0.0, 0.3, 16)
    xb = xbarsim.Crossbar(g, r_row=2.5, r_col=1.5, model=model, r_drive=rdrive, r_sense=rsense)
    cur, maps = xb.solve(v, return_maps=True)
    name = "linear" if isinstance(model, str) else "custom"
    want, vcell = card_netlist(tmp_path, g, v, 2.5, 1.5, card, name, rdrive, rsense)
    assert cur.shape == (12,) and maps.shape == (16, 12)
    np.testing.assert_allclose(cur, want, rtol=1e-12, atol=0)
    np.testing.assert_allclose(maps, vcell, rtol=1e-12, atol=1e-15)


def test_batch_equals_one_by_one_and_is_kept():
    rng = np.random.default_rng(3)
    g = rng.uniform(10e-6, 100e-6, (32, 24))
    V = rng.uniform(0.0, 0.3, (32, 300))  # more than one chunk of 256 vectors
    for model in ("linear", {"level": "sinh", "beta": 2.6}):
        xb = xbarsim.Crossbar(g, r_row=2.0, r_col=2.0, model=model)
        cur, maps = xb.solve(V, return_maps=True)
        assert cur.shape == (24, 300) and maps.shape == (32, 24, 300)
        for k in (0, 1, 150, 299):
            one, m = xbarsim.Crossbar(g, r_row=2.0, r_col=2.0, model=model).solve(
                V[:, k], return_maps=True
            )
            np.testing.assert_allclose(cur[:, k], one, rtol=1e-9)
            # Newton stops within vntol (1e-9 V): node voltages agree to that.
            np.testing.assert_allclose(maps[:, :, k], m, rtol=0, atol=1e-10)
    # A linear array factors once: a later .vmm needs no factorization.
    xb = xbarsim.Crossbar(g, r_row=2.0, r_col=2.0)
    xb.solve(V[:, 0])
    assert xb.vmm(V[:, :10].T).factorizations == 0


@pytest.mark.parametrize("n", [8, 33])
def test_against_badcrossbar(n):
    """badcrossbar (a peer) on linear arrays with wire resistance: rows are
    driven at one end, columns read at the far end, r_i per segment."""
    rng = np.random.default_rng(n)
    R = rng.uniform(1e3, 1e5, (n, n + 3))
    V = rng.uniform(0.0, 0.5, (n, 4))
    peer = badcrossbar.compute(V, R, r_i=2.0).currents.output  # (vectors, cols)
    xb = xbarsim.Crossbar(1.0 / R, r_row=2.0, r_col=2.0)
    got = xb.solve(V)  # (cols, vectors)
    np.testing.assert_allclose(got.T, peer, rtol=1e-9, atol=0)


def test_gil_is_released_during_solves():
    """Two threads solving at once are inside native code at the same time
    (counted by the module), which they cannot be if the GIL is held."""
    rng = np.random.default_rng(1)
    gs = [rng.uniform(10e-6, 100e-6, (96, 96)) for _ in range(2)]
    _xbarsim._most_in_flight(reset=True)
    xb = xbarsim.Crossbar(gs[0], r_row=1.0, r_col=1.0)
    for _ in range(3):
        xb.solve(np.full(96, 0.2))
    assert _xbarsim._most_in_flight() == 1  # one thread: never two at once

    start = threading.Barrier(2)
    errors = []

    def work(g):
        try:
            start.wait()
            for k in range(20):
                x = xbarsim.Crossbar(g * (1 + 0.01 * k), r_row=1.0, r_col=1.0,
                                     model={"level": "sinh", "beta": 2.6})
                x.solve(np.full(96, 0.2))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    _xbarsim._most_in_flight(reset=True)
    threads = [threading.Thread(target=work, args=(g,)) for g in gs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _xbarsim._most_in_flight() == 2


def interrupted(call, after=1.0):
    """Run `call` with Ctrl-C pressed `after` seconds in (as a terminal's
    SIGINT reaches Python: `_thread.interrupt_main`); it must raise
    KeyboardInterrupt."""
    timer = threading.Timer(after, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        timer.cancel()


def test_ctrl_c_stops_a_running_analysis(tmp_path):
    """Ctrl-C during a native call stops it at its next solve and raises
    KeyboardInterrupt: the run's files are complete and say so (a run left
    to finish, 90 s here, would record no failure), a study keeps no
    record of its unfinished points, and the next calls run."""
    root = pathlib.Path(__file__).resolve().parents[2]
    out = tmp_path / "out"
    interrupted(lambda: xbarsim.run(root / "netlists" / "tune_64x64.cir", out=out))
    rec = json.loads((out / "program.json").read_text())
    assert rec["failure"] == "interrupted"
    assert rec["reads"] < 64 * 64 * 3

    # A study: the points stopped part way keep no record (a resumed study
    # runs them again), and there is no table of part of the study.
    out = tmp_path / "study"
    interrupted(lambda: xbarsim.run(root / "studies" / "threshold_spread.cir", out=out))
    points = sorted(out.glob("point_*"))
    assert points, "the study had started"
    assert not list(out.glob("point_*/point.json"))
    assert not (out / "steps.csv").exists()

    # An array's card: it keeps the states it reached and solves on.
    rng = np.random.default_rng(3)
    xb = xbarsim.Crossbar(np.full((64, 64), 20e-6), r_row=0.9, r_col=0.9,
                          model="tio2x_pulse")
    targets = rng.uniform(10e-6, 100e-6, (64, 64))
    interrupted(lambda: xb.program(targets))
    before = xb.g
    assert np.any(before != 20e-6), "it ran before the interrupt"
    currents = xb.solve(np.full(64, 0.1))
    assert currents.shape == (64,) and np.all(np.isfinite(currents))
    np.testing.assert_array_equal(xb.g, before)


def test_read_sizing_program_equal_their_cards(tmp_path):
    rng = np.random.default_rng(5)
    g = rng.uniform(3e-6, 100e-6, (8, 8))
    np.savetxt(tmp_path / "g.csv", g, delimiter=",", fmt="%.17g")
    # The shipped library text the Crossbar uses, inline in the netlist.
    head = _xbarsim.library("tio2x_pulse")[0] + "\n"
    xb = xbarsim.Crossbar(g, r_row=0.9, r_col=0.9, model="tio2x_pulse", r_drive=1.0, r_sense=1.0)

    def card(line):
        text = (
            "card\n" + head
            + '.crossbar xb rows=8 cols=8 model=tio2x_pulse rrow=0.9 rcol=0.9 g=file("g.csv")\n'
            + line + "\n.end\n"
        )
        (tmp_path / "c.cir").write_text(text)
        return xbarsim.run(tmp_path / "c.cir")

    r = xb.read(2, 5, v=0.5, scheme="v/3")
    want = card(".read xb row=2 col=5 v=0.5 scheme=v/3 rdrive=1 rsense=1")["read"]
    for f in ("v_cell", "i_cell", "i_column", "i_sneak"):
        assert np.array_equal(getattr(r, f), getattr(want, f))
    assert r.margin == want.margin

    s = xb.sizing([4, 8, 16], metric="vmm", limit=5, v=0.25)
    want = card(".sizing xb sizes=4,8,16 metric=vmm limit=5 v=0.25 rdrive=1 rsense=1")["sizing"]
    assert np.array_equal(s.figure, want.figure) and s.best == want.best

    t = rng.uniform(10e-6, 60e-6, (8, 8))
    np.savetxt(tmp_path / "t.csv", t, delimiter=",", fmt="%.17g")
    p = xb.program(t, cycles=2, seed=3)
    want = card('.program xb target=file("t.csv") cycles=2 seed=3')["program"]
    assert np.array_equal(p.g_measured, want.g_measured)
    assert np.array_equal(p.error_pct, want.error_pct)
    assert p.scalars == want.scalars
    # Per cycle, the disturbed devices split into drifted and read-shifted.
    c = p.cycles
    assert np.array_equal(
        c["drifted_devices"] + c["read_shifted_devices"], c["disturbed_devices"]
    )
    assert max(p.drifted_devices, p.read_shifted_devices) <= p.disturbed_devices
    assert p.drifted_devices + p.read_shifted_devices >= p.disturbed_devices
    # The array keeps what programming left.
    assert np.array_equal(xb.g, p.g_state_final)
    assert not np.array_equal(xb.g, np.clip(g, 3e-6, 100e-6))


def test_conductances_kept_and_replaced():
    g = np.full((4, 5), 1e-5)
    xb = xbarsim.Crossbar(g, r_row=1.0, r_col=1.0)
    i1 = xb.solve(np.ones(4))
    xb.g = 2 * g
    i2 = xb.solve(np.ones(4))
    assert np.array_equal(xb.g, 2 * g)
    assert np.all(i2 > 1.9 * i1)
    with pytest.raises(ValueError, match="shape"):
        xb.g = np.ones((5, 4))


def test_window_clipping_warns():
    with pytest.warns(UserWarning, match="clipped"):
        xb = xbarsim.Crossbar(np.full((3, 3), 1e-3), model="tio2x")
    np.testing.assert_allclose(xb.g, 100e-6, rtol=1e-15)  # the card's gmax=100u


def test_layouts_and_dtypes():
    rng = np.random.default_rng(2)
    big = rng.uniform(1e-5, 1e-4, (10, 16))
    view = big[:, ::2]  # not contiguous
    a = xbarsim.Crossbar(view, r_row=1.0, r_col=1.0)
    b = xbarsim.Crossbar(np.ascontiguousarray(view), r_row=1.0, r_col=1.0)
    v = rng.uniform(0, 0.3, (10, 3))
    assert np.array_equal(a.solve(v), b.solve(v))
    assert np.array_equal(a.solve(np.asfortranarray(v)), b.solve(v))
    # Vectors after the first are solved as corrections from the first
    # one's solution: another order agrees to rounding, not bit for bit.
    np.testing.assert_allclose(a.solve(v[:, ::-1]), b.solve(v)[:, ::-1], rtol=1e-13)
    c = xbarsim.Crossbar(view.astype(np.float32), r_row=1.0, r_col=1.0)
    assert np.array_equal(c.g, view.astype(np.float32).astype(np.float64))
    d = xbarsim.Crossbar([[1e-5, 2e-5], [3e-5, 4e-5]])  # lists convert
    assert d.shape == (2, 2)
    i = xbarsim.Crossbar(np.ones((2, 2), dtype=np.int64))
    assert i.g.dtype == np.float64


@pytest.mark.parametrize(
    "g,match",
    [
        (np.ones(4), "2-D"),
        (np.ones((2, 2, 2)), "2-D"),
        (np.zeros((0, 3)), "at least one"),
        (np.array([[1e-5, -1e-5]]), r"g\[0, 1\] is -1e-05"),
        (np.array([[1e-5], [np.nan]]), r"g\[1, 0\] is nan"),
        (np.array([[np.inf]]), "finite"),
        (np.array([["a", "b"]]), "numbers"),
        (np.array([[1e-5, None]], dtype=object), r"g\[0, 1\] is nan"),
    ],
)
def test_bad_conductances(g, match):
    with pytest.raises(ValueError, match=match):
        xbarsim.Crossbar(g)


def test_bad_calls():
    xb = xbarsim.Crossbar(np.full((3, 4), 1e-5), r_row=1.0, r_col=1.0)
    with pytest.raises(ValueError, match="v has 4 rows; this crossbar has 3"):
        xb.solve(np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        xb.solve(np.array([0.1, np.nan, 0.2]))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        xb.solve(np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match="r_row"):
        xbarsim.Crossbar(np.ones((2, 2)), r_row=-1)
    with pytest.raises(ValueError, match="r_sense"):
        xbarsim.Crossbar(np.ones((2, 2)), r_sense=float("nan"))
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        xbarsim.Crossbar(np.ones((2, 2)), model="nope")
    with pytest.raises(ValueError, match="row must be"):
        xb.read(3, 0)
    # A card the analysis refuses: located in the generated card's line.
    with pytest.raises(xbarsim.NetlistError) as e:
        xb.run_card("read", row=0, col=0, v=0.25, scheme="sideways")
    assert e.value.line is not None and "scheme" in e.value.diagnostic
    # The array is still usable afterwards.
    assert xb.solve(np.ones(3)).shape == (4,)


def test_run_errors_carry_location(tmp_path):
    net = tmp_path / "bad.cir"
    net.write_text("bad\nR1 a 0 1k\nV1 a 0 1\nR2 a 0 {undefined_p}\n.op\n.end\n")
    with pytest.raises(xbarsim.NetlistError) as e:
        xbarsim.run(net)
    err = e.value
    assert (err.file, err.line, err.column) == (str(net), 4, 9)
    assert "undefined parameter 'undefined_p'" in err.message
    assert "undefined_p" in err.diagnostic and err.exit_code == 2
    assert isinstance(err, ValueError)
    with pytest.raises(xbarsim.NetlistError, match="cannot read|No such file"):
        xbarsim.run(tmp_path / "missing.cir")


def test_run_params_text_and_pandas(tmp_path):
    text = "divider\n.param r2=1k\nV1 a 0 1\nR1 a b 1k\nR2 b 0 {r2}\n.op\n.dc V1 0 1 0.5\n.end\n"
    r = xbarsim.run(text)
    assert r["op"]["v(b)"] == pytest.approx(0.5, rel=1e-12)
    r = xbarsim.run(text, params={"r2": 3000.0, "V1": 2.0})
    assert r["op"]["v(b)"] == pytest.approx(1.5, rel=1e-12)
    df = r["dc"].to_pandas()
    assert list(df.columns[:3]) == ["v1", "v(a)", "v(b)"]
    np.testing.assert_allclose(df["v(b)"], [0, 0.375, 0.75], rtol=1e-12)
    s = r["op"].to_pandas()
    assert s["v(a)"] == 2.0
    with pytest.raises(xbarsim.NetlistError, match="'nope' is not a .param"):
        xbarsim.run(text, params={"nope": 1.0})
    out = tmp_path / "o"
    r = xbarsim.run(text, out=out)
    assert r.out == str(out) and (out / "op.csv").exists() and (out / "manifest.json").exists()


def test_study_table(root):
    r = xbarsim.run(root / "netlists" / "study_read_margin.cir")
    assert r.steps is not None and len(r.steps["point"]) == 16
    assert r.to_pandas().shape[0] == 16
    assert np.isfinite(r.steps["read.margin_pct"]).all()


def test_study_with_fixed_params(tmp_path):
    """`params` fix values at every point of a study: each point's results
    equal those of the study of the netlist with the values written in, bit
    for bit, and so does its table (but for its times). A stepped name
    cannot also be fixed."""
    net = ("study with a fixed value\n.param a=1\n.param b=2\nV1 n 0 {a}\n"
           "R1 n m {b*1k}\nR2 m 0 1k\n.step param a list 1 2 4\n.op\n.end\n")
    got = xbarsim.run(net, params={"b": 3}, out=tmp_path / "got")
    want = xbarsim.run(net.replace(".param b=2", ".param b=3"), out=tmp_path / "want")
    plain = xbarsim.run(net, out=tmp_path / "plain")
    assert list(got.steps) == list(want.steps)
    for k in want.steps:
        if k != "seconds":
            np.testing.assert_array_equal(got.steps[k], want.steps[k])
    for n, a in enumerate([1.0, 2.0, 4.0], start=1):
        point = lambda run: (tmp_path / run / f"point_{n}" / "op.csv").read_text()
        assert point("got") == point("want")
        assert point("got") != point("plain")
        # v(m) = a·1k/(b·1k + 1k) at b = 3.
        vm = dict(line.split(",") for line in point("got").splitlines()[1:])["v(m)"]
        assert float(vm) == pytest.approx(a / 4, rel=1e-12)
    with pytest.raises(xbarsim.NetlistError, match="'a' is stepped by this study"):
        xbarsim.run(net, params={"a": 3})


def test_each_run_lists_only_its_own_inputs(tmp_path):
    """A long-lived process runs many netlists: each manifest lists the
    files that run read, not every file the process ever read."""
    import json

    np.savetxt(tmp_path / "g.csv", np.full((2, 2), 1e-5), delimiter=",")
    a = tmp_path / "a.cir"
    a.write_text(
        "a\n.model m memristor (level=linear)\n"
        '.crossbar xb rows=2 cols=2 model=m rrow=1 rcol=1 g=file("g.csv")\n'
        "V1 xb.w0 0 1\nV2 xb.s0 0 0\n.op\n.end\n"
    )
    b = tmp_path / "b.cir"
    b.write_text("b\nV1 n 0 1\nR1 n 0 1k\n.op\n.end\n")
    for net, out in ((a, "oa"), (b, "ob"), (a, "oa2")):
        xbarsim.run(net, out=tmp_path / out)
    names = lambda out: sorted(
        os.path.basename(i["path"]) for i in json.loads((tmp_path / out / "manifest.json").read_text())["inputs"]
    )
    assert names("oa") == ["a.cir", "g.csv"]
    assert names("ob") == ["b.cir"]
    assert names("oa2") == ["a.cir", "g.csv"]
