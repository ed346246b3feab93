"""The network: forward pass, cost, backward pass (BP1-BP4) and Hessian products.

The generic path, in any array namespace; :mod:`.numpy_kernel` repeats the
same equations for numpy with fewer passes over memory, and the tests hold
the two equal equation by equation.
"""

import threading

import numpy as np

from .activations import ACTIVATIONS
from .arrays import (
    _astype,
    _compute_dtype,
    _numpy_params,
    _product,
    _scratch,
    aligned,
    device_of,
    namespace,
    to_numpy,
)
from .layout import layer_slices, n_params, unpack
from .numpy_kernel import _numpy_loss_gradient
from .outputs import OUTPUTS

# ---------------------------------------------------------------------------
# Forward pass, cost and backward pass.
# ---------------------------------------------------------------------------










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
        Arrays to reuse between calls (see :class:`Network`'s ``workspace``).

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
        self._layer_blocks = [(s, (1 + n_in, n_out)) for s, n_in, n_out in zip(
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
        becomes the network's weights where the data are.  ``params`` may
        also be the layers themselves, a pair ``(coefs, intercepts)`` (a
        fitted model's): they are used as they are, cast to ``like``'s dtype,
        and no flat vector is made.
        """
        if isinstance(params, tuple) and len(params) == 2:
            coefs, intercepts = params
            if like is None:
                return list(coefs), list(intercepts)
            dtype = _compute_dtype(like)
            return [_astype(W, dtype) for W in coefs], [_astype(b, dtype) for b in intercepts]
        if like is not None:
            params = self.params_like(params, like)
        if not isinstance(params, np.ndarray) or params.shape != (self.n_params,):
            return unpack(params, self.layer_sizes)  # checks, and other namespaces
        blocks = self.theta_blocks(params)
        return [block[1:] for block in blocks], [block[0] for block in blocks]

    def theta_blocks(self, vector):
        """Each layer's block ``Theta_l^T = [b_l; W_l]`` of a flat numpy ``vector``, as views.

        ``vector`` is laid out like the parameters (the weights, or a
        gradient): writing into a block writes into it.

        Examples
        --------
        >>> import numpy as np
        >>> from sknn_digits.core import Network
        >>> blocks = Network((2, 3, 1)).theta_blocks(np.arange(13.0))
        >>> [block.shape for block in blocks]
        [(3, 3), (4, 1)]
        """
        return [vector[s].reshape(shape) for s, shape in self._layer_blocks]

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
        for block, W, b in zip(self.theta_blocks(flat), coefs, intercepts):
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
        if not ACTIVATIONS[self.activation].saturates:
            return 0.0
        coefs, intercepts = self.unpack(params, like=X)
        z = forward(X, coefs[:1], intercepts[:1], self.activation)[1]
        xp = namespace(z)
        return float(xp.mean(_astype(xp.abs(z) > 20, z.dtype)))

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
        if namespace(X) is np:  # the fast path: numpy_kernel, held equal to the one below
            return _numpy_loss_gradient(self, params, X, Y, sample_weight, normaliser, alpha)
        return self._loss_gradient_generic(params, X, Y, sample_weight, normaliser, alpha)

    def _loss_gradient_generic(self, params, X, Y, sample_weight=None, normaliser=None,
                               alpha=0.0):
        """:meth:`loss_gradient` by the equations as written, in any array namespace.

        Other namespaces (torch, CuPy, array-api-strict) always come here;
        numpy input takes :mod:`~sknn_digits.core.numpy_kernel`, and
        ``tests/test_core.py`` holds the two equal.
        """
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
