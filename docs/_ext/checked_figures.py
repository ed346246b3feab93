"""A Sphinx extension: the figures a page quotes are figures of the results file it cites.

A page that reports measurements names its results file in ``conf.py``'s
``checked_figures`` (``{docname: path}``).  Every measured figure in the
page's own prose (a decimal number, or a number with a unit of time,
``%``, ``MiB``, ``×`` or iterations) must then be one that the results file
holds, as written or rounded (a fraction of the file may be quoted as a
percentage).  A figure the file does not hold is a warning naming the page,
its line and the figure; ``sphinx-build -W`` makes it an error.  Sizes (``5000×400``),
literal text and the included results file itself are not prose.
"""

import re
from pathlib import Path

__all__ = ["figures_of", "known_figures", "stray_figures"]

_NUMBER = r"\d+(?:\.\d+)?"
# A decimal number, or a whole number followed by a unit (not a size like 5000×400).
_FIGURE = re.compile(
    r"(?<![\w.·^-])(?:(\d+\.\d+)(?![\d.]*\d)(?!×\d)"  # a decimal, not a size's side
    r"|(\d+)\s?(?:ms|µs|s|MiB|%|×(?!\d)|iterations))(?![\w\d])"  # a whole number with a unit
)
_LITERAL = re.compile(r"``.*?``|:\w+:`.*?`", re.DOTALL)


def _prose_lines(text):
    """(line number, text) of the lines outside directive and literal blocks."""
    in_block, block_indent = False, 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if in_block:
            if not stripped or indent > block_indent:
                continue
            in_block = False
        if stripped.startswith(".. ") or stripped.endswith("::"):
            in_block, block_indent = True, indent
            if stripped.startswith(".. "):
                continue
        yield number, line


def figures_of(text):
    """Each measured figure of ``text``'s prose, as ``(line number, figure)``."""
    # Inline literals may span lines: take them out of the whole text, keeping lines.
    text = _LITERAL.sub(lambda match: "\n" * match.group().count("\n"), text)
    return [(number, figure) for number, line in _prose_lines(text)
            for match in _FIGURE.finditer(line)
            for figure in [match.group(1) or match.group(2)]]


def known_figures(results):
    """The figures a results file's text backs: each as written, rounded, or as a percentage."""
    known = set()
    for written in re.findall(_NUMBER, results):
        value = float(written)
        known.add(written)
        known.update(f"{value:.{digits}f}" for digits in range(3))
        if value <= 1:
            known.update(f"{100 * value:.{digits}f}" for digits in range(2))
    return known


def stray_figures(page_text, results_text):
    """The page's figures that its results file does not back, as ``(line number, figure)``."""
    known = known_figures(results_text)
    return [(number, figure) for number, figure in figures_of(page_text)
            if figure not in known]


def _check(app, docname, source):
    cited = app.config.checked_figures.get(docname)
    if cited is None:
        return
    from sphinx.util import logging

    path = Path(app.confdir, cited)
    for number, figure in stray_figures(source[0], path.read_text(encoding="utf-8")):
        logging.getLogger(__name__).warning(
            f"{figure} is not a figure of {cited}, the results this page cites",
            location=(docname, number))


def setup(app):
    app.add_config_value("checked_figures", {}, "env")
    app.connect("source-read", _check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
