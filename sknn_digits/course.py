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

import functools

import numpy as np
from sklearn.utils import check_array

from .core import (
    OUTPUTS,
    Network,
    layer_slices,
    namespace,
    sigmoid,
    to_numpy,
    unpack,
)
from .core.activations import sigmoid_derivative

__all__ = [
    "check_thetas",
    "labels_to_indicators",
    "nn_cost_function",
    "predict",
    "roll",
    "sigmoid_gradient",
    "unroll",
]


# ---------------------------------------------------------------- the course's layout


def sigmoid_gradient(z):
    """Derivative of the sigmoid at ``z`` (the course's ``sigmoidGradient``).

    Parameters
    ----------
    z : array-like
        Pre-activations.

    Returns
    -------
    ndarray
        ``g(z) * (1 - g(z))``.

    Examples
    --------
    >>> from sknn_digits import sigmoid_gradient
    >>> sigmoid_gradient([-1, -0.5, 0, 0.5, 1]).round(6)
    array([0.196612, 0.235004, 0.25    , 0.235004, 0.196612])
    """
    return sigmoid_derivative(sigmoid(np.asarray(z, dtype=float)))



def roll(params, layer_sizes):
    """Split a flat parameter vector into the course's ``Theta`` matrices.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        The unrolled parameters, as made by :func:`unroll`.
    layer_sizes : sequence of int
        ``(n_inputs, *hidden_sizes, n_outputs)``.

    Returns
    -------
    list of ndarray
        ``Theta_l`` of shape ``(layer_sizes[l+1], 1 + layer_sizes[l])``, bias
        column first.  They are views of ``params``: writing to them writes
        to ``params``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits import roll, unroll
    >>> theta_1, theta_2 = roll(np.arange(17.0), (3, 2, 3))
    >>> theta_1
    array([[0., 2., 4., 6.],
           [1., 3., 5., 7.]])
    >>> theta_2.shape
    (3, 3)
    >>> unroll(theta_1, theta_2)[:4]
    array([0., 1., 2., 3.])
    """
    xp = namespace(params)
    params = np.asarray(params) if xp is np else params
    layer_sizes = tuple(int(s) for s in layer_sizes)
    unpack(params, layer_sizes)  # checks the vector's size
    # Column-major (n_out, 1 + n_in) is the transpose of row-major (1 + n_in, n_out).
    return [
        xp.reshape(params[s], (1 + n_in, n_out)).T
        for s, n_in, n_out in zip(layer_slices(layer_sizes), layer_sizes, layer_sizes[1:])
    ]


def unroll(*thetas):
    """Flatten ``Theta`` matrices into one vector, column by column (Octave's ``(:)``).

    Parameters
    ----------
    *thetas : array-like of shape (n_out, 1 + n_in)
        The course's weight matrices, bias column first.

    Returns
    -------
    ndarray of shape (n_params,)
        The parameter vector; :func:`roll` is its inverse.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits import unroll
    >>> unroll(np.array([[1, 2], [3, 4]]), np.array([[5, 6, 7]]))
    array([1, 3, 2, 4, 5, 6, 7])
    """
    if not thetas:
        raise ValueError("unroll needs at least one Theta matrix.")
    return np.concatenate([to_numpy(t).ravel(order="F") if namespace(t) is not np
                           else np.asarray(t).ravel(order="F") for t in thetas])



def check_thetas(thetas):
    """Validate a chain of the course's weight matrices, one per layer.

    Parameters
    ----------
    thetas : sequence of array-like
        ``Theta_l`` of shape ``(n_out, 1 + n_in)``, bias column first, from
        the first layer to the output layer.

    Returns
    -------
    thetas : list of ndarray
        float64 copies of the matrices.
    layer_sizes : tuple of int
        ``(n_inputs, *hidden_sizes, n_outputs)``.

    Raises
    ------
    ValueError
        If the list is empty, a matrix is not 2-D or not finite, or one
        layer's matrix does not fit the one below it.

    Examples
    --------
    >>> from sknn_digits.course import check_thetas
    >>> check_thetas([np.zeros((25, 401)), np.zeros((10, 26))])[1]
    (400, 25, 10)
    >>> check_thetas([np.zeros((25, 401)), np.zeros((10, 25))])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Theta 2 has shape (10, 25) but must have 1 + 25 columns to follow Theta 1 of ...
    """
    thetas = [np.array(t, dtype=np.float64) for t in thetas]
    if not thetas:
        raise ValueError("Expected at least one Theta matrix, got none.")
    for number, theta in enumerate(thetas, start=1):
        if theta.ndim != 2 or theta.shape[1] < 2 or theta.shape[0] < 1:
            raise ValueError(
                f"Theta {number} must be a 2-D matrix with a bias column and at least "
                f"one weight column, got shape {theta.shape}."
            )
        if not np.isfinite(theta).all():
            raise ValueError(f"Theta {number} holds NaN or infinite values.")
    for number, (below, above) in enumerate(zip(thetas, thetas[1:]), start=2):
        if above.shape[1] != below.shape[0] + 1:
            raise ValueError(
                f"Theta {number} has shape {above.shape} but must have 1 + "
                f"{below.shape[0]} columns to follow Theta {number - 1} of shape "
                f"{below.shape}."
            )
    return thetas, (thetas[0].shape[1] - 1, *(t.shape[0] for t in thetas))


