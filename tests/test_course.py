"""Tests of the course functions against the seeds' reference numbers."""

import numpy as np
import pytest
from scipy.io import loadmat
from scipy.optimize import minimize

from sknn_digits import (
    nn_cost_function,
    predict,
    rand_initialize_weights,
    sigmoid,
    sigmoid_gradient,
    unroll,
)
from sknn_digits.course import labels_to_indicators


def test_sigmoid_gradient_table_from_the_seed():
    # Seed notebook 000, "Check sigmoid gradients".
    expected = np.array([0.196612, 0.235004, 0.250000, 0.235004, 0.196612])
    got = sigmoid_gradient(np.array([-1, -0.5, 0, 0.5, 1]))
    assert np.all(np.abs(got - expected) < 1e-6)


def test_sigmoid_is_the_logistic_function():
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert sigmoid(0.0) == 0.5


def _course_cost_loop(theta_1, theta_2, X, y, num_labels, lambda_):
    """The course's cost, one sample at a time (notebook 001's alt_nn_cost_function)."""
    def g(z):
        return 1 / (1 + np.exp(-z))

    total = 0.0
    for x, label in zip(X, y):
        a2 = g(theta_1 @ np.concatenate(([1.0], x)))
        h = g(theta_2 @ np.concatenate(([1.0], a2)))
        target = (np.arange(1, num_labels + 1) == label).astype(float)
        total += np.sum(-target * np.log(h) - (1 - target) * np.log(1 - h))
    m = len(X)
    penalty = np.sum(theta_1[:, 1:] ** 2) + np.sum(theta_2[:, 1:] ** 2)
    return total / m + lambda_ / (2 * m) * penalty


@pytest.mark.parametrize("lambda_", [0.0, 1.0, 3.0])
def test_nn_cost_function_matches_per_sample_loop(digits, lambda_):
    X, y = digits
    X, y = X[:200], y[:200] + 1  # course labels 1..10
    theta_1 = rand_initialize_weights(64, 25, random_state=0)
    theta_2 = rand_initialize_weights(25, 10, random_state=1)
    J, grad = nn_cost_function(unroll(theta_1, theta_2), 64, 25, 10, X, y, lambda_)
    assert pytest.approx(_course_cost_loop(theta_1, theta_2, X, y, 10, lambda_), rel=1e-12) == J
    assert grad.shape == (25 * 65 + 10 * 26,)


def test_nn_cost_function_accepts_column_labels_and_keyword_lambda(digits):
    X, y = digits
    params = unroll(rand_initialize_weights(64, 5, random_state=0),
                    rand_initialize_weights(5, 10, random_state=0))
    flat = nn_cost_function(params, 64, 5, 10, X[:50], y[:50] + 1, lambda_=1.0)
    column = nn_cost_function(params, 64, 5, 10, X[:50], (y[:50] + 1)[:, None], lambda_=1.0)
    assert flat[0] == column[0]
    np.testing.assert_array_equal(flat[1], column[1])


def test_nn_cost_function_trains_with_minimize_cg(small_digits):
    # The seed's training cell: minimize(fun=nn_cost_function, jac=True, method="CG").
    X, y = small_digits
    x0 = unroll(rand_initialize_weights(64, 25, random_state=0),
                rand_initialize_weights(25, 10, random_state=1))
    args = (64, 25, 10, X, y + 1, 1.0)
    result = minimize(fun=nn_cost_function, x0=x0, jac=True, args=args, method="CG",
                      options={"maxiter": 100})
    assert result.fun < 0.5 * nn_cost_function(x0, *args)[0]
    theta_1 = result.x[: 25 * 65].reshape(25, 65, order="F")
    theta_2 = result.x[25 * 65:].reshape(10, 26, order="F")
    pred, conf = predict(theta_1, theta_2, X)
    assert np.mean(pred + 1 == y + 1) > 0.95
    assert np.all((conf > 0) & (conf < 1))


