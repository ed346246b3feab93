"""Tests of sknn_digits._observers: what watches a fit."""

import numpy as np

from sknn_digits import BackpropMLPClassifier
from sknn_digits._observers import EarlyStopping, LossPlateau, Observer, Step, observing
from sknn_digits.core import Network


class _Names(Observer):
    """The names of the calls it sees, in order."""

    def __init__(self):
        self.calls = []

    def start(self, params, loss):
        self.calls.append("start")

    def step(self, step):
        self.calls.append("step")

    def close(self):
        self.calls.append("close")


def test_observing_reaches_a_fit_inside_a_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    names = _Names()
    with observing(names):
        make_pipeline(StandardScaler(), BackpropMLPClassifier(max_iter=7, random_state=0)).fit(
            [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    assert names.calls == ["start"] + ["step"] * 7 + ["close"]
    BackpropMLPClassifier(max_iter=3).fit([[0.0], [1.0]], [0, 1])
    assert len(names.calls) == 9  # not registered outside the block


def test_early_stopping_scores_with_the_network_and_keeps_the_best():
    network = Network((1, 1))  # one sigmoid unit: z = b + w x
    X_val, Y_val = np.array([[-1.0], [1.0]]), np.array([[0.0], [1.0]])
    stopper = EarlyStopping((X_val, Y_val, np.ones(2)), network, False, patience=1, tol=0.0)
    right, wrong = np.array([0.0, 1.0]), np.array([0.0, -1.0])
    assert stopper.step(Step(1, wrong, 1.0)) is False and stopper.scores == [0.0]
    assert stopper.step(Step(2, right, 0.5)) is False and stopper.best_score == 1.0
    assert stopper.step(Step(3, wrong, 0.4)) is False
    assert stopper.step(Step(4, wrong, 0.3)) is True  # no gain for more than one step
    np.testing.assert_array_equal(stopper.best_params, right)


def test_progress_writes_every_nth_line_off_a_terminal():
    import io

    from sknn_digits._observers import Progress

    stream = io.StringIO()
    progress = Progress(stream, every=3)
    for n in range(1, 8):
        progress.step(Step(n, np.zeros(1), 1.0 / n))
    progress.close()
    assert stream.getvalue().splitlines() == [str(Step(3, None, 1 / 3)),
                                              str(Step(6, None, 1 / 6))]


def test_loss_plateau_stops_after_more_than_patience_iterations_without_a_fall_of_tol():
    plateau = LossPlateau(tol=0.1, patience=2)
    plateau.start(None, 10.0)
    losses = [9.0, 8.95, 8.91, 8.5, 8.45, 8.41, 8.39]  # falls of 1, then < 0.1 twice, ...
    stops = [plateau.step(Step(i + 1, None, J)) for i, J in enumerate(losses)]
    # 8.5 is a fall of 0.5 from the best (9.0): the count starts again there.
    assert stops == [False, False, False, False, False, False, True]
    assert "tol=0.1" in plateau.reason and "more than 2 iterations" in plateau.reason


def test_loss_plateau_is_a_rate_steady_falls_under_tol_stop_the_fit():
    # Falls of 0.06 an iteration add up to more than tol, but each is less:
    # J falls slower than tol an iteration, so the fit stops.
    plateau = LossPlateau(tol=0.1, patience=3)
    plateau.start(None, 1.0)
    stops = [plateau.step(Step(i + 1, None, 1.0 - 0.06 * (i + 1))) for i in range(5)]
    assert stops == [False, False, False, True, True]
