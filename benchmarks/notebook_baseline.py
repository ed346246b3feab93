"""The historical baseline: cost and gradient written the way notebook 001 wrote them.

Samples in columns, a bias row stacked onto the data at every call, the cost
taken as the trace of an m x m matrix product, and the first layer's gradient
filled in by a Python loop over its weights.  (The notebook's use of the
initial weights in that loop is not copied: this version is correct, so the
benchmark compares like with like.)  Used by ``run.py`` only.
"""

import numpy as np


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def notebook_cost_and_gradient(params, X, Y, hidden, lambda_):
    """``(J, grad)`` for a one-hidden-layer sigmoid network, notebook style.

    ``params`` is laid out as ``sknn_digits.unroll(theta_1, theta_2)``; ``X`` is
    (m, n) and ``Y`` (m, k) one-hot, as in the package.
    """
    m, n = X.shape
    k = Y.shape[1]
    theta_1 = params[: hidden * (n + 1)].reshape(hidden, n + 1, order="F")
    theta_2 = params[hidden * (n + 1):].reshape(k, hidden + 1, order="F")
    Xb = np.vstack((np.ones(m), X.T))  # (n + 1, m): a bias row, every call
    z_2 = theta_1 @ Xb
    a_2 = _sigmoid(z_2)
    a_2_p = np.vstack((np.ones(m), a_2))
    a_3 = _sigmoid(theta_2 @ a_2_p)
    # The cost as the trace of an m x m matrix.
    cost = np.trace(-Y @ np.log(a_3) - (1 - Y) @ np.log(1 - a_3)) / m
    cost += lambda_ / (2 * m) * (np.sum(theta_1[:, 1:] ** 2) + np.sum(theta_2[:, 1:] ** 2))
    delta_3 = a_3 - Y.T
    grad_2 = delta_3 @ a_2_p.T / m
    grad_2[:, 1:] += lambda_ / m * theta_2[:, 1:]
    theta_delta = theta_2[:, 1:].T @ delta_3
    s_g_z_2 = _sigmoid(z_2) * (1 - _sigmoid(z_2))
    # The first layer's gradient, one weight at a time.
    grad_1 = np.array([[np.sum(theta_delta[p] * s_g_z_2[p] * Xb[q]) for q in range(n + 1)]
                       for p in range(hidden)]) / m
    grad_1[:, 1:] += lambda_ / m * theta_1[:, 1:]
    return cost, np.concatenate([grad_1.ravel(order="F"), grad_2.ravel(order="F")])
