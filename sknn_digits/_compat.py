"""The private scikit-learn names this package relies on, imported in one place.

Each is pinned by ``tests/test_compat.py``, so a scikit-learn release that
moves or changes one fails there, with its name, rather than somewhere deep
in a fit.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight

try:  # scikit-learn 1.9 and later: fit callbacks (ProgressBar, ScoringMonitor, ...)
    from sklearn.callback import CallbackSupportMixin

    HAS_CALLBACKS = True
except ImportError:  # older scikit-learn has no callbacks
    HAS_CALLBACKS = False

    class CallbackSupportMixin:
        """Stands in for scikit-learn's callback mixin, which came with 1.9."""


__all__ = [
    "HAS_CALLBACKS",
    "CallbackSupportMixin",
    "Interval",
    "Options",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
]
