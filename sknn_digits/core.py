"""Cost and gradient of a fully connected network, written next to its equations.

This module is the numerical heart of the package: pure functions of arrays,
with no estimator, no scikit-learn and no I/O.  :class:`Network` fixes a
network's shape and computes everything the package needs from a parameter
vector (cost and gradient, Hessian products, the decision, the hidden
activations), so the course functions, training, prediction, the drawing page
and the cluster's chunk tasks all call the very same code.

Notation (the course's, with samples in rows)
---------------------------------------------
A network with layer sizes ``(s_1, ..., s_L)`` has one weight matrix per pair
of consecutive layers.  The course writes layer ``l``'s weights as
``Theta_l`` of shape ``(s_{l+1}, 1 + s_l)``, bias column first.  Here the same
numbers are read as a bias vector ``b_l = Theta_l[:, 0]`` and a weight matrix
``W_l = Theta_l[:, 1:].T`` of shape ``(s_l, s_{l+1})``, so that::

    forward:   a_1 = X
               z_{l+1} = a_l @ W_l + b_l
               a_{l+1} = g(z_{l+1})            hidden layers
               h = output(z_L)                 sigmoid or softmax

    cost:      J = sum_i w_i * loss(z_L[i], y_i)
                   + alpha / (2 m) * sum_l ||W_l||^2      (biases not penalised)

    backward:  delta_L = w * (h - Y)                       output error
               delta_l = (delta_{l+1} @ W_l.T) * g'(a_l)   back through layer l
               dJ/dW_l = a_l.T @ delta_{l+1} + alpha / m * W_l
               dJ/db_l = sum_i delta_{l+1}[i]

where ``m`` is the number of samples (or the sum of the sample weights) and
``w_i = 1 / m`` (or ``sample_weight[i] / m``).

Parameter vector layout
-----------------------
All weights travel as one flat vector, as :func:`scipy.optimize.minimize`
wants.  It is the course's ``[Theta_1(:); Theta_2(:); ...]``: each ``Theta``
unrolled in column-major (Octave) order.  Column-major order of ``Theta`` is
row-major order of ``Theta.T = [b; W]``, so every ``W_l`` and ``b_l`` is a
contiguous view of the flat vector and no copy is made to read or write them.
"""

import threading
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.special import expit, log_expit, log_softmax, softmax

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "Network",
    "aligned",
    "device_of",
    "forward",
    "hessian_vector_product",
    "host_dtype",
    "label_indices",
    "layer_slices",
    "loss_and_gradient",
    "n_params",
    "namespace",
    "penalty",
    "sigmoid",
    "softplus",
    "to_numpy",
    "true_labels",
    "unpack",
]


# ---------------------------------------------------------------------------
# Array namespaces.  numpy arrays (and scipy sparse inputs) take the fast path:
# arrays reused between calls and written in place.  Arrays of another
# array-API namespace (torch, CuPy, array-api-strict: scikit-learn's
# array_api_dispatch) are computed with the standard's functions, on their
# device, in their dtype.  Each function below that has a numpy-only shortcut
# keeps it behind one ``isinstance`` test.
# ---------------------------------------------------------------------------


def namespace(*arrays):
    """The array namespace of ``arrays``: numpy itself for numpy, sparse and plain Python input.

    Examples
    --------
    >>> from sknn_digits.core import namespace
    >>> namespace(np.ones(2), [1.0]) is np
    True
    """
    others = None
    for a in arrays:  # the numpy case first and fast: this runs in every evaluation
        if a is None or isinstance(a, _NUMPY_LIKE) or sparse.issparse(a):
            continue
        if hasattr(a, "__dask_graph__"):  # numpy chunks; the client holds numpy weights
            continue
        others = [a] if others is None else [*others, a]
    if others is None:
        return np
    from ._compat import array_namespace

    return array_namespace(*others)


_NUMPY_LIKE = (np.ndarray, np.generic, list, tuple, float, int)


def to_numpy(array):
    """``array`` as a numpy array on the host (a copy from a device, the array itself otherwise)."""
    if isinstance(array, np.ndarray):
        return array
    if namespace(array) is np:  # lists and scalars: numpy's own conversion
        return np.asarray(array)
    from ._compat import _convert_to_numpy

    return _convert_to_numpy(array, namespace(array))


def device_of(array):
    """The device ``array`` lives on (``"cpu"`` for numpy)."""
    from ._compat import device

    return device(array)


def host_dtype(X):
    """The numpy dtype matching ``X``'s float dtype (float32 or float64), whatever its namespace."""
    if namespace(X) is np:
        return np.dtype(_compute_dtype(X))
    return np.dtype(np.float32 if X.dtype == namespace(X).float32 else np.float64)


def _astype(x, dtype):
    """``x`` in ``dtype`` (numpy 1.26 has no ``np.astype``)."""
    return x.astype(dtype) if isinstance(x, np.ndarray) else namespace(x).astype(x, dtype)


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
    return np.divide(1.0, z, out=z)  # (np.reciprocal takes twice as long)


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
    """A hidden activation: ``g`` in place, ``g'`` of ``a``, and ``dg'/da``."""

    g: Callable
    g_prime: Callable
    g_prime_slope: Callable


#: Hidden activations by name.
ACTIVATIONS = {
    "identity": Activation(identity_inplace, identity_derivative, identity_derivative_slope),
    "logistic": Activation(sigmoid_inplace, sigmoid_derivative, sigmoid_derivative_slope),
    "tanh": Activation(tanh_inplace, tanh_derivative, tanh_derivative_slope),
    "relu": Activation(relu_inplace, relu_derivative, relu_derivative_slope),
}


