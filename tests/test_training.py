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
    start = initial_params(problem.network.layer_sizes, random_state=0)
    result = minimize(objective, start, solver,
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
    # scipy says "`callback` raised `StopIteration`"; the user is told what stopped it.
    assert "StopIteration" not in result.message
    assert f"stopped after {result.n_evaluations} evaluations of the cost, max_fun=12" \
        == result.message


def _digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.25, stratify=y, random_state=0)


def test_the_cost_test_stops_where_J_has_settled_and_keeps_the_accuracy():
    from sknn_digits import BackpropMLPClassifier

    X_train, X_test, y_train, y_test = _digits_split()
    params = {"hidden_layer_sizes": 25, "alpha": 1.0, "max_iter": 1000, "random_state": 0}
    by_cost = BackpropMLPClassifier(**params).fit(X_train, y_train)
    by_gradient = BackpropMLPClassifier(n_iter_no_change=np.inf, **params).fit(X_train, y_train)
    assert by_cost.solver_message_ == "J did not fall by tol=0.0001 for more than 10 iterations"
    assert by_cost.n_iter_ < by_gradient.n_iter_ <= 1000
    # Its last 11 iterations fell by less than tol from the best before them.
    curve = np.array(by_cost.loss_curve_)
    assert curve[-12] - curve[-1] < 11 * 1e-4 and curve[-13] - curve[-12] >= 0
    # What the gradient test adds afterwards hardly moves J or the predictions.
    assert by_cost.loss_ - by_gradient.loss_ < 0.01 * by_gradient.loss_
    assert abs(by_cost.score(X_test, y_test) - by_gradient.score(X_test, y_test)) <= 0.005


def test_tol_none_has_no_cost_test():
    from sknn_digits import BackpropMLPClassifier

    X_train, _, y_train, _ = _digits_split()
    clf = BackpropMLPClassifier(hidden_layer_sizes=10, tol=None, max_iter=60, random_state=0)
    with pytest.warns(Warning, match="max_iter=60"):
        clf.fit(X_train[:300], y_train[:300])
    assert clf.n_iter_ == 60
