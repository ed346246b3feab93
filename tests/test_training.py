"""Tests of sknn_digits._training: repeats, the objective, observers and the solver driver."""

import os
import threading
import time

import numpy as np
import pytest
from scipy import sparse

from sknn_digits import BackpropMLPClassifier
from sknn_digits._training import (
    Objective,
    Observer,
    Problem,
    merge_duplicates,
    minimize,
    observing,
    row_hashes,
)
from sknn_digits.initialization import initial_params


def test_rows_without_repeats_are_passed_on_as_they_are():
    rng = np.random.default_rng(0)
    X, Y = rng.random((50, 4)), np.eye(3)[rng.integers(0, 3, 50)]
    merged_X, merged_Y, weights = merge_duplicates(X, Y, None)
    assert merged_X is X and merged_Y is Y and weights is None


def test_repeats_become_weights_in_an_order_set_by_content():
    rng = np.random.default_rng(1)
    X, Y = rng.random((6, 3)), np.eye(2)[rng.integers(0, 2, 6)]
    counts = np.array([2, 0, 1, 3, 1, 1])
    repeated = merge_duplicates(np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0), None)
    order = rng.permutation(6)
    weighted = merge_duplicates(X[order], Y[order], counts[order].astype(float))
    for a, b in zip(repeated, weighted):
        np.testing.assert_array_equal(a, b)
    assert sorted(weighted[2].tolist()) == [1, 1, 1, 2, 3]


def test_row_hashes_ignore_storage_details_of_sparse_rows():
    X = np.array([[0.0, 1.5, -0.0, 2.0], [3.0, 0.0, 0.0, 0.0]])
    canonical = sparse.csr_matrix(X)
    # The same rows: entries unsorted, one split in two, an explicit zero.
    messy = sparse.csr_matrix(
        (np.array([2.0, 0.75, 0.75, 0.0, 3.0]), np.array([3, 1, 1, 2, 0]),
         np.array([0, 4, 5])), shape=X.shape)
    saved = messy.data.copy(), messy.indices.copy()
    np.testing.assert_array_equal(row_hashes(messy), row_hashes(canonical))
    np.testing.assert_array_equal(row_hashes(canonical), row_hashes(X))
    np.testing.assert_array_equal(messy.data, saved[0])
    np.testing.assert_array_equal(messy.indices, saved[1])
    assert row_hashes(np.array([[1.0, 2.0], [2.0, 1.0]])).tolist()[0] != row_hashes(
        np.array([[2.0, 1.0]])).tolist()[0]


def test_objective_remembers_its_last_point():
    rng = np.random.default_rng(0)
    problem = Problem((3, 4, 2), rng.random((10, 3)), np.eye(2)[rng.integers(0, 2, 10)],
                      0.1, "logistic", "softmax")
    objective = Objective(problem)
    params = initial_params(problem.layer_sizes, random_state=0)
    J, grad = objective(params)
    J_again, grad_again = objective(params.copy())
    assert objective.n_evaluations == 1 and J_again == J
    np.testing.assert_array_equal(grad_again, grad)
    grad_again[:] = 0  # callers get their own copy
    np.testing.assert_array_equal(objective(params)[1], grad)


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


@pytest.mark.parametrize("solver", ["L-BFGS-B", "CG", "BFGS", "Newton-CG"])
def test_observers_see_start_every_iteration_and_close(solver):
    rng = np.random.default_rng(0)
    problem = Problem((3, 4, 2), rng.random((30, 3)), np.eye(2)[rng.integers(0, 2, 30)],
                      0.1, "tanh", "logistic")
    objective = Objective(problem)
    record, stopper = _Record(), _Record(stop_at=4)
    result = minimize(objective, initial_params(problem.layer_sizes, random_state=0), solver,
                      max_iter=50, max_fun=15000, tol=None, observers=[record, stopper])
    assert result.n_iter == 4  # the second observer asked to stop after iteration 4
    assert record.events[0] == ("start", result.initial_loss)
    assert [e[1] for e in record.events[1:-1]] == [1, 2, 3, 4]
    assert [e[2] for e in record.events[1:-1]] == result.loss_curve
    assert record.events[-1] == ("close",)
    assert result.loss == result.loss_curve[-1]


def test_max_fun_stops_solvers_without_a_limit_of_their_own():
    rng = np.random.default_rng(0)
    problem = Problem((3, 4, 2), rng.random((30, 3)), np.eye(2)[rng.integers(0, 2, 30)],
                      0.0, "logistic", "logistic")
    objective = Objective(problem)
    result = minimize(objective, initial_params(problem.layer_sizes, random_state=0), "CG",
                      max_iter=500, max_fun=12, tol=1e-12)
    assert result.limit == "max_fun" and 12 <= result.n_evaluations < 20


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


def test_threads_follow_size_and_the_cores_other_programs_leave_free():
    from sknn_digits._training import PARALLEL_FLOPS, Problem, evaluation_threads

    cores = os.cpu_count()
    big = Problem((784, 300, 10), np.empty((int(PARALLEL_FLOPS) // 700_000 + 1, 784)), None,
                  1.0, "logistic", "logistic")
    small = big._replace(X=np.empty((10, 784)))
    assert evaluation_threads(None, small, busy_elsewhere=lambda: 0.0)(cores) == 1
    assert evaluation_threads(None, big, busy_elsewhere=lambda: 0.0)(cores) == cores
    # Another program keeps a core busy: one thread fewer, never fewer than one.
    assert evaluation_threads(None, big, busy_elsewhere=lambda: 1.0)(cores) == max(1, cores - 1)
    assert evaluation_threads(None, big, busy_elsewhere=lambda: 64.0)(cores) == 1
    # The user's choice and the limit in force win.
    assert evaluation_threads(3, big, busy_elsewhere=lambda: 64.0)(cores) == 3
    assert evaluation_threads(None, big, busy_elsewhere=lambda: 0.0)(1) == 1


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads /proc/stat (Linux)")
def test_a_busy_core_elsewhere_is_seen():
    import subprocess
    import sys

    from sknn_digits._training import cores_busy_elsewhere

    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # the burner is running
        busy = max(cores_busy_elsewhere(0.2) for _ in range(3))
    finally:
        burner.kill()
        burner.wait()
    assert busy >= 0.5
    # This process's own work (a thread spinning beside the measurement) is
    # not counted as another program's.
    stop = threading.Event()
    spinner = threading.Thread(target=lambda: [None for _ in iter(stop.is_set, True)])
    spinner.start()
    try:
        own = min(cores_busy_elsewhere(0.2) for _ in range(3))
    finally:
        stop.set()
        spinner.join()
    assert own < 0.5
