"""Shared paths: the repository, its shipped netlists and the CLI binary the
Python results are compared with (``XBARSIM_BIN``, else the release build)."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> str:
    exe = os.environ.get("XBARSIM_BIN") or str(ROOT / "target" / "release" / "xbarsim")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "build", "--release", "--bin", "xbarsim"], cwd=ROOT, check=True)
    return exe