# ---------------------------------------------------------------- the course's functions



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
    # Called on every evaluation by an optimiser: a few cheap passes over y,
    # the set difference only for the error message.
    if y.size == 0:
        return np.zeros((0, num_labels))
    if y.dtype.kind in "iu":  # integers: only their range to check
        valid = y.min() >= 1 and y.max() <= num_labels
    else:
        numeric = np.issubdtype(y.dtype, np.number) or y.dtype == bool
        valid = numeric and np.all((y >= 1) & (y <= num_labels) & (y == np.floor(y)))
    if not valid:
        raise ValueError(
            f"y must hold the course's integer labels 1..{num_labels}; found "
            f"{np.setdiff1d(y, allowed)[:10]}."
        )
    # Row i's 1 at flat position i * num_labels + y_i - 1.
    indicators = np.zeros((y.shape[0], num_labels))
    ones_at = np.arange(-1, y.shape[0] * num_labels - 1, num_labels)
    ones_at += y.astype(np.intp, copy=False)
    indicators.reshape(-1)[ones_at] = 1.0
    return indicators


def course_lambda(lambda_, λ, default=0.0):
    """The regularisation strength given as ``lambda_`` or as ``λ`` (the course's notebooks
    write ``λ=``), never both.

    Examples
    --------
    >>> from sknn_digits.course import course_lambda
    >>> course_lambda(None, 3), course_lambda(1.0, None), course_lambda(None, None)
    (3, 1.0, 0.0)
    """
    if lambda_ is not None and λ is not None:
        raise TypeError("give the regularisation strength once: lambda_= or λ=, not both.")
    return default if lambda_ is None and λ is None else (λ if lambda_ is None else lambda_)


def nn_cost_function(
    nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=None, *, λ=None
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
    λ : float, optional
        The same, by the name the course's notebooks use (``λ=1``).

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
    lambda_ = course_lambda(lambda_, λ)
    # An optimiser calls this hundreds of times with the same X and y: X that
    # is already a 2-D float64 array is taken as it is, the finiteness scan of
    # X is paid only when the result shows it is needed, and the
    # activation-sized buffers are kept per thread between calls.
    if not (type(X) is np.ndarray and X.dtype == np.float64 and X.ndim == 2 and X.size):
        X = check_array(X, dtype=np.float64, input_name="X", ensure_all_finite=False)
    Y = labels_to_indicators(y, num_labels)
    if X.shape != (Y.shape[0], input_layer_size):
        raise ValueError(
            f"X must have shape (m, {input_layer_size}) with m = len(y) = "
            f"{Y.shape[0]}, got {X.shape}."
        )
    network = _course_network((input_layer_size, hidden_layer_size, num_labels))
    params = np.asarray(nn_params, dtype=np.float64)
    J, grad = network.loss_gradient(params, X, Y, alpha=lambda_)
    if not np.isfinite(J):
        _check_X(X)  # names NaN or infinity in X, if that is the cause
    return J, grad


@functools.lru_cache(maxsize=1)
def _course_network(layer_sizes):
    """The course's network of these sizes; it keeps each thread's arrays between calls."""
    return Network(layer_sizes)


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
    h = OUTPUTS["logistic"].h(Network(layer_sizes).decision(unroll(theta_1, theta_2), X))
    pred = h.argmax(axis=1)
    return pred, h[np.arange(h.shape[0]), pred]
