"""The flat parameter vector (the course's unrolled ``Theta``) and its per-layer views.
"""


import numpy as np

from .arrays import namespace

# ---------------------------------------------------------------------------
# The flat parameter vector and its per-layer views.
# ---------------------------------------------------------------------------


def n_params(layer_sizes):
    """Number of weights, biases included, of a network with these layer sizes.

    Examples
    --------
    >>> from sknn_digits.core import n_params
    >>> n_params((400, 25, 10))   # 25 x 401 + 10 x 26
    10285
    """
    return sum((1 + n_in) * n_out for n_in, n_out in zip(layer_sizes, layer_sizes[1:]))


def layer_slices(layer_sizes):
    """Slices of the flat vector that hold each layer's ``Theta``.

    Examples
    --------
    >>> from sknn_digits.core import layer_slices
    >>> layer_slices((400, 25, 10))
    [slice(0, 10025, None), slice(10025, 10285, None)]
    """
    slices, start = [], 0
    for n_in, n_out in zip(layer_sizes, layer_sizes[1:]):
        stop = start + (1 + n_in) * n_out
        slices.append(slice(start, stop))
        start = stop
    return slices


def unpack(params, layer_sizes):
    """Per-layer weight matrices ``W`` (n_in, n_out) and biases ``b`` (n_out,).

    Both are contiguous views of ``params`` (see the module docstring).

    Examples
    --------
    >>> from sknn_digits.core import unpack
    >>> coefs, intercepts = unpack(np.arange(9.0), (2, 3))
    >>> intercepts[0]
    array([0., 1., 2.])
    >>> coefs[0]
    array([[3., 4., 5.],
           [6., 7., 8.]])
    """
    xp = namespace(params)
    params = np.asarray(params) if xp is np else params
    layer_sizes = tuple(int(s) for s in layer_sizes)
    if len(params.shape) != 1 or params.shape[0] != n_params(layer_sizes):
        raise ValueError(
            f"params must be a 1-D vector of {n_params(layer_sizes)} values for "
            f"layer sizes {layer_sizes}, got an array of shape {tuple(params.shape)}."
        )
    coefs, intercepts = [], []
    for s, n_in, n_out in zip(layer_slices(layer_sizes), layer_sizes, layer_sizes[1:]):
        theta_t = xp.reshape(params[s], (1 + n_in, n_out))  # Theta_l.T = [b_l; W_l]
        intercepts.append(theta_t[0, :])
        coefs.append(theta_t[1:, :])
    return coefs, intercepts
