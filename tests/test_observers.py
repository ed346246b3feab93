"""Tests of sknn_digits._observers: what watches a fit."""

from sknn_digits import BackpropMLPClassifier
from sknn_digits._observers import Observer, observing


class _Record(Observer):
    def __init__(self, stop_at=None):
        self.events, self.stop_at = [], stop_at

    def start(self, params, loss):
        self.events.append(("start", loss))

    def step(self, step):
        self.events.append(("step", step.n_iter, step.loss))
        return step.n_iter == self.stop_at

    def close(self):
        self.events.append(("close",))


def test_observing_reaches_a_fit_inside_a_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    record = _Record()
    with observing(record):
        make_pipeline(StandardScaler(), BackpropMLPClassifier(max_iter=7, random_state=0)).fit(
            [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    assert [e[0] for e in record.events] == ["start"] + ["step"] * 7 + ["close"]
    BackpropMLPClassifier(max_iter=3).fit([[0.0], [1.0]], [0, 1])
    assert len(record.events) == 9  # not registered outside the block
