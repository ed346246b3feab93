"""Gradient checking: backpropagation against central differences."""

import numpy as np

from .course import course_lambda, nn_cost_function, unroll
from .initialization import debug_initialize_weights

__all__ = ["TOLERANCE", "check_nn_gradients", "numerical_gradient", "relative_difference"]

#: A correct backpropagation agrees with central differences to better than this.
TOLERANCE = 1e-9


def numerical_gradient(f, params, epsilon=1e-4):
    """Gradient of ``f`` at ``params`` by central differences.

    Each component costs two evaluations of ``f``:
    ``(f(p + e_i eps) - f(p - e_i eps)) / (2 eps)``, accurate to ``O(eps^2)``.

    Parameters
    ----------
    f : callable
        ``f(params)`` returns the cost, or a tuple whose first item is the
        cost (as :func:`~sknn_digits.nn_cost_function` does).
    params : array-like of shape (n,)
        Where to take the gradient.  It is not modified.
    epsilon : float, default=1e-4
        The step.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits import numerical_gradient
    >>> numerical_gradient(lambda p: (p ** 2).sum(), np.array([1.0, -2.0])).round(8)
    array([ 2., -4.])
    """
    params = np.array(params, dtype=np.float64)  # our own copy to perturb
    if params.ndim != 1:
        raise ValueError(f"params must be a 1-D vector, got shape {params.shape}.")

    def cost(p):
        value = f(p)
        return float(value[0] if isinstance(value, tuple) else value)

    grad = np.empty_like(params)
    for i in range(params.size):
        saved = params[i]
        params[i] = saved + epsilon
        plus = cost(params)
        params[i] = saved - epsilon
        minus = cost(params)
        params[i] = saved
        grad[i] = (plus - minus) / (2 * epsilon)
    return grad


def relative_difference(a, b):
    """``norm(a - b) / norm(a + b)``: the course's measure of agreement (0 if both vanish).

    Examples
    --------
    >>> from sknn_digits.gradient_check import relative_difference
    >>> relative_difference([1.0, 2.0], [1.0, 2.0 + 1e-9]) < 1e-9
    True
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    denominator = np.linalg.norm(a + b)
    return float(np.linalg.norm(a - b) / denominator) if denominator else 0.0


def check_nn_gradients(lambda_=None, verbose=False, *, λ=None):
    """Compare backpropagation with numerical gradients on a small network.

    Builds the course's debug problem: a 3-5-3 network with weights from
    :func:`~sknn_digits.debug_initialize_weights`, 5 samples and labels
    ``1 + (i mod 3)``.  A correct backpropagation gives a relative difference
    below :data:`TOLERANCE` (``1e-9``).

    Parameters
    ----------
    lambda_ : float, default=0.0
        Regularisation strength.
    λ : float, optional
        The same, by the course's name for it (``check_nn_gradients(λ=3)``).
    verbose : bool, default=False
        Print the two gradients side by side (left: backprop, right:
        numerical), as the course does.

    Returns
    -------
    float
        ``norm(numerical - backprop) / norm(numerical + backprop)``.

    Examples
    --------
    >>> from sknn_digits import check_nn_gradients
    >>> check_nn_gradients(lambda_=3.0) < 1e-9
    True
    """
    lambda_ = course_lambda(lambda_, λ)
    if not (np.isfinite(lambda_) and lambda_ >= 0):
        raise ValueError(f"lambda_ must be a finite, non-negative number, got {lambda_!r}.")
    input_layer_size, hidden_layer_size, num_labels, m = 3, 5, 3, 5
    theta_1 = debug_initialize_weights(hidden_layer_size, input_layer_size)
    theta_2 = debug_initialize_weights(num_labels, hidden_layer_size)
    X = debug_initialize_weights(m, input_layer_size - 1)
    y = 1 + np.arange(1, m + 1) % num_labels

    def cost(params):
        return nn_cost_function(
            params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_
        )

    params = unroll(theta_1, theta_2)
    _, backprop = cost(params)
    numerical = numerical_gradient(cost, params)
    difference = relative_difference(numerical, backprop)
    if verbose:
        print("Checking backprop\nleft: backprop, right: numerical")
        print(np.column_stack([backprop, numerical]))
    return difference
