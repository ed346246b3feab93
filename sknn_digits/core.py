"""Cost and gradient of a fully connected network, written next to its equations.

This module is the numerical heart of the package: pure functions of arrays,
with no estimator, no scikit-learn and no I/O, so the gradient check, the
course functions and :class:`~sknn_digits.BackpropMLPClassifier` all call the
very same code.

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

from typing import Callable, NamedTuple

import numpy as np
from scipy import sparse
from scipy.special import expit, log_expit, log_softmax, softmax

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "forward",
    "hessian_vector_product",
    "layer_slices",
    "loss_and_gradient",
    "n_params",
    "output_activation",
    "roll",
    "sigmoid",
    "sigmoid_gradient",
    "softplus",
    "check_thetas",
    "label_indices",
    "unpack",
    "unroll",
]


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


def sigmoid_inplace(z):
    """``g(z)`` written over ``z``, as ``1 / (1 + exp(-z))``.

    The hidden layers' sigmoid.  numpy's ``exp`` is vectorised where its
    ``tanh`` and scipy's ``expit`` are not always (measured 1.2 ms against 2.4
    and 1.5 ms for 180,000 float64 values on the project's machine), and the
    form keeps a relative error of a few ulps everywhere: ``exp(-z)``
    overflowing to infinity for very negative ``z`` gives the exact limit 0.
    """
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)


def sigmoid_derivative(a, out=None):
    """``g'(z) = g(z) (1 - g(z)) = a (1 - a)``."""
    out = np.subtract(1.0, a, out=out)
    out *= a
    return out


def sigmoid_derivative_slope(a):
    """``d g'/d a = 1 - 2a``."""
    return 1.0 - 2.0 * a


def tanh_inplace(z):
    """``tanh(z)`` written over ``z``."""
    return np.tanh(z, out=z)


def tanh_derivative(a, out=None):
    """``tanh'(z) = 1 - tanh(z)^2 = 1 - a^2``."""
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
    if out is None:
        out = np.empty_like(a)
    out.fill(1)
    return out


def identity_derivative_slope(a):
    """The constant 1 is flat in ``a``: 0."""
    return np.zeros_like(a)


def relu_inplace(z):
    """``max(z, 0)`` written over ``z``."""
    return np.maximum(z, 0, out=z)


def relu_derivative(a, out=None):
    """``relu'(z)`` is 1 where ``z > 0``, else 0; ``z > 0`` exactly where ``a > 0``."""
    if out is None:
        out = np.empty_like(a)
    return np.greater(a, 0, out=out)


def relu_derivative_slope(a):
    """The step ``relu'`` is flat in ``a``: 0."""
    return np.zeros_like(a)


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
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def logistic_loss(z, Y):
    """Per-sample cross-entropy of independent sigmoid units (the course's).

    ``-y log g(z) - (1 - y) log(1 - g(z))`` simplifies to ``log(1 + e^z) - y z``,
    which :func:`softplus` evaluates without overflow.
    """
    return (softplus(z) - Y * z).sum(axis=1)


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
        return log_expit(z)
    if z.shape[1] == 1:
        return np.hstack([log_expit(-z), log_expit(z)])
    return log_softmax(log_expit(z), axis=1)


def softmax_loss(z, Y):
    """Per-sample multinomial cross-entropy ``-sum_k y_k log softmax(z)_k``."""
    return -(Y * log_softmax(z, axis=1)).sum(axis=1)


def _softmax(z):
    return softmax(z, axis=1)


def softmax_h_direction(h, Rz):
    """Change of ``h = softmax(z)`` along ``Rz``: ``h * (Rz - sum_k h_k Rz_k)``."""
    return h * (Rz - (h * Rz).sum(axis=1, keepdims=True))


