"""Result classes: one per analysis, numpy arrays for every table and map.

Units are SI throughout: volts, amperes, siemens, ohms, seconds; errors and
shares in percent where the name says ``_pct``. Maps are 2-D arrays indexed
``[row, col]`` as the crossbar numbers them (row 0 north, column 0 west).
"""

from __future__ import annotations

import csv
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

__all__ = [
    "AnalysisResult",
    "OpResult",
    "DcResult",
    "VmmResult",
    "ReadResult",
    "SizingResult",
    "ProgramResult",
    "PulsesResult",
    "ThresholdsResult",
    "PerceptronResult",
    "MeasResult",
    "RunResult",
]


def _shape(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"array{x.shape}"
    if isinstance(x, dict):
        return f"dict[{len(x)}]"
    if isinstance(x, (list, tuple)):
        return f"list[{len(x)}]"
    if isinstance(x, float):
        return f"{x:.6g}"
    return repr(x)


class AnalysisResult:
    """The result of one analysis card.

    Every result has ``kind`` (the card's directive: ``"op"``, ``"read"``,
    ...) and ``scalars``: its headline numbers by the names a ``.step``
    study's ``steps.csv`` gives them (``"read.margin_pct"``). The other
    attributes are the kind's own (see each class).
    """

    kind: str
    scalars: Dict[str, float]

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def fields(self) -> List[str]:
        """The names of this result's attributes."""
        return list(self.__dict__)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{k}={_shape(v)}" for k, v in self.__dict__.items() if k not in ("kind", "scalars")
        )
        return f"{type(self).__name__}({parts})"


