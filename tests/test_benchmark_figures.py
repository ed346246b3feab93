"""Every figure the README's speed table and the docs pages' prose quote is one that the
benchmark's results file holds: one figure, one value, from the latest run."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = (ROOT / "benchmarks" / "results.md").read_text()


def _numbers(text):
    return re.findall(r"(?<![\w.])\d+\.\d+", text)


def _speed_table(readme):
    """The result column of the README's table of measured comparisons."""
    start = readme.index("| comparison | result |")
    rows = readme[start:].split("\n\n")[0].splitlines()[2:]
    return [row.rsplit("|", 2)[-2] for row in rows]


@pytest.mark.parametrize("cell", _speed_table((ROOT / "README.md").read_text()))
def test_each_figure_of_the_readmes_speed_table_is_in_the_results_file(cell):
    known = _checked_figures().known_figures(RESULTS)
    missing = [n for n in _numbers(cell) if n not in known]
    assert not missing, f"{missing} in {cell!r} are not in benchmarks/results.md"


def test_each_speed_figure_of_the_readmes_migration_section_is_in_its_results_file():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Coming from MLPClassifier"):]
    start = section.index("An epoch of adam")
    prose = section[start:section.index("\n## ", start)]
    known = _checked_figures().known_figures(
        (ROOT / "benchmarks" / "stochastic_results.md").read_text())
    figures = _numbers(prose)
    assert len(figures) >= 8
    missing = [n for n in figures if n not in known]
    assert not missing, f"{missing} are not in benchmarks/stochastic_results.md"


def _checked_figures():
    """docs/_ext/checked_figures.py, the docs build's check, imported from its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "checked_figures", ROOT / "docs" / "_ext" / "checked_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_docs_check_finds_figures_in_prose_and_not_elsewhere():
    check = _checked_figures()
    page = ("At 5000×400 it takes 1.10× the floor, 0.53 ms, 96% of 3 s and 120 MiB,\n"
            "with ``tol=1e-4`` and 25 hidden units.\n\n.. image:: a_1.5.png\n   :width: 70%\n\n"
            "Literal::\n\n    2.25 ms\n\nafter 4 ms.\n")
    assert [figure for _, figure in check.figures_of(page)] == [
        "1.10", "0.53", "96", "3", "120", "4"]
    results = "| 1.1012 | 0.53 | 0.962 | 3.04 | 120 | 4.0 |"
    assert check.stray_figures(page, results) == []
    assert check.stray_figures(page.replace("0.53 ms", "0.54 ms"), results) == [(1, "0.54")]


@pytest.mark.parametrize("page, results", [("index.rst", "results.md"),
                                           ("performance.rst", "results.md"),
                                           ("cluster.rst", "cluster_results.md"),
                                           ("migration.rst", "stochastic_results.md")])
def test_each_figure_a_page_quotes_is_one_of_its_results(page, results):
    check = _checked_figures()
    stray = check.stray_figures((ROOT / "docs" / page).read_text(),
                                (ROOT / "benchmarks" / results).read_text())
    assert not stray, f"docs/{page} quotes figures benchmarks/{results} does not hold: {stray}"
