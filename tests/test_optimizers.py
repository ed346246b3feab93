"""The stochastic solvers' update rules, against their equations computed here step by step."""

import numpy as np
import pytest

from sknn_digits.core.optimizers import SGD, Adam


def _gradients(n_steps=5, size=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n_steps, size))


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_with_momentum(nesterov):
    rule = SGD(4, learning_rate_init=0.1, momentum=0.9, nesterov=nesterov)
    velocity = np.zeros(4)
    for grad in _gradients():
        velocity = 0.9 * velocity - 0.1 * grad
        expected = 0.9 * velocity - 0.1 * grad if nesterov else velocity
        np.testing.assert_allclose(rule.step(grad), expected, rtol=1e-15)


def test_sgd_schedules():
    rule = SGD(1, learning_rate_init=0.5, schedule="invscaling", power_t=0.25)
    rule.epoch_ended(99)
    assert rule.learning_rate == 0.5 / 100**0.25
    assert not rule.lower_rate()  # only "adaptive" lowers on a plateau
    rule = SGD(1, learning_rate_init=1e-5, schedule="adaptive")
    assert rule.lower_rate() and rule.learning_rate == pytest.approx(2e-6)
    assert rule.lower_rate() and rule.learning_rate == pytest.approx(4e-7)
    assert not rule.lower_rate()  # spent: below 1e-6
    constant = SGD(1, learning_rate_init=0.5)
    constant.epoch_ended(1000)
    assert constant.learning_rate == 0.5


def test_adam_is_kingma_and_ba():
    rule = Adam(4, learning_rate_init=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-7)
    m, s = np.zeros(4), np.zeros(4)
    for k, grad in enumerate(_gradients(), start=1):
        m = 0.8 * m + 0.2 * grad
        s = 0.99 * s + 0.01 * grad**2
        m_hat, s_hat = m / (1 - 0.8**k), s / (1 - 0.99**k)
        # MLPClassifier's form: epsilon is added to sqrt(s), not to sqrt(s_hat)
        expected = -0.01 * m_hat / (np.sqrt(s_hat) + 1e-7 / np.sqrt(1 - 0.99**k))
        np.testing.assert_allclose(rule.step(grad), expected, rtol=1e-12)
    assert not rule.lower_rate()
