"""Sphinx configuration for the sknn_digits documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` after
``pip install ".[docs]"``.
"""

import os
import sys
from pathlib import Path

import sknn_digits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))  # the examples import their _data helper
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sknn_digits"
author = "sknn_digits developers"
copyright = "2026, sknn_digits developers"
version = release = sknn_digits.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "sphinx-mathjax-offline",  # serves MathJax from the built site: no CDN, works offline
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",
    "checked_figures",  # docs/_ext: a page's figures are those of the results it cites
]

# The pages that quote benchmark figures, and the results file each cites.
checked_figures = {
    "index": "../benchmarks/results.md",
    "performance": "../benchmarks/results.md",
    "cluster": "../benchmarks/cluster_results.md",
    "migration": "../benchmarks/stochastic_results.md",
}

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["custom.css"]  # long names and example lines wrap at 1280 px
# The theme of scikit-learn, numpy, scipy and pandas.  It bundles its fonts,
# icons and scripts, so the site works offline (.ci/run checks no page loads
# anything from another host).
html_theme = "pydata_sphinx_theme"
html_title = "sknn_digits"
html_theme_options = {
    "logo": {"text": "sknn_digits"},
    "navbar_align": "left",
    # At 1280 px: three page links, the rest under "More", the search on the same row.
    "header_links_before_dropdown": 3,
    # The pages of wide tables take the whole width: no "On this page" column.
    "secondary_sidebar_items": {"**": ["page-toc", "sourcelink"],
                                "performance": [], "migration": []},
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}

# Only the API pages have a section to navigate: the other pages' left column stays empty.
html_sidebars = {page: [] for page in (
    "index", "user_guide", "migration", "course_workflow", "drawing", "cli", "persistence",
    "performance", "cluster", "gpu", "robustness", "architecture")}
# "On this page" names a method by its own name, not by its class's too.
toc_object_entries_show_parents = "hide"

autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn generates these on every estimator; its own docs describe them.
    "exclude-members": "set_fit_request,set_score_request,set_transform_request,"
                       "set_predict_request,set_predict_proba_request,set_partial_fit_request,"
                       "set_output",
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# benchmarks/results.md starts at level 2: it is included into performance.rst.
suppress_warnings = ["myst.header"]

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(_data|draw_digits)\.py",
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "capture_repr": (),  # no "Out: <Figure ...>" lines under the examples' code
    "write_computation_times": False,  # the build leaves the tracked tree alone
}

plot_include_source = True
plot_html_show_source_link = False
plot_formats = [("png", 90)]
plot_rcparams = {"figure.figsize": (6, 4), "figure.autolayout": True}

doctest_global_setup = "import numpy as np"


# ---------------------------------------------------------------- links to other projects
# Links to the other libraries' objects by their documentation's URLs.  Their
# inventories would be fetched over the network at build time, and the build
# stays offline: so each object the pages name is listed here, and the
# inventories are written from this list into the build folder.
EXTERNAL = {
    "sklearn": ("scikit-learn", "https://scikit-learn.org/stable/", "modules/generated/{}.html", [
        ("sklearn.neural_network.MLPClassifier", "py:class"),
        ("sklearn.pipeline.Pipeline", "py:class"),
        ("sklearn.preprocessing.MinMaxScaler", "py:class"),
        ("sklearn.model_selection.StratifiedKFold", "py:class"),
        ("sklearn.model_selection.GridSearchCV", "py:class"),
        ("sklearn.metrics.ConfusionMatrixDisplay", "py:class"),
        ("sklearn.datasets.load_digits", "py:function"),
        ("sklearn.datasets.fetch_openml", "py:function"),
        ("sklearn.base.BaseEstimator", "py:class"),
        ("sklearn.base.ClassifierMixin", "py:class"),
        ("sklearn.base.TransformerMixin", "py:class"),
    ]),
    "scipy": ("SciPy", "https://docs.scipy.org/doc/scipy/", "reference/generated/{}.html", [
        ("scipy.optimize.minimize", "py:function"),
    ]),
    "numpy": ("NumPy", "https://numpy.org/doc/stable/", "reference/generated/{}.html", [
        ("numpy.frombuffer", "py:function"),
    ]),
}


def _write_inventories(folder):
    """Sphinx inventories (version 2) of :data:`EXTERNAL`, one file a project."""
    import zlib

    folder.mkdir(parents=True, exist_ok=True)
    mapping = {}
    for key, (project, url, page, objects) in EXTERNAL.items():
        lines = "".join(f"{name} {role} 1 {page.format(name)} -\n" for name, role in objects)
        header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: stable\n"
                  "# The remainder of this file is compressed using zlib.\n")
        path = folder / f"{key}.inv"
        path.write_bytes(header.encode() + zlib.compress(lines.encode()))
        mapping[key] = (url, str(path))
    return mapping


intersphinx_mapping = _write_inventories(ROOT / "docs" / "_build" / "inventories")