# ---------------------------------------------------------------------------
# Output layers: each loss is computed from the pre-activations z, never from
# log(h), so that a saturated unit gives a finite cost.  Both pair their
# activation with their loss so that dloss/dz = h - y (the "canonical link"),
# and each carries the directional derivative of h for the Hessian.
# ---------------------------------------------------------------------------


def softplus(z):
    """``log(1 + e^z)`` for any finite ``z``, as ``max(z, 0) + log1p(e^-|z|)``.

    Examples
    --------
    >>> from sknn_digits.core import softplus
    >>> softplus(np.array([-1000.0, 0.0, 1000.0])).round(6).tolist()
    [0.0, 0.693147, 1000.0]
    """
    xp = namespace(z)
    return _positive_part(z) + xp.log1p(xp.exp(-xp.abs(z)))


def _positive_part(z):
    """``max(z, 0)``, as a new array."""
    if isinstance(z, np.ndarray):
        return np.maximum(z, 0)
    xp = namespace(z)
    return xp.where(z > 0, z, xp.zeros_like(z))


def _expit(z):
    """The sigmoid ``1 / (1 + e^-z)``: scipy's ``expit`` on numpy."""
    if isinstance(z, np.ndarray):
        return expit(z)
    return 1.0 / (1.0 + namespace(z).exp(-z))


def _log_expit(z):
    """``log g(z) = -softplus(-z)``, exact where ``g(z)`` rounds to 0 or 1."""
    return log_expit(z) if isinstance(z, np.ndarray) else -softplus(-z)


