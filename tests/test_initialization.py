"""Tests of the starting weights."""

import numpy as np
import pytest

from sknn_digits import debug_initialize_weights, rand_initialize_weights
from sknn_digits.core import n_params
from sknn_digits.initialization import initial_params


def test_rand_initialize_weights_shape_range_and_seed():
    theta = rand_initialize_weights(400, 25, random_state=0)
    assert theta.shape == (25, 401)
    assert np.abs(theta).max() <= 0.12 and np.abs(theta).max() > 0.11
    np.testing.assert_array_equal(theta, rand_initialize_weights(400, 25, random_state=0))
    assert not np.array_equal(theta, rand_initialize_weights(400, 25, random_state=1))


def test_rand_initialize_weights_auto_epsilon():
    theta = rand_initialize_weights(10, 6, epsilon="auto", random_state=0)
    assert np.abs(theta).max() <= np.sqrt(6) / np.sqrt(16)
    assert np.abs(theta).max() > 0.9 * np.sqrt(6) / np.sqrt(16)


def test_rand_initialize_weights_accepts_generator():
    a = rand_initialize_weights(3, 2, random_state=np.random.default_rng(5))
    b = np.random.default_rng(5).uniform(-0.12, 0.12, (2, 4))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "3"])
def test_rand_initialize_weights_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="L_in must be a positive integer"):
        rand_initialize_weights(bad, 3)


def test_rand_initialize_weights_rejects_bad_epsilon():
    with pytest.raises(ValueError, match="epsilon"):
        rand_initialize_weights(3, 3, epsilon=-1)


def test_debug_initialize_weights_fills_columns_with_sines():
    theta = debug_initialize_weights(5, 3)
    assert theta.shape == (5, 4)
    expected = np.array([[np.sin(1 + i + 5 * j) / 10 for j in range(4)] for i in range(5)])
    np.testing.assert_allclose(theta, expected, rtol=1e-15)


def test_initial_params_is_one_draw_per_layer():
    params = initial_params((4, 3, 2), random_state=0)
    assert params.shape == (n_params((4, 3, 2)),)
    rng = np.random.RandomState(0)
    first = rng.uniform(-0.12, 0.12, (3, 5))
    np.testing.assert_array_equal(params[:15], first.ravel(order="F"))
