"""The network's cost, gradient, penalty and Hessian products as functions of the
layer sizes, for one-off calls.
"""



from .network import Network

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
    >>> import numpy as np
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
    >>> import numpy as np
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