def _log_softmax(z):
    """``log softmax(z)`` along rows, from the largest entry of each row."""
    if isinstance(z, np.ndarray):
        return log_softmax(z, axis=1)
    xp = namespace(z)
    shifted = z - xp.max(z, axis=1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def logistic_loss(z, Y):
    """Per-sample cross-entropy of independent sigmoid units (the course's).

    ``-y log g(z) - (1 - y) log(1 - g(z))`` simplifies to ``log(1 + e^z) - y z``,
    which :func:`softplus` evaluates without overflow.
    """
    return namespace(z).sum(softplus(z) - Y * z, axis=1)


def logistic_h_direction(h, Rz):
    """Change of ``h = g(z)`` along ``Rz``: ``g'(z) Rz = h (1 - h) Rz``."""
    return h * (1.0 - h) * Rz


def logistic_log_proba(z, multilabel=False):
    """Log-probabilities of sigmoid output units, from their pre-activations.

    One unit (binary): ``P(classes_[1]) = g(z)``.  Multilabel: each unit is the
    independent probability of its label.  Otherwise the units are normalised
    per row, as one-vs-rest classifiers are.  ``log g(z)`` is computed as
    ``log_expit(z)``, exact where ``g(z)`` rounds to 0 or 1.
    """
    if multilabel:
        return _log_expit(z)
    if z.shape[1] == 1:
        pair = [_log_expit(-z), _log_expit(z)]
        return np.hstack(pair) if isinstance(z, np.ndarray) else namespace(z).concat(pair, axis=1)
    return _log_softmax(_log_expit(z))


def softmax_loss(z, Y):
    """Per-sample multinomial cross-entropy ``-sum_k y_k log softmax(z)_k``."""
    return -namespace(z).sum(Y * _log_softmax(z), axis=1)


def _softmax(z):
    if isinstance(z, np.ndarray):
        return softmax(z, axis=1)
    return namespace(z).exp(_log_softmax(z))


def softmax_h_direction(h, Rz):
    """Change of ``h = softmax(z)`` along ``Rz``: ``h * (Rz - sum_k h_k Rz_k)``."""
    return h * (Rz - namespace(h).sum(h * Rz, axis=1, keepdims=True))


def softmax_log_proba(z, multilabel=False):
    """``log softmax(z)``: softmax outputs are probabilities already."""
    return _log_softmax(z)


def label_indices(z, multilabel=False):
    """The predicted class of each row as an index into ``classes_``.

    Every output is increasing in ``z`` and its units cross 0.5 at ``z = 0``,
    so the decision is read from ``z``: a threshold at 0 for one unit and
    for each label of a multilabel output (then a 0/1 indicator matrix),
    the largest unit otherwise.

    Examples
    --------
    >>> from sknn_digits.core import label_indices
    >>> label_indices(np.array([[-1.0], [2.0]])).tolist()
    [0, 1]
    >>> label_indices(np.array([[0.1, 3.0, -2.0]])).tolist()
    [1]
    """
    xp = namespace(z)
    if multilabel:
        return _astype(z > 0, xp.int64)
    if z.shape[1] == 1:
        return _astype(z[:, 0] > 0, xp.int64)
    return xp.argmax(z, axis=1)


def true_labels(Y, multilabel=False):
    """The class index (or 0/1 label row) each row of the 0/1 target matrix ``Y`` stands for.

    Examples
    --------
    >>> from sknn_digits.core import true_labels
    >>> true_labels(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])).tolist()
    [1, 0]
    """
    xp = namespace(Y)
    if multilabel:
        return _astype(Y, xp.int64)
    return _astype(Y[:, 0], xp.int64) if Y.shape[1] == 1 else xp.argmax(Y, axis=1)


class Output(NamedTuple):
    """An output layer: what it means, written once.

    ``h(z)`` its activation, ``loss(z, Y)`` the per-sample loss,
    ``h_direction(h, Rz)`` the change of ``h`` along ``Rz`` (for the
    Hessian), ``log_proba(z, multilabel)`` the class log-probabilities and
    ``labels(z, multilabel)`` the predicted class indices.
    """

    h: Callable
    loss: Callable
    h_direction: Callable
    log_proba: Callable
    labels: Callable


#: Output layers by name.
OUTPUTS = {
    "logistic": Output(_expit, logistic_loss, logistic_h_direction, logistic_log_proba,
                       label_indices),
    "softmax": Output(_softmax, softmax_loss, softmax_h_direction, softmax_log_proba,
                      label_indices),
}


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


# ---------------------------------------------------------------------------
# Forward pass, cost and backward pass.
# ---------------------------------------------------------------------------


def _scratch(workspace, key, shape, dtype):
    """A reusable array: taken from ``workspace`` (a dict) when it fits, else new.

    The solver evaluates the cost hundreds of times on the same data; reusing
    the activation-sized arrays saves allocating and first-touching them every
    time.  With ``workspace=None`` every array is new.
    """
    if workspace is None:
        return np.empty(shape, dtype)
    array = workspace.get(key)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = workspace[key] = np.empty(shape, dtype)
    return array


def aligned(array):
    """``array``, or a copy of it where its data do not start on an item boundary.

    Numpy's BLAS may assume that alignment: one of OpenBLAS's x86 dot
    kernels loads pairs of doubles with an aligned instruction, and on a
    misaligned vector the process dies of a segmentation fault.  Numpy
    arrays unpickled on a Dask worker lie wherever the message put them (a
    scattered parameter vector arrives at any byte offset), so every numpy
    array the evaluation hands to BLAS passes through here first; aligned
    arrays, the usual case, are returned as they are.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.core import aligned
    >>> odd = np.frombuffer(bytes(17), dtype=np.float64, count=2, offset=1)
    >>> odd.flags.aligned, aligned(odd).flags.aligned
    (False, True)
    >>> x = np.ones(3)
    >>> aligned(x) is x
    True
    """
    if isinstance(array, np.ndarray) and not array.flags.aligned:
        return array.copy(order="K")
    return array


def _numpy_params(params, dtype):
    """The parameter vector as an aligned numpy array of ``dtype`` (a copy only if needed)."""
    return aligned(np.asarray(params).astype(dtype, copy=False))


def _product(a, W, out):
    """``a @ W`` written into ``out`` (sparse ``a`` gives a new array, copied in).

    Without ``out`` (another namespace than numpy) a new array.
    """
    if out is None:
        return a @ W
    if sparse.issparse(a):
        out[...] = a @ W
        return out
    return np.matmul(a, W, out=out)


def forward(X, coefs, intercepts, activation="logistic", workspace=None):
    """Forward pass up to the output layer's pre-activation.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (m, n_features)
    coefs, intercepts : lists of ndarray
        ``W_l`` of shape (n_in, n_out) and ``b_l`` of shape (n_out,).
    activation : {"logistic", "tanh", "relu"}
        The hidden activation ``g``.
    workspace : dict, optional
        Arrays to reuse between calls (see :func:`loss_and_gradient`).

    Returns
    -------
    activations : list of ndarray
        ``[X, a_2, ..., a_{L-1}]``: the input and every hidden layer's output.
    z_out : ndarray of shape (m, n_outputs)
        The output layer's pre-activation ``z_L``.

    Examples
    --------
    >>> from sknn_digits.core import forward
    >>> activations, z = forward(np.ones((2, 3)), [np.zeros((3, 4)), np.ones((4, 1))],
    ...                          [np.zeros(4), np.zeros(1)])
    >>> activations[1]   # sigmoid(0) = 0.5 in every hidden unit
    array([[0.5, 0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5, 0.5]])
    >>> z
    array([[2.],
           [2.]])
    """
    g = ACTIVATIONS[activation].g
    numpy = namespace(X) is np
    if numpy:
        X, coefs = aligned(X), [aligned(W) for W in coefs]
    activations = [X]
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        out = (_scratch(workspace, ("z", layer), (X.shape[0], W.shape[1]), W.dtype)
               if numpy else None)
        z = _product(activations[-1], W, out)  # z_{l+1} = a_l W_l + b_l
        z += b
        if layer == len(coefs) - 1:
            return activations, z
        activations.append(g(z))  # a_{l+1} = g(z_{l+1}), in place


def _sample_scale(X, sample_weight, normaliser=None):
    """Per-sample factors ``w_i`` and the normaliser ``m`` of the cost.

    ``m`` is the number of samples, or the sum of the weights; with integer
    weights this is exactly the cost of the data set in which each sample is
    repeated ``sample_weight[i]`` times.  A chunk of a larger data set is
    given that set's ``normaliser``, so the chunks' terms add up to its cost.
    """
    dtype, n_rows, xp = _compute_dtype(X), X.shape[0], namespace(X)
    if xp is np:
        if sample_weight is None:
            m = n_rows if normaliser is None else normaliser
            return np.full((n_rows, 1), 1.0 / m, dtype=dtype), m
        m = float(np.sum(sample_weight)) if normaliser is None else normaliser
        return (np.asarray(sample_weight, dtype=dtype) / m).reshape(-1, 1), m
    if sample_weight is None:
        m = n_rows if normaliser is None else normaliser
        return xp.full((n_rows, 1), 1.0 / m, dtype=dtype, device=device_of(X)), m
    m = float(xp.sum(sample_weight)) if normaliser is None else normaliser
    return xp.reshape(xp.astype(sample_weight, dtype) / m, (-1, 1)), m


def _compute_dtype(X):
    if namespace(X) is not np:
        return X.dtype  # validated as a float dtype of its namespace
    return X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _backward(delta, activations, coefs, activation):
    """Walk the output error ``delta_L`` down the layers, top to bottom.

    Yields ``(layer, a_l, delta_{l+1}, back)`` for each layer ``l``, where
    ``back = delta_{l+1} W_l^T`` (None for the first layer); after the
    consumer's step it goes on with ``delta_l = back * g'(a_l)``.  The
    gradient of layer ``l`` is ``a_l^T delta_{l+1}`` and ``sum_i delta_{l+1}``.
    """
    g_prime = ACTIVATIONS[activation].g_prime
    for layer in range(len(coefs) - 1, -1, -1):
        a = activations[layer]
        if layer == 0:
            yield layer, a, delta, None
            return
        back = delta @ coefs[layer].T
        yield layer, a, delta, back
        delta = back  # delta_l = (delta_{l+1} W_l^T) * g'(a_l), in place
        delta *= g_prime(a)


def _layer_gradient(a, delta):
    """``dJ/dW_l = a_l^T delta_{l+1}`` and ``dJ/db_l = sum_i delta_{l+1}`` (BP3, BP4)."""
    return a.T @ delta, namespace(delta).sum(delta, axis=0)


def _squared_weights(coefs):
    if isinstance(coefs[0], np.ndarray):
        return sum(float(np.vdot(W, W)) for W in coefs)
    xp = namespace(coefs[0])
    return sum(float(xp.sum(W * W)) for W in coefs)


class Network:
    """One network's shape, and everything computed from its parameter vector.

    The one model of the network in the package: training, early stopping,
    prediction, the drawing page and the cluster's chunk tasks all call these
    methods.  Each takes the flat parameter vector first (see the module
    docstring for its layout) and the data after it::

        loss_gradient(params, X, Y, sample_weight=None, normaliser=None, alpha=0.0)
        hessian_product(params, vector, X, Y, sample_weight=None, normaliser=None, alpha=0.0)
        decision(params, X)          # the output layer's pre-activation z_L
        hidden(params, X)            # each hidden layer's activation

    Computations run in ``X``'s float dtype (float32 or float64).  The
    activation-sized arrays of :meth:`loss_gradient` are kept between calls,
    one set per thread, because an optimiser evaluates the cost hundreds of
    times on the same data; they go when the network does.  A pickled network
    (a copy sent to a cluster's worker) starts with none.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, *hidden_sizes, n_outputs)``.
    activation : {"identity", "logistic", "tanh", "relu"}, default="logistic"
        The hidden activation ``g``.
    output : {"logistic", "softmax"}, default="logistic"
        Independent sigmoid units with binary cross-entropy (the course), or
        softmax with multinomial cross-entropy.
    workspace : dict, optional
        A caller's dict to keep the arrays in instead (used by every thread:
        the caller then owns the one-thread-at-a-time rule).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.core import Network
    >>> net = Network((2, 2, 1))
    >>> X, Y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0], [0.0]])
    >>> J, grad = net.loss_gradient(np.zeros(net.n_params), X, Y)
    >>> round(J, 6), grad.shape   # log(2): every output is 0.5
    (0.693147, (9,))
    >>> net.decision(np.zeros(9), X).tolist()
    [[0.0], [0.0]]
    """

    def __init__(self, layer_sizes, activation="logistic", output="logistic", workspace=None):
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        if len(self.layer_sizes) < 2 or min(self.layer_sizes) < 1:
            raise ValueError(f"layer_sizes must hold at least two positive sizes, got "
                             f"{self.layer_sizes}.")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got "
                             f"{activation!r}.")
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {sorted(OUTPUTS)}, got {output!r}.")
        self.activation, self.output = activation, output
        self.n_params = n_params(self.layer_sizes)
        # Each layer's slice of the vector and the shape of its block [b; W].
        self._blocks = [(s, (1 + n_in, n_out)) for s, n_in, n_out in zip(
            layer_slices(self.layer_sizes), self.layer_sizes, self.layer_sizes[1:])]
        self._shared = workspace
        self._local = threading.local()

    def __repr__(self):
        return (f"Network({self.layer_sizes}, activation={self.activation!r}, "
                f"output={self.output!r})")

    # A copy (pickled for a worker) keeps the shape and starts with no arrays.
    def __getstate__(self):
        return {"layer_sizes": self.layer_sizes, "activation": self.activation,
                "output": self.output}

    def __setstate__(self, state):
        self.__init__(**state)

    def workspace(self):
        """This thread's reused arrays (a dict)."""
        if self._shared is not None:
            return self._shared
        if not hasattr(self._local, "arrays"):
            self._local.arrays = {}
        return self._local.arrays

    # ------------------------------------------------------------ the layers

    def unpack(self, params, like=None):
        """``coefs, intercepts``: views of ``params``.

        With ``like`` (an input ``X``), ``params`` are first brought to its
        namespace, device and float dtype: the solver's float64 host vector
        becomes the network's weights where the data are.
        """
        if like is not None:
            params = self.params_like(params, like)
        if not isinstance(params, np.ndarray) or params.shape != (self.n_params,):
            return unpack(params, self.layer_sizes)  # checks, and other namespaces
        blocks = [params[s].reshape(shape) for s, shape in self._blocks]
        return [block[1:] for block in blocks], [block[0] for block in blocks]

    def params_like(self, params, X):
        """``params`` in ``X``'s namespace, on its device, in its float dtype."""
        xp, dtype = namespace(X), _compute_dtype(X)
        if xp is np:
            return _numpy_params(params, dtype)
        if namespace(params) is not xp:
            params = xp.asarray(to_numpy(params), device=device_of(X))
        return xp.astype(params, dtype, copy=False)

    def pack(self, coefs, intercepts):
        """The parameter vector of per-layer ``coefs`` and ``intercepts``: :meth:`unpack`'s inverse.

        The vector is new, in the layers' namespace and (highest) dtype.
        """
        if not isinstance(coefs[0], np.ndarray):
            xp = namespace(coefs[0])
            return xp.concat([xp.reshape(xp.concat([xp.reshape(b, (1, -1)), W], axis=0), (-1,))
                              for W, b in zip(coefs, intercepts)])
        flat = np.empty(self.n_params, dtype=np.result_type(*coefs, *intercepts))
        for (s, shape), W, b in zip(self._blocks, coefs, intercepts):
            block = flat[s].reshape(shape)
            block[0], block[1:] = b, W
        return flat

    def forward(self, params, X):
        """``(activations, z_L)``: :func:`forward` at ``params``, in ``X``'s float dtype."""
        coefs, intercepts = self.unpack(params, like=X)
        return forward(X, coefs, intercepts, self.activation)

    def decision(self, params, X):
        """The output layer's pre-activation ``z_L`` for each row of ``X``.

        What the output means is read from it by :data:`OUTPUTS`: its
        ``log_proba`` and ``labels``.
        """
        return self.forward(params, X)[1]

    def hidden(self, params, X):
        """Each hidden layer's activation ``a_2 .. a_{L-1}`` for each row of ``X``."""
        return self.forward(params, X)[0][1:]

    def hidden_and_decision(self, params, X):
        """:meth:`hidden` and :meth:`decision` from one forward pass."""
        activations, z = self.forward(params, X)
        return activations[1:], z

    def saturation(self, params, X):
        """Share of first-layer units past ``|z| = 20`` at ``params``: their gradient vanished.

        0 for activations that do not saturate (identity, relu).
        """
        if self.activation not in ("logistic", "tanh"):
            return 0.0
        coefs, intercepts = self.unpack(params, like=X)
        z = forward(X, coefs[:1], intercepts[:1], self.activation)[1]
        xp = namespace(z)
        return float(xp.mean(_astype(xp.abs(z) > 20, z.dtype)))

    def evaluation_bytes(self, n_rows, itemsize=8):
        """Bytes one :meth:`loss_gradient` call allocates for ``n_rows`` rows, at most.

        Three arrays per hidden unit and row (its activation, the error
        passed down, the activation's slope) and a row of ones per hidden
        layer; four per output unit and row (the pre-activation,
        ``exp(-|z|)``, a temporary, the error); the row weights or ones; three
        vectors of the parameters' size (the gradient, the penalty's
        temporary, the solver's copy), and the first layer's gradient once
        more; and the buffers numpy's ufuncs take to broadcast the first
        layer's bias down its columns (``np.getbufsize()`` values for each
        of three operands, at most).  Used to refuse a fit that cannot fit in
        memory before it starts.
        """
        sizes = self.layer_sizes
        hidden, outputs = sizes[1:-1], sizes[-1]
        per_row = 3 * sum(hidden) + len(hidden) + 4 * outputs + 1
        return itemsize * (n_rows * per_row + 3 * self.n_params + sizes[0] * sizes[1]
                           + 3 * np.getbufsize())

    # ------------------------------------------------------------ the cost


    def penalty(self, params, alpha, m):
        """The regulariser ``alpha / (2 m) * sum of squared weights`` and its gradient.

        Biases are not penalised.  :meth:`loss_gradient` includes it; a sum of
        chunks' data terms (``alpha=0``) needs it added once.  It is
        quadratic, so its Hessian times ``v`` is its gradient at ``v``.
        """
        coefs, intercepts = unpack(params, self.layer_sizes)
        xp = namespace(coefs[0])
        grad = self.pack([(alpha / m) * W for W in coefs], [xp.zeros_like(b) for b in intercepts])
        return alpha / (2 * m) * _squared_weights(coefs), grad

    def loss_gradient(self, params, X, Y, sample_weight=None, normaliser=None, alpha=0.0):
        """Regularised cost ``J`` and its gradient by backpropagation (BP1-BP4).

        Parameters
        ----------
        params : ndarray of shape (n_params,)
        X : ndarray or sparse matrix of shape (m, n_features)
        Y : ndarray of shape (m, n_outputs)
            0/1 targets, one column per output unit.
        sample_weight : ndarray of shape (m,), optional
            Non-negative weights; ``m`` then means their sum.
        normaliser : float, optional
            The cost's ``m``: by default the number of rows, or the sum of
            ``sample_weight``.  A chunk of a larger data set passes the whole
            set's (and ``alpha=0``), so the chunks' results add up.
        alpha : float, default=0.0
            The course's lambda.

        Returns
        -------
        J : float
        grad : ndarray of shape (n_params,)
            A new array each call, laid out like ``params``.
        """
        if namespace(X) is np:
            return _numpy_loss_gradient(self, params, X, Y, sample_weight, normaliser, alpha)
        # Other namespaces (torch, cupy, array-api-strict): the equations as written.
        coefs, intercepts = self.unpack(params, like=X)
        w, m = _sample_scale(X, sample_weight, normaliser)
        out = OUTPUTS[self.output]

        # Forward pass.
        activations, z_out = forward(X, coefs, intercepts, self.activation)

        # Cost: weighted data term + penalty on the weights (not the biases).
        J = float(namespace(w).reshape(w, (-1,)) @ out.loss(z_out, Y))
        J += alpha / (2 * m) * _squared_weights(coefs)

        # Backward pass, from the output error delta_L = w * (h - Y)   (BP1).
        delta = out.h(z_out)
        delta -= Y
        delta *= w
        grad_coefs, grad_intercepts = [None] * len(coefs), [None] * len(coefs)
        for layer, a, delta_l, _ in _backward(delta, activations, coefs, self.activation):
            grad_W, grad_intercepts[layer] = _layer_gradient(a, delta_l)  # BP3, BP4
            grad_W += (alpha / m) * coefs[layer]  # the penalty's part of dJ/dW_l
            grad_coefs[layer] = grad_W
        return J, self.pack(grad_coefs, grad_intercepts)

    def hessian_product(self, params, vector, X, Y, sample_weight=None, normaliser=None,
                        alpha=0.0):
        """Exact product of the Hessian of ``J`` with ``vector`` (Pearlmutter's R-operator).

        ``R{f} = d/dr f(params + r * vector)`` at ``r = 0`` is pushed through one
        forward and one backward pass next to the ordinary ones, at the cost of
        about two gradient evaluations and no matrix of size n_params^2::

            R{z_{l+1}} = R{a_l} W_l + a_l V_l + Vb_l,    R{a_{l+1}} = g'(z_{l+1}) R{z_{l+1}}
            R{delta_L} = w * R{h}
            R{dJ/dW_l} = R{a_l}^T delta_{l+1} + a_l^T R{delta_{l+1}} + alpha/m V_l
            R{delta_l} = (R{delta_{l+1}} W_l^T + delta_{l+1} V_l^T) * g'(a_l)
                         + (delta_{l+1} W_l^T) * g''(a_l) R{a_l}

        where ``V_l, Vb_l`` are ``vector``'s views of layer ``l`` and ``g''(a)``
        is the slope of ``g'`` as a function of ``a``.  The other arguments are
        :meth:`loss_gradient`'s.
        """
        coefs, intercepts = self.unpack(params, like=X)
        V, Vb = self.unpack(vector, like=X)
        w, m = _sample_scale(X, sample_weight, normaliser)
        act, out = ACTIVATIONS[self.activation], OUTPUTS[self.output]

        # Forward pass, and its R-forward: R{a_1} = R{X} = 0.
        activations, z_out = forward(X, coefs, intercepts, self.activation)
        R_activations = [None]
        for layer in range(len(coefs)):
            a, R_a = activations[layer], R_activations[layer]
            R_z = a @ V[layer] + Vb[layer]  # R{z_{l+1}} = R{a_l} W_l + a_l V_l + Vb_l
            if R_a is not None:
                R_z += R_a @ coefs[layer]
            if layer < len(coefs) - 1:  # R{a_{l+1}} = g'(z_{l+1}) R{z_{l+1}}
                R_activations.append(act.g_prime(activations[layer + 1]) * R_z)
        h = out.h(z_out)

        # Backward pass (the gradient's own walk) and its R-backward beside it.
        hv_coefs, hv_intercepts = [None] * len(coefs), [None] * len(coefs)
        R_delta = out.h_direction(h, R_z) * w  # R{delta_L} = w * R{h}
        for layer, a, delta, back in _backward((h - Y) * w, activations, coefs,
                                               self.activation):
            R_a = R_activations[layer]
            hv_coefs[layer], hv_intercepts[layer] = _layer_gradient(a, R_delta)
            hv_coefs[layer] += (alpha / m) * V[layer]
            if R_a is not None:
                hv_coefs[layer] += R_a.T @ delta
            if back is not None:
                R_back = R_delta @ coefs[layer].T + delta @ V[layer].T
                R_delta = R_back * act.g_prime(a) + back * act.g_prime_slope(a) * R_a
        return self.pack(hv_coefs, hv_intercepts)


