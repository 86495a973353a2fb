"""``Crossbar``: a passive memristor array from a numpy conductance matrix."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _xbarsim
from ._results import (
    AnalysisResult,
    ProgramResult,
    PulsesResult,
    ReadResult,
    SizingResult,
    ThresholdsResult,
    VmmResult,
    _result,
)

ModelSpec = Union[str, Mapping[str, Any]]

#: Device laws that need no model file: ``level=`` of a ``.model`` card.
LAWS = ("linear", "sinh", "cubic")


def models() -> list:
    """Model names ``Crossbar(model=...)`` takes: the built-in laws and every
    model of the shipped libraries (``models/*.lib``)."""
    return list(LAWS) + list(_xbarsim.library_models())


def _model_text(model: ModelSpec) -> Tuple[str, str]:
    """(library text, model name) for a model given by name or parameters."""
    if isinstance(model, str):
        name = model.strip().lower()
        if name in LAWS:
            return f".model {name} memristor (level={name})", name
        found = _xbarsim.library(name)
        if found is None:
            raise ValueError(f"unknown model {model!r}: models are {', '.join(models())}")
        return found[0], name
    if isinstance(model, Mapping):
        params = dict(model)
        level = str(params.pop("level", "linear"))
        body = " ".join(f"{k}={_card_value(v)}" for k, v in params.items())
        return f".model custom memristor (level={level} {body})", "custom"
    raise TypeError(f"model must be a name or a dict of .model parameters, not {type(model).__name__}")


def _card_value(v: Any) -> str:
    """A Python value as card text: numbers exactly (repr round-trips)."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if not np.isfinite(x):
            raise ValueError(f"{x} is not a finite number")
        return repr(x)
    if isinstance(v, str):
        if any(c.isspace() for c in v):
            raise ValueError(f"card values have no spaces: {v!r}")
        return v
    if isinstance(v, (list, tuple, np.ndarray)):
        return ",".join(_card_value(x) for x in v)
    raise TypeError(f"cannot put a {type(v).__name__} on a card")


def _float_array(x: Any, name: str, ndim: Tuple[int, ...]) -> np.ndarray:
    """`x` as float64 (no copy when it already is), of one of `ndim`."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be an array of numbers: {e}") from None
    if a.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name} must be {want}, got shape {a.shape}")
    return a


def _ohms(name: str, r: Any) -> float:
    try:
        x = float(r)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a resistance in ohms, got {r!r}") from None
    if not (np.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a finite resistance >= 0 ohm, got {x}")
    return x


def _conductances(g: Any, shape: Optional[Tuple[int, int]] = None) -> np.ndarray:
    a = _float_array(g, "g", (2,))
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"g must have at least one row and one column, got shape {a.shape}")
    if shape is not None and a.shape != shape:
        raise ValueError(f"g has shape {a.shape}; this crossbar is {shape}")
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"g[{i}, {j}] is {a[i, j]}: conductances must be finite and >= 0 S "
            f"({int(bad.sum())} such entries)"
        )
    return a


class Crossbar:
    """A passive N×M memristor crossbar with line resistance, solved exactly.

    Parameters
    ----------
    g : array_like, shape (rows, cols)
        Device states in siemens (the model's state variable: for the
        linear law the conductance itself). Any float dtype or layout;
        float64 arrays are read without a copy by numpy.
    r_row, r_col : float
        Ohms per row / column line segment between neighbouring crosspoints
        (0: ideal lines).
    model : str or dict
        ``"linear"``, ``"sinh"``, ``"cubic"``, a model of the shipped
        libraries (``xbarsim.models()``: ``"tio2x"``, ``"tio2x_pulse"``, ...),
        or a dict of ``.model`` parameters (``{"level": "sinh", "beta": 2.6}``).
    r_drive : float
        Ohms between each row's ideal voltage source and the row's west end.
    r_sense : float
        Ohms between each column's south end and its 0 V sense node.

    The array is the one a ``.crossbar`` card builds (rows driven at the
    west, columns sensed at the south; see the README). Its structure and
    factorization are kept between calls: a linear array factors once and
    every later :meth:`solve` costs only the triangular solves; new
    conductances (:attr:`g`) keep the symbolic analysis. Every native call
    releases the GIL.
    """

    def __init__(
        self,
        g: Any,
        r_row: float = 0.0,
        r_col: float = 0.0,
        model: ModelSpec = "linear",
        r_drive: float = 0.0,
        r_sense: float = 0.0,
    ) -> None:
        a = _conductances(g)
        self._r = {
            "r_row": _ohms("r_row", r_row),
            "r_col": _ohms("r_col", r_col),
            "r_drive": _ohms("r_drive", r_drive),
            "r_sense": _ohms("r_sense", r_sense),
        }
        self._library, self._model = _model_text(model)
        self._model_spec = model
        self._native = _xbarsim.NativeArray(
            a,
            self._library,
            self._model,
            self._r["r_row"],
            self._r["r_col"],
            self._r["r_drive"],
            self._r["r_sense"],
        )
        self._warn_clipped()

    def _warn_clipped(self) -> None:
        n = self._native.clipped
        if n:
            import warnings

            warnings.warn(
                f"{n} device state(s) outside the model's conductance window were clipped into it",
                stacklevel=3,
            )

    # -- properties -------------------------------------------------------

    @property
    def shape(self) -> Tuple[int, int]:
        """(rows, cols)."""
        return (self._native.rows, self._native.cols)

    @property
    def rows(self) -> int:
        return self._native.rows

    @property
    def cols(self) -> int:
        return self._native.cols

    @property
    def unknowns(self) -> int:
        """Unknowns of the nodal system solved (nodes and source currents)."""
        return self._native.unknowns

    @property
    def g(self) -> np.ndarray:
        """The device states (S), a new (rows, cols) array. Setting it keeps
        the array's structure and symbolic factorization."""
        return self._native.conductances()

    @g.setter
    def g(self, value: Any) -> None:
        self._native.set_conductances(_conductances(value, self.shape))
        self._warn_clipped()

    r_row = property(lambda self: self._r["r_row"], doc="Ohms per row segment.")
    r_col = property(lambda self: self._r["r_col"], doc="Ohms per column segment.")
    r_drive = property(lambda self: self._r["r_drive"], doc="Ohms of each row driver.")
    r_sense = property(lambda self: self._r["r_sense"], doc="Ohms of each column sense.")

    @property
    def model(self) -> str:
        return self._model

    def __repr__(self) -> str:
        r = ", ".join(f"{k}={v:g}" for k, v in self._r.items())
        return f"Crossbar({self.rows}x{self.cols}, model={self._model!r}, {r})"

    # -- solving ----------------------------------------------------------

    def solve(self, v: Any, return_maps: bool = False) -> Any:
        """Column currents for input voltages ``v``.

        ``v`` (V) has shape ``(rows,)`` for one input vector or ``(rows, k)``
        for k vectors (the vector axis last, as in I = Gᵀ V). Returns the
        currents into each column's sense (A): shape ``(cols,)`` or
        ``(cols, k)``. With ``return_maps``, also the voltage across every
        device (V): ``(rows, cols)`` or ``(rows, cols, k)``, returned as
        ``(currents, maps)``. Nonlinear arrays are solved by Newton's method
        to the simulator's default tolerances (reltol 1e-6, abstol 1e-12 A,
        vntol 1e-9 V, tighter than SPICE's 1e-3).
        """
        a = _float_array(v, "v", (1, 2))
        one = a.ndim == 1
        if one:
            a = a[:, None]
        if a.shape[0] != self.rows:
            raise ValueError(f"v has {a.shape[0]} rows; this crossbar has {self.rows}")
        cur, maps = self._native.solve(a, return_maps)
        if one:
            cur = cur[:, 0]
            maps = maps[:, :, 0] if maps is not None else None
        return (cur, maps) if return_maps else cur

    def vmm(self, inputs: Any) -> VmmResult:
        """The ``.vmm`` analysis: ``inputs`` (V) one vector per row, shape
        ``(vectors, rows)`` as the card's CSV (or ``(rows,)`` for one);
        currents against the ideal products and the IR drop of vector 0."""
        a = _float_array(inputs, "inputs", (1, 2))
        if a.ndim == 1:
            a = a[None, :]
        if not np.isfinite(a).all():
            raise ValueError("input voltages must be finite")
        return _result(self._native.vmm(a))  # type: ignore[return-value]

    # -- card analyses ----------------------------------------------------

    def run_card(self, directive: str, **params: Any) -> AnalysisResult:
        """Run any analysis card on this array as it is now:
        ``run_card("read", row=0, col=0, v=0.25, scheme="v/2")`` runs
        ``.read xb row=0 col=0 v=0.25 scheme=v/2``. ``.program`` and
        ``.pulse`` leave their final states in the array; Ctrl-C stops a
        card at its next solve (``KeyboardInterrupt``), the array keeping
        the states it reached."""
        words = " ".join(f"{k}={_card_value(v)}" for k, v in params.items() if v is not None)
        card = f".{directive.lstrip('.')} xb {words}"
        return _result(self._native.run_card(card, os.getcwd()))

    def _drivers(self, r_drive: Optional[float], r_sense: Optional[float]) -> Dict[str, float]:
        return {
            "rdrive": self.r_drive if r_drive is None else _ohms("r_drive", r_drive),
            "rsense": self.r_sense if r_sense is None else _ohms("r_sense", r_sense),
        }

    def read(
        self,
        row: int,
        col: int,
        v: float = 0.25,
        scheme: str = "v/2",
        r_drive: Optional[float] = None,
        r_sense: Optional[float] = None,
        gon: Optional[float] = None,
        goff: Optional[float] = None,
    ) -> ReadResult:
        """The ``.read`` analysis of device (row, col) at ``v`` volts under a
        bias ``scheme`` (``"v/2"``, ``"v/3"``, ``"ground"``, ``"float"``):
        the array as it is and the worst cases with every other device at
        ``goff``/``gon`` (S; default: the model's window)."""
        for name, k, n in (("row", row, self.rows), ("col", col, self.cols)):
            if not (isinstance(k, (int, np.integer)) and 0 <= k < n):
                raise ValueError(f"{name} must be an integer 0..{n - 1}, got {k!r}")
        return self.run_card(  # type: ignore[return-value]
            "read", row=int(row), col=int(col), v=v, scheme=scheme, gon=gon, goff=goff,
            **self._drivers(r_drive, r_sense),
        )

    def sizing(
        self,
        sizes: Sequence[int],
        metric: str = "vmm",
        limit: float = 10.0,
        v: Optional[float] = None,
        scheme: Optional[str] = None,
        r_drive: Optional[float] = None,
        r_sense: Optional[float] = None,
        g: Optional[float] = None,
        gon: Optional[float] = None,
        goff: Optional[float] = None,
    ) -> SizingResult:
        """The ``.sizing`` analysis: for N×N arrays of this array's model and
        lines, the VMM error (``metric="vmm"``, at most ``limit`` %) or the
        worst-case read margin (``"read"``, at least ``limit`` %)."""
        return self.run_card(  # type: ignore[return-value]
            "sizing", sizes=list(sizes), metric=metric, limit=limit, v=v, scheme=scheme,
            g=g, gon=gon, goff=goff, **self._drivers(r_drive, r_sense),
        )

    def program(self, targets: Any, **params: Any) -> ProgramResult:
        """The ``.program`` analysis: tune every device towards ``targets``
        (S, shape (rows, cols)) with pulses through the circuit. Keyword
        arguments are the card's (``algorithm="wv"``, ``scheme="v/2"``,
        ``tol=0.05``, ``cycles=3``, ``seed=1``, ...); the model must have
        switching dynamics (``model="tio2x_pulse"``). The array keeps the
        final states."""
        t = _conductances(targets, self.shape)
        with tempfile.TemporaryDirectory(prefix="xbarsim-") as d:
            path = os.path.join(d, "targets.csv")
            np.savetxt(path, t, delimiter=",", fmt="%.17g")
            return self.run_card("program", target=f'file("{path}")', **params)  # type: ignore[return-value]

    def pulse(self, row: int, col: int, v: float, **params: Any) -> PulsesResult:
        """The ``.pulse`` analysis: ``count`` pulses of ``v`` volts on device
        (row, col); the array keeps the states they leave."""
        return self.run_card("pulse", row=row, col=col, v=v, **params)  # type: ignore[return-value]

    def thresholds(self, **params: Any) -> ThresholdsResult:
        """The ``.thresholds`` analysis (set/reset threshold of every device)."""
        return self.run_card("thresholds", **params)  # type: ignore[return-value]
