"""Tests of sknn_digits._models: reading a model from outside."""

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknn_digits import BackpropMLPClassifier
from sknn_digits._models import json_label, split_pipeline


def test_split_pipeline_gives_the_steps_before_and_the_last():
    network = BackpropMLPClassifier()
    assert split_pipeline(network) == (None, network)
    before, last = split_pipeline(make_pipeline(network))
    assert before is None and last is network
    before, last = split_pipeline(make_pipeline(StandardScaler(), MinMaxScaler(), network))
    assert last is network and [name for name, _ in before.steps] == [
        "standardscaler", "minmaxscaler"]


def test_json_label_gives_plain_python_values():
    assert type(json_label(np.int64(3))) is int
    assert type(json_label(np.str_("a"))) is str
    assert json_label("b") == "b" and json_label(True) is True
