"""The numpy evaluation of :meth:`~sknn_digits.core.Network.loss_gradient`: the
equations of :mod:`.network` with fewer passes over memory.

Where the compiled kernel was built (``sknn_digits.core._fused``, by ``setup.py`` where a
compiler exists), its loops take the element-wise passes of the sigmoid and of the
logistic and softmax outputs, each fused into one pass that runs without the interpreter
lock; the numpy code beside each call is the reference they are held equal to.
"""


import numpy as np
from scipy import sparse

from .activations import ACTIVATIONS
from .arrays import _compute_dtype, _numpy_params, _product, aligned
from .outputs import OUTPUTS

try:  # the compiled loops, where setup.py could build them
    from . import _fused
except ImportError:  # no compiler at install time: numpy alone
    _fused = None


def kernel():
    """``"compiled"`` where the compiled loops were built and load, else ``"numpy"``.

    Examples
    --------
    >>> from sknn_digits.core import kernel
    >>> kernel() in ("compiled", "numpy")
    True
    """
    return "numpy" if _fused is None else "compiled"


def _compiled(*arrays):
    """The compiled loops, if they take these arrays (C-contiguous, one float dtype), else
    None."""
    if _fused is None:
        return None
    dtype = arrays[0].dtype
    if dtype not in (np.float32, np.float64):
        return None
    if all(a.dtype == dtype and a.flags.c_contiguous for a in arrays):
        return _fused
    return None

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
#   writes [1, a], and the products of X with units-by-rows arrays run
#   faster than the same products in rows-by-units order (performance.rst
#   gives the measured figures);
# * with unweighted rows the 1/m factor is applied once, to the small
#   gradient, instead of to every row of delta.
# ---------------------------------------------------------------------------


def _logistic_output(z, Y, scale, unit, buffers):
    """The course's output: data term ``sum w_i sum_k (softplus(z) - y z)`` and ``h - y``.

    The maths of :func:`~sknn_digits.core.outputs.logistic_loss` and
    :func:`~sknn_digits.core.outputs._expit` (the generic path) from one
    ``exp`` per unit: ``e = exp(-|z|)``, which never overflows, gives both

    * ``softplus(z) = max(z, 0) + log1p(e)``, and
    * ``g(z) = 1 / (1 + e)`` for ``z >= 0`` and ``e / (1 + e)`` for ``z < 0``, each
      to a few ulps (never ``1 - g(|z|)``, which would lose a small ``g``'s
      digits).  ``max(e, sign(z))`` is the numerator of either: a masked
      pass costs more than the ``exp`` it would save (performance.rst).

    ``scale`` is None for rows of equal weight (the caller divides by ``m``
    once) or the column of per-row weights ``w_i``; ``unit`` multiplies the
    error (equal weights' ``1/m``).  ``delta`` (the second result) is written
    over ``buffers.delta``.
    """
    compiled = _compiled(z, Y, buffers.delta)
    if compiled is not None:  # the same maths, one pass
        weights = None if scale is None else scale.reshape(-1)
        return compiled.output("logistic", z, Y, weights, unit, buffers.delta), buffers.delta
    e, u, delta = buffers.scratch, buffers.terms, buffers.delta
    np.abs(z, out=e)
    np.add(z, e, out=u)  # 2 max(z, 0), exactly, and cheaper than np.maximum with a scalar
    u *= 0.5
    np.negative(e, out=e)
    np.exp(e, out=e)
    u += np.log1p(e, out=delta)
    # Each term softplus(z) - y z before any sum: the two sums apart are large and
    # nearly equal, and their difference would lose J's digits (most in float32).
    u -= np.multiply(Y, z, out=delta)
    J = float(u.sum()) if scale is None else float(np.vdot(scale, u.sum(axis=1)))
    numerator = np.sign(z, out=u)  # the terms are summed: their buffer is free
    np.maximum(e, numerator, out=numerator)  # 1 where z > 0, e where z < 0 (e = 1 at 0)
    np.add(e, 1.0, out=delta)
    np.divide(numerator, delta, out=delta)
    return J, _error(delta, Y, scale, unit)


def _error(h, Y, scale, unit):
    """The output error ``w unit (h - y)`` (BP1), written over ``h``."""
    h -= Y
    if scale is not None:
        h *= scale
    if unit != 1.0:
        h *= unit
    return h


def _softmax_output(z, Y, scale, unit, buffers):
    """The softmax output's cost and error from one ``exp``: this kernel's repeat of
    :func:`~sknn_digits.core.outputs.softmax_loss` and softmax's ``h`` (the generic path's
    two), held equal to them by ``tests/test_core.py``.

    With :math:`s = z - \\max_k z_k` and :math:`T = \\sum_k e^{s_k}`:
    :math:`\\log \\mathrm{softmax}(z)_k = s_k - \\log T`, so the cost is
    :math:`\\sum_k y_k \\log T - \\sum_k y_k s_k` and :math:`h = e^{s} / T`.
    """
    compiled = _compiled(z, Y, buffers.delta)
    if compiled is not None:  # the same maths, one pass per row
        weights = None if scale is None else scale.reshape(-1)
        return compiled.output("softmax", z, Y, weights, unit, buffers.delta), buffers.delta
    shifted = z - z.max(axis=1, keepdims=True)
    h = np.exp(shifted)
    total = h.sum(axis=1, keepdims=True)
    shifted *= Y
    losses = np.log(total[:, 0]) * Y.sum(axis=1) - shifted.sum(axis=1)
    J = float(losses.sum()) if scale is None else float(np.vdot(scale, losses))
    h /= total
    return J, _error(h, Y, scale, unit)