# ---------------------------------------------------------------------------
# The numpy evaluation: the same equations with fewer passes over memory.
#
# At the sizes of a grid-search fold (a thousand rows, tens of units) the
# matrix products take only two thirds of an evaluation; the rest is passes
# over activation-sized arrays and Python calls.  So here:
#
# * every array is a reused workspace buffer, and products write where their
#   result is wanted (the gradient's blocks of the flat vector);
# * the hidden layers are kept transposed, one row per unit, below a row of
#   ones: H_l = [1; a_l^T].  Each bias then rides in its layer's product
#   (Theta_l^T H_l = z^T, H_l delta^T = [dJ/db; dJ/dW]), the way the course
#   writes [1, a], and the products of X with units-by-rows arrays run up to a
#   third faster than the same products in rows-by-units order;
# * with unweighted rows the 1/m factor is applied once, to the small
#   gradient, instead of to every row of delta.
# ---------------------------------------------------------------------------


def _logistic_output(z, Y, scale, buffers):
    """The course's output: data term ``sum w_i sum_k (softplus(z) - y z)`` and ``h - y``.

    ``softplus(z) = max(z, 0) + log1p(exp(-|z|))`` and ``g(z) = 1 / (1 + exp(-z))``
    each keep their relative precision where ``g`` saturates (``exp(-z)``
    overflowing to inf gives ``g = 0``, its limit: the caller holds
    ``np.errstate(over="ignore")``).  Two ``exp`` cost less here than one
    shared through a mask: at these widths a masked pass costs several
    plain ones.  ``scale`` is None for rows of equal weight (the caller
    divides by ``m`` once) or the column of per-row weights ``w_i``.
    ``delta`` (the second result) is written over ``buffers.delta``.
    """
    e, u, delta = buffers.e, buffers.u, buffers.delta
    np.abs(z, out=e)
    np.add(z, e, out=u)  # 2 max(z, 0), exactly: half the time of np.maximum(z, 0.0)
    u *= 0.5
    np.negative(e, out=e)
    np.exp(e, out=e)
    u += np.log1p(e, out=e)
    # Each term softplus(z) - y z before any sum: the two sums apart are large and
    # nearly equal, and their difference would lose J's digits (most in float32).
    u -= np.multiply(Y, z, out=e)
    J = float(u.sum()) if scale is None else float(np.vdot(scale, u.sum(axis=1)))
    np.negative(z, out=delta)
    np.exp(delta, out=delta)
    delta += 1.0
    np.divide(1.0, delta, out=delta)
    delta -= Y
    if scale is not None:
        delta *= scale
    return J, delta


