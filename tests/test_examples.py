"""Every example runs, headless, from a clean process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each example runs as a script in a process of its own.
pytestmark = pytest.mark.slow

pytest.importorskip("matplotlib")
pytest.importorskip("PIL")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("plot_*.py"))


# A matplotlib backend that draws like Agg and reports each plt.show() call.
PROBE = """
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas


def show(*args, **kwargs):
    import matplotlib.pyplot as plt
    print(f"shown: {len(plt.get_fignums())} figure(s)")
"""


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs_and_shows_its_figures(script, tmp_path):
    (tmp_path / "show_probe.py").write_text(PROBE)
    env = {**os.environ, "MPLBACKEND": "module://show_probe",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path),
                                                       os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, script], cwd=EXAMPLES, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "the example printed nothing"
    shown = [line for line in result.stdout.splitlines() if line.startswith("shown: ")]
    assert shown and shown[-1] != "shown: 0 figure(s)", "run as a script, it shows no figure"


def test_drawing_script_does_not_overwrite(tmp_path):
    before = {p: p.read_bytes() for p in (EXAMPLES / "drawn").glob("*.png")}
    assert len(before) == 10
    result = subprocess.run([sys.executable, "draw_digits.py"], cwd=EXAMPLES,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "Kept 10 existing drawing(s)" in result.stdout and "--force" in result.stdout
    assert {p: p.read_bytes() for p in (EXAMPLES / "drawn").glob("*.png")} == before