def test_labels_to_indicators_maps_label_k_to_unit_k_minus_1():
    np.testing.assert_array_equal(labels_to_indicators([1, 3, 2], 3), np.eye(3)[[0, 2, 1]])
    with pytest.raises(ValueError, match="labels 1..3"):
        labels_to_indicators([0, 1, 2], 3)


def test_nn_cost_function_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"X must have shape \(m, 4\)"):
        nn_cost_function(np.zeros(5 * 2 + 3 * 3), 4, 2, 3, np.zeros((3, 5)), [1, 2, 3])


def test_predict_returns_index_and_activation_of_most_active_unit():
    theta_1 = np.array([[0.0, 1.0]])
    theta_2 = np.array([[2.0, -4.0], [-2.0, 4.0]])
    pred, conf = predict(theta_1, theta_2, np.array([[-5.0], [5.0]]))
    a2 = 1 / (1 + np.exp(-np.array([-5.0, 5.0])))
    h = 1 / (1 + np.exp(-(np.column_stack([np.ones(2), a2]) @ theta_2.T)))
    np.testing.assert_array_equal(pred, h.argmax(axis=1))
    np.testing.assert_allclose(conf, h.max(axis=1))


def test_predict_rejects_wrong_feature_count():
    with pytest.raises(ValueError, match="3 features"):
        predict(np.zeros((2, 4)), np.zeros((3, 3)), np.zeros((5, 2)))


def test_course_reference_costs(ex4_dir):
    # The seed's J values for the course's data and pretrained weights.
    data = loadmat(ex4_dir / "ex4data1.mat")
    weights = loadmat(ex4_dir / "ex4weights.mat")
    params = unroll(weights["Theta1"], weights["Theta2"])
    for lambda_, expected in [(0, 0.287629), (1, 0.383770), (3, 0.576051)]:
        J, _ = nn_cost_function(params, 400, 25, 10, data["X"], data["y"], lambda_)
        assert abs(J - expected) < 1e-6


def test_course_weights_shapes(course_weights_file):
    weights = loadmat(course_weights_file)
    theta_1, theta_2 = weights["Theta1"], weights["Theta2"]
    assert theta_1.shape == (25, 401) and theta_2.shape == (10, 26)
    J, grad = nn_cost_function(unroll(theta_1, theta_2), 400, 25, 10,
                               np.zeros((1, 400)), [10], 1.0)
    assert np.isfinite(J) and grad.shape == (25 * 401 + 10 * 26,)


@pytest.mark.parametrize("X, match", [(np.full((2, 2), np.nan), "NaN"),
                                      (np.zeros((0, 2)), "0 sample")])
def test_course_functions_validate_X(X, match):
    from sknn_digits import nn_cost_function, predict

    with pytest.raises(ValueError, match=match):
        nn_cost_function(np.zeros(12), 2, 2, 2, X, np.ones(len(X), dtype=int))
    with pytest.raises(ValueError, match=match):
        predict(np.zeros((2, 3)), np.zeros((2, 3)), X)


def test_the_course_calls_run_as_the_notebooks_write_them():
    """The seed notebook writes nn_cost_function(..., λ=1) and check_nn_gradients(λ)."""
    from sknn_digits import check_nn_gradients, nn_cost_function

    rng = np.random.default_rng(0)
    X, y = rng.random((6, 3)), np.array([1, 2, 1, 2, 1, 2])
    params = rng.normal(size=5 * 4 + 2 * 6)
    kwargs = {"nn_params": params, "input_layer_size": 3, "hidden_layer_size": 5,
              "num_labels": 2, "X": X, "y": y}
    by_greek = nn_cost_function(**kwargs, λ=1)
    by_name = nn_cost_function(**kwargs, lambda_=1)
    unregularised = nn_cost_function(**kwargs)
    assert by_greek[0] == by_name[0] > unregularised[0]
    np.testing.assert_array_equal(by_greek[1], by_name[1])
    with pytest.raises(TypeError, match="not both"):
        nn_cost_function(**kwargs, λ=1, lambda_=1)
    assert check_nn_gradients(λ=3) == check_nn_gradients(3) < 1e-9