def _generic_output(output, z, Y, scale, unit):
    """Any other output (softmax): its own loss and ``h``, as the generic path computes them."""
    out = OUTPUTS[output]
    losses = out.loss(z, Y)
    J = float(losses.sum()) if scale is None else float(np.vdot(scale, losses))
    return J, _error(out.h(z), Y, scale, unit)


class _Buffers:
    """The arrays one evaluation writes, for ``n_rows`` rows of ``dtype``.

    ``H[l]``: hidden layer ``l + 1`` transposed below a row of ones,
    ``[1; a^T]``; ``back[l]`` and ``slope[l]``: its error ``delta^T`` and a
    temporary of its shape; ``z``: the output layer's pre-activation
    (rows by units), ``scratch`` and ``terms`` two temporaries of its shape
    (the cost's per-unit terms are summed from ``terms``) and ``delta`` its
    error; ``first_grad_t``: the first layer's weight gradient, transposed;
    ``ones``: for the first layer's bias gradient.  Made once per shape and
    kept in the network's workspace.
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
        self.delta = np.empty_like(self.z)
        if logistic_output:
            self.scratch, self.terms = np.empty_like(self.z), np.empty_like(self.z)
        self.first_grad_t = np.empty(layer_sizes[1::-1], dtype)
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
    grad = np.empty(network.n_params, dtype=dtype)
    if sample_weight is None:
        m = X.shape[0] if normaliser is None else normaliser
        scale = None  # equal weights: 1/m applied once, to the output error
    else:
        m = float(np.sum(sample_weight)) if normaliser is None else normaliser
        scale = (np.asarray(sample_weight, dtype=dtype) / m).reshape(-1, 1)
    unit = 1.0 / m if scale is None else 1.0
    compiled = _whole_evaluation(network, X, Y, params)
    if compiled is not None:  # all below, penalty included, in one compiled call
        J, squares = compiled.loss_gradient(
            network.layer_sizes, network.output == "softmax", X, Y,
            None if scale is None else scale.reshape(-1), unit, alpha / m, params, grad,
            _work(network, X.shape[0], dtype))
    else:
        blocks, grad_blocks = network.theta_blocks(params), network.theta_blocks(grad)
        # exp(-z) overflowing to inf gives the sigmoid 1 / (1 + inf) = 0, its limit.
        with np.errstate(over="ignore"):
            J = _backpropagate(network, blocks, grad_blocks, X, Y, scale,
                               _Buffers.of(network, X.shape[0], dtype), unit)
        # The penalty alpha/(2m) sum W^2 (biases free): its sum, and (alpha / m) W added.
        squares, penalty = 0.0, _penalty_buffer(network, dtype)
        for block, grad_block in zip(blocks, grad_blocks):
            W = block[1:]
            squares += float(np.vdot(W, W))
            if alpha:
                grad_block[1:] += np.multiply(W, alpha / m, out=penalty[:W.size].reshape(W.shape))
    if scale is None:  # equal weights: the gradient's 1/m went into the output error
        J /= m
    return J + alpha / (2 * m) * squares, grad


def evaluation_flops(layer_sizes, n_rows):
    """Multiply-adds of one evaluation's products (forward, error passed back, gradient)."""
    return 3 * n_rows * sum(a * b for a, b in zip(layer_sizes, layer_sizes[1:]))


#: Below this many multiply-adds per evaluation the compiled kernel does the whole
#: evaluation in one call, its products through scipy's BLAS: as fast as numpy's or
#: faster there, on one thread or two, without the Python calls between them.  Above it
#: the products dominate and numpy's BLAS, which scales better over threads, does them
#: (with the compiled loops between): measured on the performance page.
SMALL_EVALUATION_FLOPS = 1e9


def _whole_evaluation(network, X, Y, params):
    """The compiled kernel, if it takes this evaluation whole, else None: sigmoid hidden
    layers (at least one), a logistic or softmax output, dense C-ordered ``X``, and fewer
    than :data:`SMALL_EVALUATION_FLOPS` multiply-adds."""
    sizes = network.layer_sizes
    if (network.activation != "logistic" or network.output not in ("logistic", "softmax")
            or len(sizes) < 3 or sparse.issparse(X) or X.shape[0] == 0
            or not isinstance(Y, np.ndarray)
            or evaluation_flops(sizes, X.shape[0]) >= SMALL_EVALUATION_FLOPS):
        return None
    return _compiled(X, Y, params)


