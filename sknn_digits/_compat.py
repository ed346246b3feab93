"""The private scikit-learn names this package relies on, imported in one place.

Each is pinned by ``tests/test_compat.py``, so a scikit-learn release that
moves or changes one fails there, with its name, rather than somewhere deep
in a fit.
"""

from sklearn.base import _fit_context
from sklearn.utils._array_api import _convert_to_numpy, device, get_namespace_and_device

try:  # scikit-learn 1.7 and later vendor array-api-compat
    from sklearn.externals.array_api_compat import array_namespace
except ImportError:  # earlier ones need the package itself for array API dispatch
    try:
        from array_api_compat import array_namespace
    except ImportError:
        def array_namespace(*arrays):
            """Without array-api-compat only numpy input is possible."""
            raise ImportError("Arrays of another namespace than numpy need scikit-learn 1.7 "
                              "or later, or the array-api-compat package.")
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, Options
from sklearn.utils._param_validation import StrOptions as _StrOptions
from sklearn.utils.validation import _check_sample_weight

from .core.arrays import use_array_api


class StrOptions(_StrOptions):
    """scikit-learn's ``StrOptions``, naming its options in sorted order in errors.

    scikit-learn lists a set in its iteration order, which changes from run
    to run with Python's string hashing; a user comparing two runs' errors,
    or a test matching one, needs one order.
    """

    def __str__(self):
        options = ", ".join(self._mark_if_deprecated(o) for o in sorted(self.options))
        return f"a str among {{{options}}}"


def validate_params(estimator):
    """Check ``estimator``'s parameters against its constraints (scikit-learn's own check)."""
    estimator._validate_params()


try:  # scikit-learn 1.9 and later: predictions refuse inputs of another namespace
    from sklearn.utils._array_api import check_same_namespace as _check_same_namespace
except ImportError:  # older scikit-learn does not check
    _check_same_namespace = None


def check_same_namespace(X, estimator, fitted, method):
    """scikit-learn's ``check_same_namespace`` for a fitted array kept inside a list.

    scikit-learn's check reads a named attribute of the estimator; the
    network's weights are lists of arrays, so the first of them is shown to
    it on a stand-in that carries the estimator's class name for the message.
    """
    if _check_same_namespace is None:
        return
    stand_in = type(type(estimator).__name__, (), {"fitted": fitted})()
    _check_same_namespace(X, stand_in, attribute="fitted", method=method)


try:  # scikit-learn 1.9 and later: fit callbacks (ProgressBar, ScoringMonitor, ...)
    from sklearn.callback import CallbackSupportMixin

    HAS_CALLBACKS = True
except ImportError:  # older scikit-learn has no callbacks
    HAS_CALLBACKS = False

    class CallbackSupportMixin:
        """Stands in for scikit-learn's callback mixin, which came with 1.9."""


def link_to_documentation(template):
    """A class decorator: scikit-learn's HTML repr links the estimator to ``template``.

    scikit-learn's notebook diagram links an estimator to its page when the
    class's ``_doc_link_module`` is its top-level package; the page is
    ``_doc_link_template`` formatted with ``estimator_name`` (private names of
    ``sklearn.utils._repr_html``, the same since scikit-learn 1.4).
    """
    def decorate(cls):
        cls._doc_link_module = cls.__module__.split(".")[0]
        cls._doc_link_template = template
        return cls

    return decorate


__all__ = [
    "HAS_CALLBACKS",
    "CallbackSupportMixin",
    "Interval",
    "Options",
    "StrOptions",
    "_check_sample_weight",
    "_convert_to_numpy",
    "_fit_context",
    "_safe_indexing",
    "array_namespace",
    "check_same_namespace",
    "device",
    "get_namespace_and_device",
    "link_to_documentation",
    "validate_params",
]


# The core evaluates arrays of other namespaces with scikit-learn's helpers, those
# its array_api_dispatch validated them with; the core itself imports no scikit-learn.
use_array_api(array_namespace, device, _convert_to_numpy)
