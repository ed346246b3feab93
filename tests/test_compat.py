"""Pins the private scikit-learn names the package imports through sknn_digits._compat."""

from numbers import Integral, Real

import numpy as np
import pytest
import sklearn

from sknn_digits import BackpropMLPClassifier, _compat


def test_fit_context_validates_parameters_before_fit():
    # _fit_context runs the _parameter_constraints check: the estimator relies on it.
    with pytest.raises(ValueError, match=r"'solver' parameter .* must be a str among"):
        BackpropMLPClassifier(solver="sgd").fit([[0.0], [1.0]], [0, 1])


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
    assert _compat.HAS_CALLBACKS == ((major, minor) >= (1, 9))
    assert issubclass(BackpropMLPClassifier, _compat.CallbackSupportMixin)
