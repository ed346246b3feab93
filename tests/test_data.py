"""Tests of sknn_digits._data: training data validated, encoded and weighed, rules written once."""

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_sample_weight

from sknn_digits._data import InMemory, fit_encoder, sample_weights


def _weights(sample_weight, class_weight, y, multilabel=False):
    classes = np.unique(y)
    return sample_weights(InMemory, sample_weight, class_weight, y, classes, multilabel,
                          np.zeros((len(y), 1)))


def test_class_weights_agree_with_scikit_learn():
    y = np.array([0, 0, 0, 1, 2, 2])
    np.testing.assert_allclose(_weights(None, "balanced", y),
                               compute_sample_weight("balanced", y))
    np.testing.assert_allclose(_weights(None, {0: 2.0, 2: 0.5}, y),
                               compute_sample_weight({0: 2.0, 2: 0.5}, y))
    sample_weight = np.array([1.0, 2.0, 0.0, 1.0, 1.0, 3.0])
    np.testing.assert_allclose(_weights(sample_weight, "balanced", y),
                               sample_weight * compute_sample_weight("balanced", y))
    assert _weights(None, None, y) is None


def test_multilabel_targets_take_no_class_weight():
    with pytest.raises(ValueError, match="not supported for multilabel"):
        _weights(None, "balanced", np.array([[0, 1], [1, 1]]), multilabel=True)


def test_encoder_refuses_one_class_and_changed_classes():
    with pytest.raises(ValueError, match="one class only: 4"):
        fit_encoder(np.array([4, 4]))
    previous = fit_encoder(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="same classes as the previous fit"):
        fit_encoder(np.array([0, 1]), previous)
    assert fit_encoder(np.array([2, 0, 1]), previous).classes_.tolist() == [0, 1, 2]


@pytest.mark.parametrize("sample_weight, class_weight", [
    (np.full(4, 1e308), None),
    (None, {0: 1e308, 1: 1e308}),
])
def test_weights_whose_sum_overflows_are_refused(sample_weight, class_weight):
    with pytest.raises(ValueError, match="sums to more than floating point holds"):
        _weights(sample_weight, class_weight, np.array([0, 1, 0, 1]))


def test_json_label_gives_plain_python_values():
    from sknn_digits._data import json_label

    assert type(json_label(np.int64(3))) is int
    assert type(json_label(np.str_("a"))) is str
    assert json_label("b") == "b" and json_label(True) is True
