"""Hidden activations, each forward ``g(z)`` beside its backward rule ``g'`` in ``a``.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit

from .arrays import namespace
from .outputs import _positive_part

# ---------------------------------------------------------------------------
# Hidden activations.  Each forward g(z) sits next to its backward rule:
# g'(z) written as a function of the activation a = g(z), so the backward pass
# needs only what the forward pass kept, and the slope of g' in a, which the
# Hessian-vector product needs.  Everything works in place where it can:
# these arrays are as large as the data.
# ---------------------------------------------------------------------------


def sigmoid(z, out=None):
    """Logistic function ``1 / (1 + exp(-z))``, exact and without overflow warnings.

    Parameters
    ----------
    z : array-like
        Pre-activations.
    out : ndarray, optional
        Where to write the result (may be ``z`` itself).

    Returns
    -------
    ndarray
        ``g(z)``, with values in [0, 1].

    Examples
    --------
    >>> from sknn_digits import sigmoid
    >>> sigmoid([-1000.0, 0.0, 1000.0])
    array([0. , 0.5, 1. ])
    """
    return expit(z, out=out)


def sigmoid_inplace(z):
    """``g(z)`` written over ``z``, as ``1 / (1 + exp(-z))``.

    The hidden layers' sigmoid.  numpy's ``exp`` is vectorised where its
    ``tanh`` and scipy's ``expit`` are not always (measured 1.2 ms against 2.4
    and 1.5 ms for 180,000 float64 values on the project's machine), and the
    form keeps a relative error of a few ulps everywhere: ``exp(-z)``
    overflowing to infinity for very negative ``z`` gives the exact limit 0.
    """
    if not isinstance(z, np.ndarray):  # another namespace: a new array
        return 1.0 / (1.0 + namespace(z).exp(-z))
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1.0
    return np.divide(1.0, z, out=z)  # (np.reciprocal is slower: performance.rst)


def sigmoid_derivative(a, out=None):
    """``g'(z) = g(z) (1 - g(z)) = a (1 - a)``."""
    if not isinstance(a, np.ndarray):
        return a * (1.0 - a)
    out = np.subtract(1.0, a, out=out)
    out *= a
    return out


def sigmoid_derivative_slope(a):
    """``d g'/d a = 1 - 2a``."""
    return 1.0 - 2.0 * a


def tanh_inplace(z):
    """``tanh(z)`` written over ``z``."""
    if not isinstance(z, np.ndarray):
        return namespace(z).tanh(z)
    return np.tanh(z, out=z)


def tanh_derivative(a, out=None):
    """``tanh'(z) = 1 - tanh(z)^2 = 1 - a^2``."""
    if not isinstance(a, np.ndarray):
        return 1.0 - a * a
    out = np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out


def tanh_derivative_slope(a):
    """``d(1 - a^2)/d a = -2a``."""
    return -2.0 * a


def identity_inplace(z):
    """``z`` itself: the identity leaves its input as it is."""
    return z


def identity_derivative(a, out=None):
    """``identity'(z) = 1``."""
    if not isinstance(a, np.ndarray):
        return namespace(a).ones_like(a)
    if out is None:
        out = np.empty_like(a)
    out.fill(1)
    return out


def identity_derivative_slope(a):
    """The constant 1 is flat in ``a``: 0."""
    return namespace(a).zeros_like(a)


def relu_inplace(z):
    """``max(z, 0)`` written over ``z``."""
    if not isinstance(z, np.ndarray):
        return _positive_part(z)
    return np.maximum(z, 0, out=z)


def relu_derivative(a, out=None):
    """``relu'(z)`` is 1 where ``z > 0``, else 0; ``z > 0`` exactly where ``a > 0``."""
    if not isinstance(a, np.ndarray):
        return namespace(a).astype(a > 0, a.dtype)
    if out is None:
        out = np.empty_like(a)
    return np.greater(a, 0, out=out)


def relu_derivative_slope(a):
    """The step ``relu'`` is flat in ``a``: 0."""
    return namespace(a).zeros_like(a)


class Activation(NamedTuple):
    """A hidden activation: ``g`` in place, ``g'`` of ``a``, ``dg'/da``, and whether it
    saturates (its gradient vanishes for large ``|z|``: the fit's starting check)."""

    g: Callable
    g_prime: Callable
    g_prime_slope: Callable
    saturates: bool = False


#: Hidden activations by name.
ACTIVATIONS = {
    "identity": Activation(identity_inplace, identity_derivative, identity_derivative_slope),
    "logistic": Activation(sigmoid_inplace, sigmoid_derivative, sigmoid_derivative_slope,
                           saturates=True),
    "tanh": Activation(tanh_inplace, tanh_derivative, tanh_derivative_slope, saturates=True),
    "relu": Activation(relu_inplace, relu_derivative, relu_derivative_slope),
}
