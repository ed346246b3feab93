"""sknn_digits: the handwritten-digits backpropagation exercise as a scikit-learn estimator."""

from .core import roll, sigmoid, sigmoid_gradient, unroll
from .course import nn_cost_function, predict
from .estimator import BackpropMLPClassifier
from .gradient_check import check_nn_gradients, numerical_gradient
from .initialization import debug_initialize_weights, rand_initialize_weights

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "BackpropMLPClassifier",
    "check_nn_gradients",
    "debug_initialize_weights",
    "nn_cost_function",
    "numerical_gradient",
    "predict",
    "rand_initialize_weights",
    "roll",
    "sigmoid",
    "sigmoid_gradient",
    "unroll",
]
