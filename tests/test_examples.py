"""Every example runs, headless, from a clean process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("PIL")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("plot_*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, script], cwd=EXAMPLES, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "the example printed nothing"


def test_drawing_script_does_not_overwrite(tmp_path):
    before = {p: p.read_bytes() for p in (EXAMPLES / "drawn").glob("*.png")}
    assert len(before) == 10
    result = subprocess.run([sys.executable, "draw_digits.py"], cwd=EXAMPLES,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == ""
    assert {p: p.read_bytes() for p in (EXAMPLES / "drawn").glob("*.png")} == before
