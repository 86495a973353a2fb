"""The README's Python example runs as printed and says what the README
says it prints."""

import os
import re
import subprocess
import sys


def test_readme_example(root, tmp_path):
    text = (root / "README.md").read_text()
    section = text.split("\n## Python\n", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 11  # ten lines and a blank
    claimed = re.search(r"It prints `([^`]*)`", section).group(1)
    env = dict(os.environ, MPLBACKEND="Agg")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == claimed
    assert (tmp_path / "irdrop.png").stat().st_size > 10_000
