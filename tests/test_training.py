"""Tests of sknn_digits._training: the objective and the solver driver."""

import numpy as np
import pytest

from sknn_digits._observers import Observer
from sknn_digits._training import Objective, Problem, minimize
from sknn_digits.core import Network
from sknn_digits.initialization import initial_params


def test_objective_remembers_its_last_point():
    rng = np.random.default_rng(0)
    problem = Problem(Network((3, 4, 2), "logistic", "softmax"), rng.random((10, 3)),
                      np.eye(2)[rng.integers(0, 2, 10)], alpha=0.1)
    objective = Objective(problem)
    params = initial_params(problem.network.layer_sizes, random_state=0)
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
    problem = Problem(Network((3, 4, 2), "tanh", "logistic"), rng.random((30, 3)),
                      np.eye(2)[rng.integers(0, 2, 30)], alpha=0.1)
    objective = Objective(problem)
    record, stopper = _Record(), _Record(stop_at=4)
    result = minimize(objective, initial_params(problem.network.layer_sizes, random_state=0), solver,
                      max_iter=50, max_fun=15000, tol=None, observers=[record, stopper])
    assert result.n_iter == 4  # the second observer asked to stop after iteration 4
    assert record.events[0] == ("start", result.initial_loss)
    assert [e[1] for e in record.events[1:-1]] == [1, 2, 3, 4]
    assert [e[2] for e in record.events[1:-1]] == result.loss_curve
    assert record.events[-1] == ("close",)
    assert result.loss == result.loss_curve[-1]


def test_max_fun_stops_solvers_without_a_limit_of_their_own():
    rng = np.random.default_rng(0)
    problem = Problem(Network((3, 4, 2), "logistic", "logistic"), rng.random((30, 3)),
                      np.eye(2)[rng.integers(0, 2, 30)], alpha=0.0)
    objective = Objective(problem)
    result = minimize(objective, initial_params(problem.network.layer_sizes, random_state=0), "CG",
                      max_iter=500, max_fun=12, tol=1e-12)
    assert result.limit == "max_fun" and 12 <= result.n_evaluations < 20