def softmax_log_proba(z, multilabel=False):
    """``log softmax(z)``: softmax outputs are probabilities already."""
    return log_softmax(z, axis=1)


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
    if multilabel:
        return (z > 0).astype(np.int64)
    if z.shape[1] == 1:
        return (z[:, 0] > 0).astype(np.intp)
    return z.argmax(axis=1)


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
    "logistic": Output(expit, logistic_loss, logistic_h_direction, logistic_log_proba,
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
    params = np.asarray(params)
    layer_sizes = tuple(int(s) for s in layer_sizes)
    if params.ndim != 1 or params.size != n_params(layer_sizes):
        raise ValueError(
            f"params must be a 1-D vector of {n_params(layer_sizes)} values for "
            f"layer sizes {layer_sizes}, got an array of shape {params.shape}."
        )
    return [
        params[s].reshape((n_out, 1 + n_in), order="F")
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
    return np.concatenate([np.asarray(t).ravel(order="F") for t in thetas])


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
    thetas = roll(params, layer_sizes)
    return [t[:, 1:].T for t in thetas], [t[:, 0] for t in thetas]


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


def _product(a, W, out):
    """``a @ W`` written into ``out`` (sparse ``a`` gives a new array, copied in)."""
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
    activations = [X]
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        out = _scratch(workspace, ("z", layer), (X.shape[0], W.shape[1]), W.dtype)
        z = _product(activations[-1], W, out)  # z_{l+1} = a_l W_l + b_l
        z += b
        if layer == len(coefs) - 1:
            return activations, z
        activations.append(g(z))  # a_{l+1} = g(z_{l+1}), in place


def output_activation(X, coefs, intercepts, activation="logistic", output="logistic"):
    """The network's output ``h`` for each row of ``X``.

    Examples
    --------
    >>> from sknn_digits.core import output_activation
    >>> output_activation(np.ones((1, 2)), [np.zeros((2, 2)), np.zeros((2, 3))],
    ...                   [np.zeros(2), np.zeros(3)], output="softmax").round(4)
    array([[0.3333, 0.3333, 0.3333]])
    """
    _, z_out = forward(X, coefs, intercepts, activation)
    return OUTPUTS[output].h(z_out)


def _sample_scale(n_rows, sample_weight, dtype, normaliser=None):
    """Per-sample factors ``w_i`` and the normaliser ``m`` of the cost.

    ``m`` is the number of samples, or the sum of the weights; with integer
    weights this is exactly the cost of the data set in which each sample is
    repeated ``sample_weight[i]`` times.  A chunk of a larger data set is
    given that set's ``normaliser``, so the chunks' terms add up to its cost.
    """
    if sample_weight is None:
        m = n_rows if normaliser is None else normaliser
        return np.full((n_rows, 1), 1.0 / m, dtype=dtype), m
    m = float(np.sum(sample_weight)) if normaliser is None else normaliser
    return (np.asarray(sample_weight, dtype=dtype) / m).reshape(-1, 1), m


def _compute_dtype(X):
    return X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _setup(params, layer_sizes, X, sample_weight, normaliser=None):
    """What both passes need: the weights as views in ``X``'s dtype, ``w`` and ``m``."""
    dtype = _compute_dtype(X)
    coefs, intercepts = unpack(np.asarray(params).astype(dtype, copy=False), layer_sizes)
    w, m = _sample_scale(X.shape[0], sample_weight, dtype, normaliser)
    return coefs, intercepts, w, m


def _like_params(params, layer_sizes):
    """A new vector laid out like ``params`` (at least float32), and its layer views."""
    params = np.asarray(params)
    flat = np.empty(params.shape, dtype=np.result_type(params.dtype, np.float32))
    return (flat, *unpack(flat, layer_sizes))


def _backward(delta, activations, coefs, activation, workspace=None):
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
        back = np.matmul(delta, coefs[layer].T,
                         out=_scratch(workspace, ("back", layer), a.shape, a.dtype))
        yield layer, a, delta, back
        delta = back  # delta_l = (delta_{l+1} W_l^T) * g'(a_l), in place
        delta *= g_prime(a, out=_scratch(workspace, ("g'", layer), a.shape, a.dtype))


def _layer_gradient(a, delta, grad_W, grad_b):
    """``dJ/dW_l = a_l^T delta_{l+1}`` and ``dJ/db_l = sum_i delta_{l+1}``, written in place."""
    grad_W[...] = a.T @ delta
    grad_b[...] = delta.sum(axis=0)


def loss_and_gradient(
    params,
    layer_sizes,
    X,
    Y,
    alpha=0.0,
    activation="logistic",
    output="logistic",
    sample_weight=None,
    workspace=None,
    normaliser=None,
):
    """Regularised cost ``J`` and its gradient by backpropagation.

    Parameters
    ----------
    params : ndarray of shape (n_params,)
        Unrolled parameters (see :func:`unroll`).
    layer_sizes : sequence of int
        ``(n_features, *hidden_sizes, n_outputs)``.
    X : ndarray or sparse matrix of shape (m, n_features)
        Inputs, one sample per row.  The computation runs in ``X``'s float
        dtype (float32 or float64).
    Y : ndarray of shape (m, n_outputs)
        Targets: 0/1 indicators, one column per output unit.
    alpha : float, default=0.0
        The course's lambda: adds ``alpha / (2 m) * sum of squared weights``
        (biases excluded).
    activation : {"logistic", "tanh", "relu"}, default="logistic"
        Hidden activation.
    output : {"logistic", "softmax"}, default="logistic"
        Independent sigmoid units with binary cross-entropy (the course), or
        softmax with multinomial cross-entropy.
    sample_weight : ndarray of shape (m,), optional
        Non-negative weights; ``m`` then means their sum.
    workspace : dict, optional
        A dict owned by the caller in which activation-sized arrays are kept
        and reused by the next call with the same shapes.  The results do not
        depend on it.
    normaliser : float, optional
        The cost's ``m``: by default the number of rows, or the sum of
        ``sample_weight``.  For a chunk of a larger data set, pass the whole
        set's and ``alpha=0``: the chunks' results then add up to the set's
        data term, to which :func:`penalty` adds the rest.

    Returns
    -------
    J : float
        The cost.
    grad : ndarray of shape (n_params,)
        ``dJ/dparams``, laid out like ``params``: a new array each call.

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
    coefs, intercepts, w, m = _setup(params, layer_sizes, X, sample_weight, normaliser)
    grad, grad_coefs, grad_intercepts = _like_params(params, layer_sizes)
    out = OUTPUTS[output]

    # Forward pass.
    activations, z_out = forward(X, coefs, intercepts, activation, workspace)

    # Cost: weighted data term + penalty on the weights (not the biases).
    J = float(w.ravel() @ out.loss(z_out, Y)) + alpha / (2 * m) * _squared_weights(coefs)

    # Backward pass, from the output error delta_L = w * (h - Y).
    delta = out.h(z_out)
    delta -= Y
    delta *= w
    for layer, a, delta, _ in _backward(delta, activations, coefs, activation, workspace):
        _layer_gradient(a, delta, grad_coefs[layer], grad_intercepts[layer])
        grad_coefs[layer] += (alpha / m) * coefs[layer]  # the penalty's part of dJ/dW_l
    return J, grad


def _squared_weights(coefs):
    return sum(float(np.vdot(W, W)) for W in coefs)


def penalty(params, layer_sizes, alpha, m):
    """The regulariser ``alpha / (2 m) * sum of squared weights`` and its gradient.

    Biases are not penalised.  :func:`loss_and_gradient` includes it; a sum
    of chunks' data terms (``alpha=0``) needs it added once.  It is
    quadratic, so its Hessian times ``v`` is its gradient at ``v``.

    Examples
    --------
    >>> from sknn_digits.core import penalty
    >>> value, grad = penalty(np.ones(9), (2, 2, 1), alpha=1.0, m=2)
    >>> value, grad.tolist()   # 6 weights of 1; 3 biases free
    (1.5, [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.5, 0.5])
    """
    params = np.asarray(params)
    grad, grad_coefs, _ = _like_params(params, layer_sizes)
    grad[...] = 0.0
    coefs = unpack(params, layer_sizes)[0]
    for W, grad_W in zip(coefs, grad_coefs):
        grad_W[...] = (alpha / m) * W
    return alpha / (2 * m) * _squared_weights(coefs), grad


def hessian_vector_product(
    params,
    vector,
    layer_sizes,
    X,
    Y,
    alpha=0.0,
    activation="logistic",
    output="logistic",
    sample_weight=None,
    normaliser=None,
):
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
    is the slope of ``g'`` as a function of ``a``.

    Parameters
    ----------
    params, vector : ndarray of shape (n_params,)
        Where the Hessian is taken, and the direction.
    layer_sizes, X, Y, alpha, activation, output, sample_weight, normaliser
        As for :func:`loss_and_gradient`.

    Returns
    -------
    ndarray of shape (n_params,)
        ``H @ vector``.

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
    coefs, intercepts, w, m = _setup(params, layer_sizes, X, sample_weight, normaliser)
    V, Vb = _setup(vector, layer_sizes, X, None)[:2]
    act, out = ACTIVATIONS[activation], OUTPUTS[output]

    # Forward pass, and its R-forward: R{a_1} = R{X} = 0.
    activations, z_out = forward(X, coefs, intercepts, activation)
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
    hv, hv_coefs, hv_intercepts = _like_params(params, layer_sizes)
    R_delta = out.h_direction(h, R_z) * w  # R{delta_L} = w * R{h}
    for layer, a, delta, back in _backward((h - Y) * w, activations, coefs, activation):
        R_a = R_activations[layer]
        _layer_gradient(a, R_delta, hv_coefs[layer], hv_intercepts[layer])
        hv_coefs[layer] += (alpha / m) * V[layer]
        if R_a is not None:
            hv_coefs[layer] += R_a.T @ delta
        if back is not None:
            R_back = R_delta @ coefs[layer].T + delta @ V[layer].T
            R_delta = R_back * act.g_prime(a) + back * act.g_prime_slope(a) * R_a
    return hv


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
    >>> from sknn_digits.core import check_thetas
    >>> check_thetas([np.zeros((25, 401)), np.zeros((10, 26))])[1]
    (400, 25, 10)
    >>> check_thetas([np.zeros((25, 401)), np.zeros((10, 25))])
    Traceback (most recent call last):
    ...
    ValueError: Theta 2 has shape (10, 25) but must have 1 + 25 columns to follow Theta 1 of shape (25, 401).
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