def _other_output(output, z, Y, scale):
    """Any other output (softmax): its own loss and ``h``, as the generic path computes them."""
    out = OUTPUTS[output]
    losses = out.loss(z, Y)
    J = float(losses.sum()) if scale is None else float(np.vdot(scale, losses))
    delta = out.h(z)
    delta -= Y
    if scale is not None:
        delta *= scale
    return J, delta


class _Buffers:
    """The arrays one evaluation writes, for ``n_rows`` rows of ``dtype``.

    ``H[l]``: hidden layer ``l + 1`` transposed below a row of ones,
    ``[1; a^T]``; ``back[l]`` and ``slope[l]``: its error ``delta^T`` and a
    temporary of its shape; ``z``: the output layer's pre-activation
    (rows by units), ``e`` and ``u`` two temporaries of its shape and
    ``delta`` its error; ``first``: the first layer's weight gradient,
    transposed; ``ones``: for the first layer's bias gradient.  Made once
    per shape and kept in the network's workspace.
    """

    def __init__(self, key):
        self.key = key
        layer_sizes, logistic_output, n_rows, dtype = key
        hidden = layer_sizes[1:-1]
        self.H = [np.empty((1 + width, n_rows), dtype) for width in hidden]
        for H in self.H:
            H[0] = 1.0
        self.back = [np.empty((width, n_rows), dtype) for width in hidden]
        self.slope = [np.empty((width, n_rows), dtype) for width in hidden]
        self.z = np.empty((n_rows, layer_sizes[-1]), dtype)
        if logistic_output:  # (a softmax output makes its own)
            self.e, self.u, self.delta = (np.empty_like(self.z) for _ in range(3))
        self.first = np.empty(layer_sizes[1::-1], dtype)
        self.ones = np.ones(n_rows, dtype)

    @classmethod
    def of(cls, network, n_rows, dtype):
        """The buffers kept in ``network``'s workspace for this shape, made if missing."""
        ws = network.workspace()
        key = (network.layer_sizes, network.output == "logistic", n_rows, dtype)
        buffers = ws.get("buffers")
        if buffers is None or buffers.key != key:
            buffers = ws["buffers"] = cls(key)
        return buffers