def _work(network, n_rows, dtype):
    """The compiled evaluation's buffers for this shape, kept in ``network``'s workspace."""
    ws, key = network.workspace(), (network.layer_sizes, n_rows, dtype)
    if ws.get("work key") != key:
        ws["work"] = np.empty(_fused.workspace_size(network.layer_sizes, n_rows), dtype)
        ws["work key"] = key
    return ws["work"]


def _penalty_buffer(network, dtype):
    """A kept buffer for the largest layer's ``(alpha / m) W``."""
    ws, sizes = network.workspace(), network.layer_sizes
    size = max(a * b for a, b in zip(sizes, sizes[1:]))
    buffer = ws.get("penalty")
    if buffer is None or buffer.size != size or buffer.dtype != dtype:
        buffer = ws["penalty"] = np.empty(size, dtype)
    return buffer


def _backpropagate(network, blocks, grad_blocks, X, Y, scale, buffers, unit=1.0):
    """The data term of ``J``; its gradient written into ``grad_blocks``.

    ``unit`` multiplies the output error before it is passed back (equal
    weights' ``1/m``: on the output's few columns rather than on the whole
    gradient).
    """
    z_out = _forward_transposed(network, blocks, X, buffers)
    # Cost (data term) and the output error delta_L = w (h - y)   (BP1).
    if network.output == "logistic":
        J, delta = _logistic_output(z_out, Y, scale, unit, buffers)
    elif network.output == "softmax":
        J, delta = _softmax_output(z_out, Y, scale, unit, buffers)
    else:
        J, delta = _generic_output(network.output, z_out, Y, scale, unit)
    _backward_transposed(network, blocks, grad_blocks, X, delta, buffers)
    return J


def _forward_transposed(network, blocks, X, buffers):
    """The output's pre-activations; the hidden layers' activations kept, transposed.

    z_{l+1} = a_l W_l + b_l, a_{l+1} = g(z_{l+1}), computed as
    z^T = Theta_l^T [1; a_l^T] into ``buffers.H``.
    """
    last = len(blocks) - 1
    logistic = network.activation == "logistic"
    for layer, block in enumerate(blocks[:last]):
        a_t = buffers.H[layer][1:]  # this layer's z^T, then g(z)^T
        if layer > 0:  # (the sigmoid wants -z: the small block is negated instead)
            np.matmul((np.negative(block) if logistic else block).T, buffers.H[layer - 1],
                      out=a_t)
        else:  # W^T X^T, and the bias down every column (its sign with the sigmoid's)
            if sparse.issparse(X):
                a_t[...] = (X @ block[1:]).T
            else:
                np.matmul(block[1:].T, X.T, out=a_t)
            if logistic:
                np.subtract(-block[0][:, None], a_t, out=a_t)
            else:
                a_t += block[0][:, None]
        compiled = _compiled(a_t, buffers.slope[layer]) if logistic else None
        if compiled is not None:  # the four passes below in one
            compiled.sigmoid_slope(a_t, buffers.slope[layer])
        elif logistic:  # a_t holds -z: 1 / (1 + exp(-z))
            np.exp(a_t, out=a_t)
            a_t += 1.0
            np.divide(1.0, a_t, out=a_t)  # (np.reciprocal is slower: performance.rst)
            np.subtract(1.0, a_t, out=buffers.slope[layer])  # 1 - a, for g' below
        else:
            ACTIVATIONS[network.activation].g(a_t)
    if last == 0:  # no hidden layer
        z_out = _product(X, blocks[0][1:], buffers.z)
        z_out += blocks[0][0]
        return z_out
    return np.matmul(buffers.H[-1].T, blocks[last], out=buffers.z)


def _backward_transposed(network, blocks, grad_blocks, X, delta, buffers):
    """The layers' gradients (BP3, BP4) into ``grad_blocks``, from the output error back:
    delta_l = (delta_{l+1} W_l^T) g'(a_l) (BP2), the hidden layers' delta transposed."""
    logistic = network.activation == "logistic"
    delta_t = delta.T
    for layer in range(len(blocks) - 1, 0, -1):
        H = buffers.H[layer - 1]
        np.matmul(H, delta_t.T, out=grad_blocks[layer])               # [dJ/db_l; dJ/dW_l]
        back = np.matmul(blocks[layer][1:], delta_t, out=buffers.back[layer - 1])
        a_t, slope = H[1:], buffers.slope[layer - 1]
        compiled = _compiled(back, a_t, slope) if logistic else None
        if compiled is not None:  # the two passes below in one
            compiled.sigmoid_back(back, a_t, slope)
        elif logistic:  # g'(z) = a (1 - a), 1 - a kept from the forward pass
            back *= a_t
            back *= slope
        else:
            back *= ACTIVATIONS[network.activation].g_prime(a_t, out=slope)
        delta_t = back
    grad_first = grad_blocks[0]
    np.matmul(delta_t, buffers.ones, out=grad_first[0])             # dJ/db_1 = sum_i delta
    if sparse.issparse(X):
        grad_first[1:] = X.T @ delta_t.T                               # dJ/dW_1 = X^T delta
    else:
        grad_first[1:] = np.matmul(delta_t, X, out=buffers.first_grad_t).T
