"""The course's functions with the course's names and conventions.

They are thin wrappers over :mod:`sknn_digits.core`, so a notebook written
for the exercise ports line for line::

    J, grad = nn_cost_function(nn_params, 400, 25, 10, X, y, lambda_=1)
    res = minimize(nn_cost_function, x0, jac=True, method="CG",
                   args=(400, 25, 10, X, y, 1.0))
    pred, conf = predict(theta_1, theta_2, X)

Labels follow the course: ``y`` holds ``1..num_labels`` and unit ``k`` of the
output layer answers "is it label ``k + 1``?".
"""

import threading

import numpy as np
from sklearn.utils import check_array

from .core import check_thetas, loss_and_gradient, output_activation, unpack, unroll

__all__ = ["labels_to_indicators", "nn_cost_function", "predict"]


def _check_X(X):
    """A finite, non-empty 2-D float64 array, or a clear error (scikit-learn's check)."""
    return check_array(X, dtype=np.float64, input_name="X")


def labels_to_indicators(y, num_labels):
    """One-hot rows for course labels ``1..num_labels`` (the course's ``Y``).

    Parameters
    ----------
    y : array-like of shape (m,) or (m, 1)
        Integer labels in ``1..num_labels``.
    num_labels : int

    Returns
    -------
    ndarray of shape (m, num_labels)
        ``Y[i, k] = 1`` where ``y[i] == k + 1``.

    Examples
    --------
    >>> from sknn_digits.course import labels_to_indicators
    >>> labels_to_indicators([2, 1], 3)
    array([[0., 1., 0.],
           [1., 0., 0.]])
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must have shape (m,) or (m, 1), got {y.shape}.")
    allowed = np.arange(1, num_labels + 1)
    if not np.isin(y, allowed).all():
        raise ValueError(
            f"y must hold the course's integer labels 1..{num_labels}; found "
            f"{np.setdiff1d(y, allowed)[:10]}."
        )
    return (y[:, None] == allowed).astype(np.float64)


def nn_cost_function(
    nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=0.0
):
    """Cost and gradient of the course's two-layer sigmoid network.

    Parameters
    ----------
    nn_params : ndarray of shape (n_params,)
        ``unroll(Theta1, Theta2)``.
    input_layer_size, hidden_layer_size, num_labels : int
        The network's layer sizes (400, 25 and 10 in the course).
    X : array-like of shape (m, input_layer_size)
        One sample per row, without a bias column.
    y : array-like of shape (m,) or (m, 1)
        Labels ``1..num_labels``.
    lambda_ : float, default=0.0
        Regularisation strength: adds ``lambda_ / (2 m)`` times the sum of
        the squared non-bias weights.

    Returns
    -------
    J : float
        Cross-entropy of the sigmoid output units, summed over units and
        averaged over samples, plus the penalty.
    grad : ndarray of shape (n_params,)
        The gradient, unrolled like ``nn_params``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits import nn_cost_function
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> params = np.zeros(3 * 2 + 3 * 2)   # 2-2-2 network, all weights zero
    >>> J, grad = nn_cost_function(params, 2, 2, 2, X, [1, 2])
    >>> round(J, 6)   # two units, each log(2)
    1.386294
    """
    # An optimiser calls this hundreds of times with the same X and y: the
    # finiteness scan of X is paid only when the result shows it is needed,
    # and the activation-sized buffers are kept per thread between calls.
    X = check_array(X, dtype=np.float64, input_name="X", ensure_all_finite=False)
    Y = labels_to_indicators(y, num_labels)
    if X.shape != (Y.shape[0], input_layer_size):
        raise ValueError(
            f"X must have shape (m, {input_layer_size}) with m = len(y) = "
            f"{Y.shape[0]}, got {X.shape}."
        )
    layer_sizes = (input_layer_size, hidden_layer_size, num_labels)
    params = np.asarray(nn_params, dtype=np.float64)
    J, grad = loss_and_gradient(params, layer_sizes, X, Y, alpha=lambda_,
                                workspace=_workspace())
    if not np.isfinite(J):
        _check_X(X)  # names NaN or infinity in X, if that is the cause
    return J, grad


_BUFFERS = threading.local()


def _workspace():
    """This thread's buffers for :func:`nn_cost_function` (the last problem's sizes only)."""
    if not hasattr(_BUFFERS, "workspace"):
        _BUFFERS.workspace = {}
    return _BUFFERS.workspace


def predict(theta_1, theta_2, X):
    """Most active output unit of the course's network, and its activation.

    Parameters
    ----------
    theta_1 : ndarray of shape (hidden, 1 + n_features)
    theta_2 : ndarray of shape (num_labels, 1 + hidden)
    X : array-like of shape (m, n_features)

    Returns
    -------
    pred : ndarray of shape (m,)
        0-based index of the most active output unit (add 1 for the course's
        labels).
    conf : ndarray of shape (m,)
        That unit's sigmoid activation, a confidence in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits import predict
    >>> theta_1 = np.array([[0.0, 1.0]])          # one hidden unit: g(x)
    >>> theta_2 = np.array([[2.0, -4.0], [-2.0, 4.0]])
    >>> pred, conf = predict(theta_1, theta_2, [[-5.0], [5.0]])
    >>> pred
    array([0, 1])
    """
    (theta_1, theta_2), _ = check_thetas([theta_1, theta_2])
    X = _check_X(np.atleast_2d(X))
    if X.shape[1] != theta_1.shape[1] - 1:
        raise ValueError(
            f"X must have {theta_1.shape[1] - 1} features per row to match theta_1, "
            f"got shape {X.shape}."
        )
    layer_sizes = (X.shape[1], theta_1.shape[0], theta_2.shape[0])
    coefs, intercepts = unpack(unroll(theta_1, theta_2), layer_sizes)
    h = output_activation(X, coefs, intercepts)
    pred = h.argmax(axis=1)
    return pred, h[np.arange(h.shape[0]), pred]
