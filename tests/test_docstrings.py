"""Run the Examples sections of every public module's docstrings."""

import doctest
import importlib
import pkgutil

import pytest

import sknn_digits

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(sknn_digits.__path__, "sknn_digits.")
    if name != "sknn_digits.__main__" and not name.startswith("sknn_digits.static")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_public_api_is_listed():
    for name in sknn_digits.__all__:
        assert hasattr(sknn_digits, name), name