def _numpy_loss_gradient(network, params, X, Y, sample_weight, normaliser, alpha):
    """:meth:`Network.loss_gradient` for numpy arrays and scipy.sparse ``X``: BP1-BP4."""
    dtype = _compute_dtype(X)
    params, X = _numpy_params(params, dtype), aligned(X)
    blocks = [params[s].reshape(shape) for s, shape in network._blocks]  # Theta_l^T = [b_l; W_l]
    grad = np.empty(network.n_params, dtype=dtype)
    grad_blocks = [grad[s].reshape(shape) for s, shape in network._blocks]
    buffers = _Buffers.of(network, X.shape[0], dtype)
    if sample_weight is None:
        m = X.shape[0] if normaliser is None else normaliser
        scale = None  # equal weights: 1/m applied once, to the gradient
    else:
        m = float(np.sum(sample_weight)) if normaliser is None else normaliser
        scale = (np.asarray(sample_weight, dtype=dtype) / m).reshape(-1, 1)
    # exp(-z) overflowing to inf gives the sigmoid 1 / (1 + inf) = 0, its limit.
    with np.errstate(over="ignore"):
        J = _backpropagate(network, blocks, grad_blocks, X, Y, scale, buffers)

    # The penalty alpha/(2m) sum W^2 (biases free), and the 1/m of equal weights.
    squares = 0.0
    factor = alpha if scale is None else alpha / m
    for block, grad_block in zip(blocks, grad_blocks):
        W = block[1:]
        squares += float(np.vdot(W, W))
        if alpha:
            grad_block[1:] += factor * W
    if scale is None:
        grad *= 1.0 / m
        J /= m
    return J + alpha / (2 * m) * squares, grad


