"""Every figure the README's and the performance page's speed tables quote is one that
the benchmark's results file holds: one figure, one value, from the latest run."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = (ROOT / "benchmarks" / "results.md").read_text()


def _numbers(text):
    return re.findall(r"(?<![\w.])\d+\.\d+", text)


def _results_numbers():
    return set(_numbers(RESULTS)) | {f"{float(n):.1f}" for n in _numbers(RESULTS)} | {
        f"{float(n) * 100:.1f}" for n in _numbers(RESULTS) if float(n) < 1}


def _speed_table(readme):
    """The result column of the README's table of measured comparisons."""
    start = readme.index("| comparison | result |")
    rows = readme[start:].split("\n\n")[0].splitlines()[2:]
    return [row.rsplit("|", 2)[-2] for row in rows]


@pytest.mark.parametrize("cell", _speed_table((ROOT / "README.md").read_text()))
def test_each_figure_of_the_readmes_speed_table_is_in_the_results_file(cell):
    known = _results_numbers()
    missing = [n for n in _numbers(cell) if n not in known]
    assert not missing, f"{missing} in {cell!r} are not in benchmarks/results.md"
