"""Pins the private scikit-learn names the package imports through sknn_digits._compat."""

from numbers import Integral, Real

import numpy as np
import pytest
import sklearn

from sknn_digits import BackpropMLPClassifier, _compat


def test_fit_context_validates_parameters_before_fit():
    # _fit_context runs the _parameter_constraints check: the estimator relies on it.
    with pytest.raises(ValueError, match=r"'solver' parameter .* must be a str among"):
        BackpropMLPClassifier(solver="nesterov").fit([[0.0], [1.0]], [0, 1])


def test_param_validation_classes_behave_as_relied_on():
    assert _compat.Interval(Integral, 1, None, closed="left").is_satisfied_by(3)
    assert not _compat.Interval(Integral, 1, None, closed="left").is_satisfied_by(0)
    assert _compat.Options(Real, {np.inf}).is_satisfied_by(np.inf)
    assert _compat.StrOptions({"a"}).is_satisfied_by("a")


def test_check_sample_weight_rejects_negative_weights_and_keeps_dtype():
    X = np.zeros((3, 2), dtype=np.float32)
    weights = _compat._check_sample_weight([1, 2, 3], X, dtype=X.dtype, ensure_non_negative=True)
    assert weights.dtype == np.float32 and weights.tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="Negative values"):
        _compat._check_sample_weight([1, -2, 3], X, dtype=X.dtype, ensure_non_negative=True)


def test_callback_mixin_is_scikit_learns_from_1_9():
    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    assert ((major, minor) >= (1, 9)) == _compat.HAS_CALLBACKS
    assert issubclass(BackpropMLPClassifier, _compat.CallbackSupportMixin)


def test_array_api_helpers_behave_as_relied_on():
    X = np.ones((2, 3), dtype=np.float32)
    xp, is_array_api, _ = _compat.get_namespace_and_device(X)
    assert not is_array_api  # dispatch is off: numpy
    try:
        assert _compat.array_namespace(X).__name__.endswith("numpy")
    except ImportError:  # scikit-learn before 1.7 without the array-api-compat package
        assert sklearn.__version__ < "1.7"
    assert _compat.device(X) in (None, "cpu")  # None while dispatch is off
    assert _compat._convert_to_numpy(X, xp) is not None
    np.testing.assert_array_equal(_compat._convert_to_numpy(X, xp), X)


def test_check_same_namespace_names_the_estimator_and_method():
    import sklearn
    from sklearn.utils._array_api import yield_namespace_device_dtype_combinations  # noqa: F401

    array_api_strict = pytest.importorskip("array_api_strict")
    if _compat._check_same_namespace is None:
        pytest.skip("scikit-learn before 1.9 does not check namespaces")
    fitted = array_api_strict.asarray([1.0])
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match=r"BackpropMLPClassifier\.predict\(\) must use"):
            _compat.check_same_namespace(np.ones((1, 1)), BackpropMLPClassifier(), fitted,
                                         "predict")
        _compat.check_same_namespace(array_api_strict.asarray([[1.0]]), BackpropMLPClassifier(),
                                     fitted, "predict")


def test_the_html_repr_links_through_the_two_private_attributes():
    from sklearn.base import BaseEstimator
    from sklearn.utils import estimator_html_repr

    @_compat.link_to_documentation("https://docs.example/{estimator_name}.html")
    class Stand(BaseEstimator):
        __module__ = "sknn_digits.elsewhere"  # the link is made for the class's own package

    assert Stand()._get_doc_link() == "https://docs.example/Stand.html"
    assert 'href="https://docs.example/Stand.html"' in estimator_html_repr(Stand())


def test_option_lists_in_errors_are_sorted_whatever_the_hash_seed():
    import os
    import subprocess
    import sys

    code = ("from sknn_digits import MLPClassifier\n"
            "try:\n    MLPClassifier(solver='nope').fit([[0.0], [1.0]], [0, 1])\n"
            "except ValueError as error:\n    print(error)\n")
    messages = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
                for seed in range(4)}
    assert len(messages) == 1, messages
    message = messages.pop()
    listed = message.split("among {")[1].split("}")[0].replace("'", "").split(", ")
    assert listed == sorted(listed) and "lbfgs" in listed and "adam" in listed