def _backpropagate(network, blocks, grad_blocks, X, Y, scale, buffers):
    """The data term of ``J``; its gradient written into ``grad_blocks``."""
    last = len(blocks) - 1
    logistic = network.activation == "logistic"
    act = ACTIVATIONS[network.activation]
    is_sparse = sparse.issparse(X)

    # Forward pass: z_{l+1} = a_l W_l + b_l, a_{l+1} = g(z_{l+1}); hidden layers
    # transposed, z^T = Theta_l^T [1; a_l^T].
    for layer, block in enumerate(blocks[:last]):
        a_t = buffers.H[layer][1:]  # this layer's z^T, then g(z)^T
        if layer > 0:  # (the sigmoid wants -z: the small block is negated instead)
            np.matmul((np.negative(block) if logistic else block).T, buffers.H[layer - 1],
                      out=a_t)
        else:  # W^T X^T, and the bias down every column (its sign with the sigmoid's)
            if is_sparse:
                a_t[...] = (X @ block[1:]).T
            else:
                np.matmul(block[1:].T, X.T, out=a_t)
            if logistic:
                np.subtract(-block[0][:, None], a_t, out=a_t)
            else:
                a_t += block[0][:, None]
        if logistic:  # a_t holds -z: 1 / (1 + exp(-z))
            np.exp(a_t, out=a_t)
            a_t += 1.0
            np.divide(1.0, a_t, out=a_t)  # (np.reciprocal takes twice as long)
            np.subtract(1.0, a_t, out=buffers.slope[layer])  # 1 - a, for g' below
        else:
            act.g(a_t)
    if last == 0:  # no hidden layer
        z_out = _product(X, blocks[0][1:], buffers.z)
        z_out += blocks[0][0]
    else:
        z_out = np.matmul(buffers.H[-1].T, blocks[last], out=buffers.z)

    # Cost (data term) and the output error delta_L = w (h - y)   (BP1).
    if network.output == "logistic":
        J, delta = _logistic_output(z_out, Y, scale, buffers)
    else:
        J, delta = _other_output(network.output, z_out, Y, scale)

    # Backward pass: the layers' gradients (BP3, BP4) and delta_l = (delta W^T) g'(a)  (BP2),
    # the hidden layers' delta transposed.
    delta_t = delta.T
    for layer in range(last, 0, -1):
        H = buffers.H[layer - 1]
        np.matmul(H, delta_t.T, out=grad_blocks[layer])               # [dJ/db_l; dJ/dW_l]
        back = np.matmul(blocks[layer][1:], delta_t, out=buffers.back[layer - 1])
        a_t, slope = H[1:], buffers.slope[layer - 1]
        if logistic:  # g'(z) = a (1 - a), 1 - a kept from the forward pass
            back *= a_t
            back *= slope
        else:
            back *= act.g_prime(a_t, out=slope)
        delta_t = back
    grad_first = grad_blocks[0]
    np.matmul(delta_t, buffers.ones, out=grad_first[0])             # dJ/db_1 = sum_i delta
    if is_sparse:
        grad_first[1:] = X.T @ delta_t.T                               # dJ/dW_1 = X^T delta
    else:
        grad_first[1:] = np.matmul(delta_t, X, out=buffers.first).T
    return J


