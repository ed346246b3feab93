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

import numpy as np
from scipy.special import expit, log_softmax, softmax

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "forward",
    "layer_slices",
    "loss_and_gradient",
    "n_params",
    "output_activation",
    "relu",
    "relu_derivative",
    "roll",
    "sigmoid",
    "sigmoid_gradient",
    "softplus",
    "tanh",
    "tanh_derivative",
    "unpack",
    "unroll",
]


# ---------------------------------------------------------------------------
# Hidden activations: each forward g(z) sits next to its derivative g'(z),
# written as a function of the activation a = g(z) so that the backward pass
# needs only the activations the forward pass kept.  Forwards work in place.
# ---------------------------------------------------------------------------


def sigmoid(z, out=None):
    """Logistic function ``1 / (1 + exp(-z))``, without overflow warnings.

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


def sigmoid_derivative(a):
    """``g'(z) = g(z) (1 - g(z))``, from ``a = g(z)``."""
    return a * (1.0 - a)


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


def tanh(z, out=None):
    """Hyperbolic tangent activation."""
    return np.tanh(z, out=out)


def tanh_derivative(a):
    """``tanh'(z) = 1 - tanh(z)^2``, from ``a = tanh(z)``."""
    return 1.0 - a * a


def relu(z, out=None):
    """Rectified linear activation ``max(z, 0)``."""
    return np.maximum(z, 0, out=out)


def relu_derivative(a):
    """``relu'(z)`` is 1 where ``z > 0`` and 0 elsewhere; ``z > 0`` iff ``a > 0``."""
    return (a > 0).astype(a.dtype)


#: Hidden activations by name: ``(g, g' as a function of g(z))``.
ACTIVATIONS = {
    "logistic": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
}


# ---------------------------------------------------------------------------
# Output layers: each loss is computed from the pre-activations z, never from
# log(h), so that a saturated unit gives a finite cost.  Both pair their
# activation with their loss so that dloss/dz = h - y (the "canonical link").
# ---------------------------------------------------------------------------


def softplus(z):
    """``log(1 + e^z)`` for any finite ``z``, as ``max(z, 0) + log1p(e^-|z|)``."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def logistic_loss(z, Y):
    """Per-sample cross-entropy of independent sigmoid units (the course's).

    ``-y log g(z) - (1 - y) log(1 - g(z))`` simplifies to ``log(1 + e^z) - y z``,
    which :func:`softplus` evaluates without overflow.
    """
    return (softplus(z) - Y * z).sum(axis=1)


def softmax_loss(z, Y):
    """Per-sample multinomial cross-entropy ``-sum_k y_k log softmax(z)_k``."""
    return -(Y * log_softmax(z, axis=1)).sum(axis=1)


def _softmax(z):
    return softmax(z, axis=1)


#: Output layers by name: ``(activation h(z), per-sample loss(z, Y))``.
OUTPUTS = {
    "logistic": (expit, logistic_loss),
    "softmax": (_softmax, softmax_loss),
}


# ---------------------------------------------------------------------------
# The flat parameter vector and its per-layer views.
# ---------------------------------------------------------------------------


def n_params(layer_sizes):
    """Number of weights, biases included, of a network with these layer sizes."""
    return sum((1 + n_in) * n_out for n_in, n_out in zip(layer_sizes, layer_sizes[1:]))


def layer_slices(layer_sizes):
    """Slices of the flat vector that hold each layer's ``Theta``."""
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
    """
    thetas = roll(params, layer_sizes)
    return [t[:, 1:].T for t in thetas], [t[:, 0] for t in thetas]


# ---------------------------------------------------------------------------
# Forward pass, cost and backward pass.
# ---------------------------------------------------------------------------


def forward(X, coefs, intercepts, activation="logistic"):
    """Forward pass up to the output layer's pre-activation.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (m, n_features)
    coefs, intercepts : lists of ndarray
        ``W_l`` of shape (n_in, n_out) and ``b_l`` of shape (n_out,).
    activation : {"logistic", "tanh", "relu"}
        The hidden activation ``g``.

    Returns
    -------
    activations : list of ndarray
        ``[X, a_2, ..., a_{L-1}]``: the input and every hidden layer's output.
    z_out : ndarray of shape (m, n_outputs)
        The output layer's pre-activation ``z_L``.
    """
    g, _ = ACTIVATIONS[activation]
    activations = [X]
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        z = activations[-1] @ W  # z_{l+1} = a_l W_l + b_l
        z += b
        activations.append(g(z, out=z))  # a_{l+1} = g(z_{l+1}), in place
    z_out = activations[-1] @ coefs[-1]
    z_out += intercepts[-1]
    return activations, z_out


def output_activation(X, coefs, intercepts, activation="logistic", output="logistic"):
    """The network's output ``h`` for each row of ``X``."""
    _, z_out = forward(X, coefs, intercepts, activation)
    h, _ = OUTPUTS[output]
    return h(z_out)


def _sample_scale(m, sample_weight, dtype):
    """Per-sample factors ``w_i`` and the normaliser ``m`` of the cost.

    With integer weights this is exactly the cost of the data set in which
    each sample is repeated ``sample_weight[i]`` times.
    """
    if sample_weight is None:
        return np.full((m, 1), 1.0 / m, dtype=dtype), m
    total = float(np.sum(sample_weight))
    return (np.asarray(sample_weight, dtype=dtype) / total).reshape(-1, 1), total


def loss_and_gradient(
    params,
    layer_sizes,
    X,
    Y,
    alpha=0.0,
    activation="logistic",
    output="logistic",
    sample_weight=None,
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

    Returns
    -------
    J : float
        The cost.
    grad : ndarray of shape (n_params,)
        ``dJ/dparams``, laid out like ``params``, in ``params``' dtype.

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
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    params = np.asarray(params)
    grad = np.empty_like(params, dtype=np.result_type(params.dtype, np.float32))
    coefs, intercepts = unpack(params.astype(dtype, copy=False), layer_sizes)
    grad_coefs, grad_intercepts = unpack(grad, layer_sizes)
    w, m = _sample_scale(X.shape[0], sample_weight, dtype)
    h, loss = OUTPUTS[output]
    _, g_prime = ACTIVATIONS[activation]

    # Forward pass.
    activations, z_out = forward(X, coefs, intercepts, activation)

    # Cost: weighted data term + penalty on the weights (not the biases).
    penalty = sum(float(np.vdot(W, W)) for W in coefs)
    J = float(w.ravel() @ loss(z_out, Y)) + alpha / (2 * m) * penalty

    # Backward pass, from the output error delta_L = w * (h - Y).
    delta = h(z_out)
    delta -= Y
    delta *= w
    for layer in range(len(coefs) - 1, -1, -1):
        a, W = activations[layer], coefs[layer]
        grad_coefs[layer][...] = a.T @ delta  # dJ/dW_l = a_l^T delta_{l+1} ...
        grad_coefs[layer] += (alpha / m) * W  # ... + alpha/m W_l
        grad_intercepts[layer][...] = delta.sum(axis=0)  # dJ/db_l
        if layer > 0:  # delta_l = (delta_{l+1} W_l^T) * g'(a_l)
            delta = delta @ W.T
            delta *= g_prime(a)
    return J, grad
