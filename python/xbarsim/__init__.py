"""xbarsim: exact, fast DC simulation of passive memristor crossbars.

Two ways in:

- :func:`run` runs a SPICE-style netlist (a file or its text) exactly as
  ``xbarsim run`` does and returns every analysis's result as numpy arrays;
- :class:`Crossbar` builds an array from a numpy conductance matrix and
  solves it, keeping its factorization between calls.

Units are SI: volts, amperes, siemens, ohms, seconds.
"""

from __future__ import annotations

import os
import tempfile
import warnings as _warnings
from typing import Mapping, Optional, Union

from . import _results, _xbarsim
from ._crossbar import Crossbar, models
from ._results import (
    AnalysisResult,
    DcResult,
    MeasResult,
    OpResult,
    PerceptronResult,
    ProgramResult,
    PulsesResult,
    ReadResult,
    RunResult,
    SizingResult,
    ThresholdsResult,
    VmmResult,
    _read_steps,
    _result,
)

NetlistError = _xbarsim.NetlistError
AnalysisError = _xbarsim.AnalysisError
__version__ = _xbarsim.__version__

__all__ = ["run", "Crossbar", "models", "NetlistError", "AnalysisError"] + _results.__all__


def run(
    netlist: Union[str, "os.PathLike[str]"],
    params: Optional[Mapping[str, float]] = None,
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    *,
    plots: Optional[bool] = None,
    verbose: bool = False,
) -> RunResult:
    """Run every analysis of a netlist, as ``xbarsim run NETLIST -o OUT`` does.

    Parameters
    ----------
    netlist : str or path
        A netlist file, or netlist text (a string with a line break; its
        ``.include`` and ``file(...)`` paths resolve from the current
        folder).
    params : dict, optional
        ``.param`` values, independent source values (V or A, by source
        name) or ``temp`` (°C), fixed as one point of a ``.step`` fixes them;
        in a ``.step``/``.mc`` study, fixed at every point (a stepped name
        cannot also be fixed).
    out : path, optional
        Folder for the result files (as ``-o``); without it they go to a
        temporary folder that is removed.
    plots : bool, optional
        Draw the PNG pictures (default: only when ``out`` is given).
    verbose : bool
        Print the CLI's console lines.

    Returns
    -------
    RunResult
        One typed result per analysis (``result["op"]``, ...) or, for a
        ``.step``/``.mc`` study, its table in ``result.steps``.

    Raises
    ------
    NetlistError
        Bad input; ``.file``, ``.line``, ``.column`` say where, ``.diagnostic``
        is the rendered message.
    AnalysisError
        An analysis failed (results of the analyses before it are in ``out``).
    KeyboardInterrupt
        Ctrl-C stopped the run at its next solve; the files in ``out`` are
        complete (an interrupted analysis records ``"failure":
        "interrupted"``).
    """
    text: Optional[str] = None
    if isinstance(netlist, str) and ("\n" in netlist or "\r" in netlist):
        text = netlist
        path = os.path.join(os.getcwd(), "<netlist>")
    else:
        path = os.fspath(netlist)
    pv = []
    for k, v in (params or {}).items():
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"params[{k!r}] must be a number, got {v!r}") from None
        pv.append((str(k), x))
    if plots is None:
        plots = out is not None
    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="xbarsim-run-")
        folder = tmp.name
    else:
        folder = os.fspath(out)
    try:
        r = _xbarsim.run(path, text, pv, folder, bool(plots), bool(verbose))
        steps = _read_steps(os.path.join(folder, "steps.csv")) if r["study"] else None
    finally:
        if tmp is not None:
            tmp.cleanup()
    for w in r["warnings"]:
        _warnings.warn(w.strip(), stacklevel=2)
    return RunResult(
        [_result(d) for d in r["analyses"]],
        steps,
        None if tmp is not None else folder,
        list(r["warnings"]),
    )
