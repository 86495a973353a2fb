"""Type stubs of the native module (Rust, PyO3). The public API is in
``xbarsim/__init__.py``, ``_crossbar.py`` and ``_results.py``."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

__version__: str

class NetlistError(ValueError):
    """Input xbarsim refuses. ``line``/``column`` are 1-based."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    message: str
    diagnostic: str
    exit_code: int

class AnalysisError(RuntimeError):
    """An analysis that failed on a valid circuit."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    message: str
    diagnostic: str
    exit_code: int

def run(
    path: str,
    text: Optional[str],
    params: Sequence[Tuple[str, float]],
    out: str,
    plots: bool,
    verbose: bool,
) -> Dict[str, Any]:
    """Run a netlist into ``out``; ``{"analyses": [...], "study": bool, "warnings": [...]}``."""

def library(name: str) -> Optional[Tuple[str, str]]:
    """(library text, file name) of the shipped model ``name``."""

def library_models() -> List[str]: ...
def _most_in_flight(reset: bool = False) -> int:
    """Most native calls seen running at once with the GIL released."""

class NativeArray:
    def __init__(
        self,
        g: npt.NDArray[np.float64],
        library: str,
        model: str,
        rrow: float,
        rcol: float,
        rdrive: float,
        rsense: float,
    ) -> None: ...
    @property
    def rows(self) -> int: ...
    @property
    def cols(self) -> int: ...
    @property
    def clipped(self) -> int: ...
    @property
    def unknowns(self) -> int: ...
    def conductances(self) -> npt.NDArray[np.float64]: ...
    def set_conductances(self, g: npt.NDArray[np.float64]) -> None: ...
    def solve(
        self, v: npt.NDArray[np.float64], maps: bool = False
    ) -> Tuple[npt.NDArray[np.float64], Optional[npt.NDArray[np.float64]]]: ...
    def vmm(self, inputs: npt.NDArray[np.float64]) -> Dict[str, Any]: ...
    def run_card(self, card: str, dir: str) -> Dict[str, Any]: ...