class _ByQuantity(AnalysisResult):
    """A result indexed by quantity name (``v(n1)``, ``i(vs0)``; any case):
    ``r[name]``, ``name in r``, ``r.keys()``, iteration over the names."""

    names: List[str]
    _what = "result"

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)
        self._index = {n: k for k, n in enumerate(self.names)}

    def _column(self, name: str) -> int:
        try:
            return self._index[name.lower()]
        except KeyError:
            raise KeyError(f"{name!r} is not a quantity of this {self._what}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def keys(self) -> List[str]:
        return list(self.names)

    def fields(self) -> List[str]:
        return [k for k in self.__dict__ if not k.startswith("_")]


class OpResult(_ByQuantity):
    """``.op``: every node voltage ``v(node)`` (V) and voltage-source current
    ``i(source)`` (A, SPICE sign: positive into the + terminal), keyed by
    quantity; ``vcell`` maps each crossbar's name to its device voltages
    V(top) − V(bottom) (rows × cols, V)."""

    values: np.ndarray
    vcell: Dict[str, np.ndarray]
    iterations: int
    factorizations: int
    _what = "operating point"

    def __getitem__(self, name: str) -> float:
        return float(self.values[self._column(name)])

    def __repr__(self) -> str:
        return f"OpResult({len(self.names)} quantities, vcell={list(self.vcell)})"

    def to_pandas(self) -> Any:
        """The operating point as a ``pandas.Series`` indexed by quantity."""
        import pandas as pd

        return pd.Series(self.values, index=self.names, name="value")


class DcResult(_ByQuantity):
    """``.dc``: one row per sweep point; ``table`` is points × quantities,
    ``names`` the columns (the swept source first). Indexing by a quantity
    gives its column. ``failure`` says where a sweep stopped (rows before
    it are kept)."""

    table: np.ndarray
    failure: Optional[str]
    _what = "sweep"

    def __getitem__(self, name: str) -> np.ndarray:
        return self.table[:, self._column(name)]

    def __repr__(self) -> str:
        return f"DcResult({self.table.shape[0]} points x {len(self.names)} quantities)"

    def to_pandas(self) -> Any:
        """The sweep as a ``pandas.DataFrame``, one column per quantity."""
        import pandas as pd

        return pd.DataFrame(self.table, columns=self.names)


class VmmResult(AnalysisResult):
    """``.vmm`` / ``Crossbar.vmm``: ``currents`` and ``ideal`` (vectors ×
    cols, A): the column currents through the circuit and the ideal
    Σ_i I(g_ij, V_i); ``rel_error`` per vector ‖I − I_ideal‖/‖I_ideal‖;
    ``ir_drop`` (rows × cols, V) the input each device of vector 0 does not
    see."""

    currents: np.ndarray
    ideal: np.ndarray
    rel_error: np.ndarray
    ir_drop: np.ndarray
    iterations: int
    factorizations: int
    failure: Optional[str]


class ReadResult(AnalysisResult):
    """``.read``: one row per case (``cases``: ``as_is``, ``worst_on``,
    ``worst_off`` ...) of ``g_selected``/``g_others`` (S, NaN: the array as
    it is), ``v_cell`` (V), ``i_cell``, ``i_column``, ``i_sneak`` (A); the
    worst-case ``margin`` (A) and ``margin_rel`` (fraction)."""

    cases: List[str]
    g_selected: np.ndarray
    g_others: np.ndarray
    v_cell: np.ndarray
    i_cell: np.ndarray
    i_column: np.ndarray
    i_sneak: np.ndarray
    gon: float
    goff: float
    margin: float
    margin_rel: float


class SizingResult(AnalysisResult):
    """``.sizing``: per N×N size in ``sizes``, the ``figure`` (VMM error or
    read margin, %) and whether it ``meets`` the limit; ``best`` the largest
    size that does (None: none)."""

    sizes: np.ndarray
    figure: np.ndarray
    meets: np.ndarray
    best: Optional[int]
    metric: str
    limit: float


class ProgramResult(AnalysisResult):
    """``.program``: maps (rows × cols) of ``target``, ``g_initial``,
    ``g_final`` (each device read alone, S), ``g_state_final`` (model
    state, S), ``g_measured`` (the final verify read through the circuit,
    S), ``error_pct`` (as measured) and ``error_true_pct`` (the device's own
    error), ``stuck``; ``cycles`` maps each per-cycle statistic to an array
    over cycles. ``disturbed_devices`` splits into ``drifted_devices`` (the
    device's own state moved it out of tolerance) and
    ``read_shifted_devices`` (other devices' new states moved its read)."""

    target: np.ndarray
    g_initial: np.ndarray
    g_final: np.ndarray
    g_state_final: np.ndarray
    g_measured: np.ndarray
    error_pct: np.ndarray
    error_true_pct: np.ndarray
    stuck: np.ndarray
    cycles: Dict[str, np.ndarray]
    disturbed_devices: int
    drifted_devices: int
    read_shifted_devices: int
    failed_devices: int
    tol: float
    failure: Optional[str]


class PulsesResult(AnalysisResult):
    """``.pulse``: states (S) before and after (rows × cols), and per pulse
    its cell, the selected device's voltage and state before/after, and the
    verify read (NaN when not read)."""

    g_before: np.ndarray
    g_after: np.ndarray
    row: np.ndarray
    col: np.ndarray
    v_cell: np.ndarray
    g_pulse_before: np.ndarray
    g_pulse_after: np.ndarray
    g_read: np.ndarray
    failure: Optional[str]


class ThresholdsResult(AnalysisResult):
    """``.thresholds``: measured set and reset thresholds (V, rows × cols;
    NaN where none was found), the model's own draws, ``preset_ok`` and
    ``stuck`` maps."""

    vset: np.ndarray
    vreset: np.ndarray
    vset_model: np.ndarray
    vreset_model: np.ndarray
    g_ramp_start: np.ndarray
    g_peak: np.ndarray
    preset_ok: np.ndarray
    stuck: np.ndarray
    pulses: int
    reads: int
    measured: int
    failure: Optional[str]


class PerceptronResult(AnalysisResult):
    """``.perceptron``: accuracies (fractions) in software, ideal and through
    the circuit; ``confusion`` (classes × classes, true × predicted, circuit);
    per test image its index into the data set and the predictions;
    ``circuit_currents``/``ideal_currents`` (images × columns, A); the
    crossbar's states after import; ``programming``: the write-verify
    import's :class:`ProgramResult` (None for other imports)."""

    name: str
    software_accuracy: float
    ideal_accuracy: float
    circuit_accuracy: float
    confusion: np.ndarray
    test_index: np.ndarray
    software_pred: np.ndarray
    ideal_pred: np.ndarray
    circuit_pred: np.ndarray
    ideal_currents: np.ndarray
    circuit_currents: np.ndarray
    xbar_states: np.ndarray
    mean_rel_error: float
    programming: Optional[ProgramResult]


class MeasResult(AnalysisResult):
    """``.meas``: each measurement's value (NaN when it failed; ``errors``
    says why)."""

    values: Dict[str, float]
    errors: Dict[str, str]

    def __getitem__(self, name: str) -> float:
        return self.values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def keys(self) -> List[str]:
        return list(self.values)


_KINDS = {
    "op": OpResult,
    "dc": DcResult,
    "vmm": VmmResult,
    "read": ReadResult,
    "sizing": SizingResult,
    "program": ProgramResult,
    "pulses": PulsesResult,
    "thresholds": ThresholdsResult,
    "perceptron": PerceptronResult,
    "meas": MeasResult,
}


def _result(d: Dict[str, Any]) -> AnalysisResult:
    """The typed result of a native outcome dict."""
    cls = _KINDS[d["kind"]]
    if d.get("programming") is not None:
        d = dict(d, programming=_result(d["programming"]))
    return cls(**d)


def _read_steps(path: str) -> Dict[str, np.ndarray]:
    """A study's ``steps.csv`` as columns: numbers as float arrays (empty
    cells NaN), text as string arrays."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    cols: Dict[str, np.ndarray] = {}
    for k, name in enumerate(header):
        vals = [r[k] if k < len(r) else "" for r in body]
        try:
            cols[name] = np.array([float(v) if v != "" else np.nan for v in vals])
        except ValueError:
            cols[name] = np.array(vals)
    return cols


class RunResult:
    """Everything a netlist run gave.

    ``analyses``: one result per analysis card, in the order they ran
    (``.meas`` last). ``result["read"]`` is the first of that kind,
    ``result.all("perceptron")`` every one. ``scalars`` gathers every
    analysis's headline numbers. A study (``.step``/``.mc``) has no
    analyses here: ``steps`` holds its table (one entry per column of
    ``steps.csv``, one value per point). ``out`` is the folder written (None
    when ``out`` was not given and the files were discarded).
    """

    def __init__(
        self,
        analyses: List[AnalysisResult],
        steps: Optional[Dict[str, np.ndarray]],
        out: Optional[str],
        warnings: List[str],
    ) -> None:
        self.analyses = analyses
        self.steps = steps
        self.out = out
        self.warnings = warnings

    @property
    def scalars(self) -> Dict[str, float]:
        d: Dict[str, float] = {}
        for a in self.analyses:
            d.update(a.scalars)
        return d

    def all(self, kind: str) -> List[AnalysisResult]:
        return [a for a in self.analyses if a.kind == kind]

    def __getitem__(self, key: Any) -> AnalysisResult:
        if isinstance(key, int):
            return self.analyses[key]
        for a in self.analyses:
            if a.kind == key:
                return a
        kinds = sorted({a.kind for a in self.analyses})
        raise KeyError(f"no {key!r} analysis in this run (it has: {', '.join(kinds) or 'none'})")

    def __contains__(self, kind: object) -> bool:
        return any(a.kind == kind for a in self.analyses)

    def __len__(self) -> int:
        return len(self.analyses)

    def __iter__(self) -> Iterator[AnalysisResult]:
        return iter(self.analyses)

    def to_pandas(self) -> Any:
        """A study's table (``steps``) as a DataFrame; otherwise the single
        ``.op`` or ``.dc`` result's."""
        import pandas as pd

        if self.steps is not None:
            return pd.DataFrame(self.steps)
        for a in self.analyses:
            if a.kind in ("op", "dc"):
                return a.to_pandas()  # type: ignore[attr-defined]
        raise ValueError("this run has no .op, .dc or study table")

    def __repr__(self) -> str:
        if self.steps is not None:
            n = len(next(iter(self.steps.values()))) if self.steps else 0
            return f"RunResult(study: {n} points, out={self.out!r})"
        kinds = ", ".join(a.kind for a in self.analyses)
        return f"RunResult([{kinds}], out={self.out!r})"