# ---------------------------------------------------------------------------
# The same as functions of the layer sizes, for one-off calls.
# ---------------------------------------------------------------------------


def loss_and_gradient(params, layer_sizes, X, Y, alpha=0.0, activation="logistic",
                      output="logistic", sample_weight=None, workspace=None, normaliser=None):
    """Regularised cost ``J`` and its gradient: :meth:`Network.loss_gradient` in one call.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Unrolled parameters (see :func:`sknn_digits.unroll`).
    layer_sizes : sequence of int
        ``(n_features, *hidden_sizes, n_outputs)``.
    X : ndarray or sparse matrix of shape (m, n_features)
    Y : ndarray of shape (m, n_outputs)
    alpha : float, default=0.0
        The course's lambda: adds ``alpha / (2 m) * sum of squared weights``
        (biases excluded).
    activation, output : str
        As for :class:`Network`.
    sample_weight : ndarray of shape (m,), optional
    workspace : dict, optional
        A dict owned by the caller in which activation-sized arrays are kept
        and reused by the next call with the same shapes.  The results do not
        depend on it.
    normaliser : float, optional
        As for :meth:`Network.loss_gradient`.

    Returns
    -------
    J : float
    grad : ndarray of shape (n_params,)

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.core import loss_and_gradient
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> Y = np.array([[1.0], [0.0]])
    >>> J, grad = loss_and_gradient(np.zeros(9), (2, 2, 1), X, Y)
    >>> round(J, 6)   # log(2): every output is 0.5
    0.693147
    """
    network = Network(layer_sizes, activation, output, workspace=workspace)
    return network.loss_gradient(params, X, Y, sample_weight, normaliser, alpha)


def penalty(params, layer_sizes, alpha, m):
    """The regulariser and its gradient: :meth:`Network.penalty` in one call.

    Examples
    --------
    >>> from sknn_digits.core import penalty
    >>> value, grad = penalty(np.ones(9), (2, 2, 1), alpha=1.0, m=2)
    >>> value, grad.tolist()   # 6 weights of 1; 3 biases free
    (1.5, [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.5, 0.5])
    """
    return Network(layer_sizes).penalty(params, alpha, m)


def hessian_vector_product(params, vector, layer_sizes, X, Y, alpha=0.0,
                           activation="logistic", output="logistic", sample_weight=None,
                           normaliser=None):
    """Exact Hessian-vector product: :meth:`Network.hessian_product` in one call.

    Examples
    --------
    >>> from sknn_digits.core import hessian_vector_product, loss_and_gradient
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(5, 2)), np.eye(2)[[0, 1, 0, 1, 1]]
    >>> params, v = rng.normal(size=17), rng.normal(size=17)
    >>> hv = hessian_vector_product(params, v, (2, 3, 2), X, Y, alpha=0.1)
    >>> def g(p):
    ...     return loss_and_gradient(p, (2, 3, 2), X, Y, alpha=0.1)[1]
    >>> bool(np.allclose(hv, (g(params + 1e-6 * v) - g(params - 1e-6 * v)) / 2e-6))
    True
    """
    network = Network(layer_sizes, activation, output)
    return network.hessian_product(params, vector, X, Y, sample_weight, normaliser, alpha)
