"""Starting weights: random ones that break symmetry, and the course's fixed debug ones."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

from .course import unroll

__all__ = ["debug_initialize_weights", "initial_params", "rand_initialize_weights"]


def _uniform(random_state, low, high, size):
    """Uniform draws from a seed, a ``RandomState`` or a ``Generator``."""
    if isinstance(random_state, np.random.Generator):
        return random_state.uniform(low, high, size)
    return check_random_state(random_state).uniform(low, high, size)


def rand_initialize_weights(L_in, L_out, epsilon=0.12, random_state=None):
    """Random weights for a layer with ``L_in`` inputs and ``L_out`` outputs.

    If every weight started equal, every hidden unit would compute the same
    function and receive the same gradient, forever: random values in a small
    interval break that symmetry while keeping the sigmoids in their steep,
    fast-learning middle.

    Parameters
    ----------
    L_in, L_out : int
        Number of units in the layer below and above.
    epsilon : float or "auto", default=0.12
        Half-width of the interval.  ``"auto"`` takes
        ``sqrt(6) / sqrt(L_in + L_out)``, the course's recommended choice.
    random_state : int, RandomState, Generator or None, default=None
        Source of randomness, for reproducible weights.

    Returns
    -------
    ndarray of shape (L_out, 1 + L_in)
        Weights uniform in ``[-epsilon, epsilon]``, bias column first.

    Examples
    --------
    >>> from sknn_digits import rand_initialize_weights
    >>> theta = rand_initialize_weights(400, 25, random_state=0)
    >>> theta.shape
    (25, 401)
    >>> bool(abs(theta).max() <= 0.12)
    True
    """
    L_in, L_out = _check_count(L_in, "L_in"), _check_count(L_out, "L_out")
    epsilon = _resolve_epsilon(epsilon, L_in, L_out)
    return _uniform(random_state, -epsilon, epsilon, (L_out, 1 + L_in))


def _check_count(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _resolve_epsilon(epsilon, L_in, L_out):
    if isinstance(epsilon, str) and epsilon == "auto":
        return np.sqrt(6.0) / np.sqrt(L_in + L_out)
    if (
        isinstance(epsilon, numbers.Real)
        and not isinstance(epsilon, bool)
        and np.isfinite(epsilon)
        and epsilon >= 0
    ):
        return float(epsilon)
    raise ValueError(f"epsilon must be a non-negative number or 'auto', got {epsilon!r}.")


def initial_params(layer_sizes, epsilon=0.12, random_state=None):
    """Unrolled random weights for a whole network (one draw per layer, in order).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_inputs, *hidden_sizes, n_outputs)``.
    epsilon : float or "auto", default=0.12
        See :func:`rand_initialize_weights`; ``"auto"`` is resolved per layer.
    random_state : int, RandomState, Generator or None, default=None

    Returns
    -------
    ndarray of shape (n_params,)

    Examples
    --------
    >>> from sknn_digits.initialization import initial_params
    >>> initial_params((400, 25, 10), random_state=0).shape
    (10285,)
    """
    if not isinstance(random_state, np.random.Generator):
        random_state = check_random_state(random_state)
    return unroll(
        *(
            rand_initialize_weights(n_in, n_out, epsilon, random_state)
            for n_in, n_out in zip(layer_sizes, layer_sizes[1:])
        )
    )


def debug_initialize_weights(fan_out, fan_in):
    """Fixed, non-symmetric weights for gradient checking (the course's helper).

    Fills a ``(fan_out, 1 + fan_in)`` matrix with ``sin(1), sin(2), ...``
    divided by 10, column by column as Octave's ``reshape`` does, so results
    can be compared number for number with the course's.

    Parameters
    ----------
    fan_out, fan_in : int
        Number of units in the layer above and below.

    Returns
    -------
    ndarray of shape (fan_out, 1 + fan_in)

    Examples
    --------
    >>> from sknn_digits import debug_initialize_weights
    >>> debug_initialize_weights(2, 1).round(4)
    array([[ 0.0841,  0.0141],
           [ 0.0909, -0.0757]])
    """
    fan_out, fan_in = _check_count(fan_out, "fan_out"), _check_count(fan_in, "fan_in")
    values = np.sin(np.arange(1, fan_out * (1 + fan_in) + 1)) / 10
    return values.reshape((fan_out, 1 + fan_in), order="F")
