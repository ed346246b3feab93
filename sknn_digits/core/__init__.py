"""Cost and gradient of a fully connected network, written next to its equations.

This package is the numerical heart of sknn_digits: pure functions of arrays,
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

Its modules, from the bottom up
-------------------------------
- :mod:`~sknn_digits.core.arrays`: array namespaces, dtypes, alignment and
  reused buffers;
- :mod:`~sknn_digits.core.activations`: each hidden activation ``g`` beside
  its backward rule ``g'(a)``;
- :mod:`~sknn_digits.core.outputs`: the output layers and their losses;
- :mod:`~sknn_digits.core.layout`: the flat parameter vector and its views;
- :mod:`~sknn_digits.core.network`: :class:`Network`, the generic evaluation
  in any array namespace (the equations above, BP1-BP4);
- :mod:`~sknn_digits.core.numpy_kernel`: the same equations for numpy with
  fewer passes over memory (the fast path; ``tests/test_core.py`` holds it
  equal to the generic one), whose element-wise passes the compiled loops
  (``_fused.pyx`` over ``_fused_loops.h``, built where a compiler exists)
  fuse where they were built (:func:`kernel` says which runs);
- :mod:`~sknn_digits.core.optimizers`: the stochastic solvers' update rules.

The course's own functions of the layer sizes (``nn_cost_function``, ...)
are :mod:`sknn_digits.course`'s; everything else calls a :class:`Network`.
"""

from .activations import ACTIVATIONS, sigmoid
from .arrays import aligned, device_of, host_dtype, namespace, to_numpy
from .layout import layer_slices, n_params, unpack
from .network import Network, forward
from .numpy_kernel import kernel
from .outputs import OUTPUTS, label_indices, softplus, true_labels

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "Network",
    "aligned",
    "device_of",
    "forward",
    "host_dtype",
    "kernel",
    "label_indices",
    "layer_slices",
    "n_params",
    "namespace",
    "sigmoid",
    "softplus",
    "to_numpy",
    "true_labels",
    "unpack",
]
