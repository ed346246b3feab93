"""sknn_digits: the handwritten-digits backpropagation exercise as a scikit-learn estimator.

The names below are imported on first use, so ``sknn-digits --version`` and
``--help`` answer without loading scikit-learn.
"""

import importlib

__version__ = "0.1.0"

#: The published documentation (pyproject.toml's ``Documentation`` URL; a test keeps the two
#: equal).  Each public name has its page at ``generated/sknn_digits.<name>.html``.
DOCUMENTATION = "https://sknn-digits.readthedocs.io/en/stable/"

#: Where each public name lives.
_PUBLIC = {
    "BackpropMLPClassifier": "estimator",
    "MLPClassifier": "estimator",
    "check_nn_gradients": "gradient_check",
    "debug_initialize_weights": "initialization",
    "nn_cost_function": "course",
    "numerical_gradient": "gradient_check",
    "predict": "course",
    "rand_initialize_weights": "initialization",
    "roll": "course",
    "sigmoid": "core",
    "sigmoid_gradient": "course",
    "unroll": "course",
}

__all__ = ["DOCUMENTATION", "__version__", *_PUBLIC]  # noqa: PLE0604 - the keys, all names


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value  # looked up once
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_PUBLIC])
