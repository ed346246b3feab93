"""Tests of numerical gradients and the course's gradient check."""

import numpy as np
import pytest

from sknn_digits import check_nn_gradients, numerical_gradient
from sknn_digits.gradient_check import relative_difference


def test_numerical_gradient_of_known_function():
    def f(p):
        return np.sin(p[0]) * p[1] ** 3

    p = np.array([0.3, -1.2])
    expected = [np.cos(0.3) * (-1.2) ** 3, 3 * np.sin(0.3) * 1.2 ** 2]
    np.testing.assert_allclose(numerical_gradient(f, p), expected, rtol=1e-7)


def test_numerical_gradient_takes_first_item_of_tuple_and_leaves_params_alone():
    p = np.array([1.0, 2.0])
    before = p.copy()
    grad = numerical_gradient(lambda q: ((q ** 2).sum(), None), p)
    np.testing.assert_allclose(grad, 2 * p, rtol=1e-9)
    np.testing.assert_array_equal(p, before)


@pytest.mark.parametrize("lambda_", [0.0, 3.0])
def test_check_nn_gradients_is_tiny(lambda_):
    assert check_nn_gradients(lambda_) < 1e-9


def test_check_nn_gradients_verbose_prints_both_columns(capsys):
    check_nn_gradients(3.0, verbose=True)
    out = capsys.readouterr().out
    assert "left: backprop, right: numerical" in out
    rows = [line for line in out.splitlines() if line.strip().startswith("[")]
    assert len(rows) == 5 * 4 + 3 * 6  # one row per parameter of the 3-5-3 network


def test_check_nn_gradients_detects_a_wrong_gradient(monkeypatch):
    import sknn_digits.gradient_check as gc

    real = gc.nn_cost_function

    def wrong(*args):
        J, grad = real(*args)
        return J, grad * 1.01

    monkeypatch.setattr(gc, "nn_cost_function", wrong)
    assert check_nn_gradients(0.0) > 1e-3


def test_relative_difference():
    assert relative_difference([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_difference([0.0], [0.0]) == 0.0
    assert relative_difference([1.0], [3.0]) == pytest.approx(0.5)


def test_lambda_must_be_finite_and_non_negative():
    import pytest

    from sknn_digits import check_nn_gradients

    for bad in (float("nan"), -1.0, float("inf")):
        with pytest.raises(ValueError, match="lambda_"):
            check_nn_gradients(bad)
