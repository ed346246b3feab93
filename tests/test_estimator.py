"""Tests of BackpropMLPClassifier as a scikit-learn estimator."""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn_digits import BackpropMLPClassifier, MLPClassifier
from sknn_digits.core import Network
from sknn_digits.course import unroll
from sknn_digits.initialization import initial_params


@parametrize_with_checks([BackpropMLPClassifier(), MLPClassifier(max_iter=50),
                          MLPClassifier(solver="sgd", max_iter=50)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_is_a_classifier():
    assert is_classifier(BackpropMLPClassifier())


@pytest.mark.slow
def test_grid_search_over_alpha_and_hidden_size_in_a_pipeline(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), BackpropMLPClassifier(max_iter=200, random_state=0))
    grid = GridSearchCV(
        pipe,
        {
            "backpropmlpclassifier__alpha": [0.1, 1.0],
            "backpropmlpclassifier__hidden_layer_sizes": [25, (50,)],
        },
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    )
    grid.fit(X, y)
    assert grid.best_score_ >= 0.97
    assert grid.cv_results_["mean_test_score"].shape == (4,)


def test_cross_val_score(small_digits):
    X, y = small_digits
    scores = cross_val_score(BackpropMLPClassifier(max_iter=100, random_state=0), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.85


def test_clone_and_pickle_round_trip(small_digits):
    X, y = small_digits
    clf = BackpropMLPClassifier(hidden_layer_sizes=(10,), alpha=0.3, max_iter=50, random_state=0)
    assert clone(clf).get_params() == clf.get_params()
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


@pytest.fixture(scope="module")
def fitted(small_digits):
    X, y = small_digits
    return BackpropMLPClassifier(hidden_layer_sizes=(12, 8), max_iter=150,
                                 random_state=0).fit(X, y)


def test_fitted_attributes_and_layouts(fitted, small_digits):
    _X, _y = small_digits
    clf = fitted
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.n_features_in_ == 64 and clf.n_layers_ == 4 and clf.n_outputs_ == 10
    assert [W.shape for W in clf.coefs_] == [(64, 12), (12, 8), (8, 10)]
    assert [b.shape for b in clf.intercepts_] == [(12,), (8,), (10,)]
    assert [t.shape for t in clf.thetas_] == [(12, 65), (8, 13), (10, 9)]
    for W, b, theta in zip(clf.coefs_, clf.intercepts_, clf.thetas_):
        np.testing.assert_array_equal(theta[:, 0], b)
        np.testing.assert_array_equal(theta[:, 1:], W.T)
    assert len(clf.loss_curve_) == clf.n_iter_ == 150
    assert clf.loss_curve_[-1] == pytest.approx(clf.loss_)
    assert all(a >= b - 1e-12 for a, b in zip(clf.loss_curve_, clf.loss_curve_[1:]))
    assert isinstance(clf.solver_message_, str) and clf.solver_message_


def test_loss_is_the_objective_at_the_returned_weights(fitted, small_digits):
    X, y = small_digits
    Y = (y[:, None] == np.arange(10)).astype(float)
    J, _ = Network((64, 12, 8, 10)).loss_gradient(unroll(*fitted.thetas_), X, Y, alpha=1.0)
    assert fitted.loss_ == pytest.approx(J, rel=1e-10)


def test_predict_proba_normalises_sigmoid_units(fitted, small_digits):
    X, _ = small_digits
    proba = fitted.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # Independent computation: the sigmoid units, divided by their row sum.
    a = X
    for W, b in zip(fitted.coefs_[:-1], fitted.intercepts_[:-1]):
        a = 1 / (1 + np.exp(-(a @ W + b)))
    h = 1 / (1 + np.exp(-(a @ fitted.coefs_[-1] + fitted.intercepts_[-1])))
    np.testing.assert_allclose(proba, h / h.sum(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(fitted.predict_log_proba(X), np.log(proba), rtol=1e-10)
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[h.argmax(axis=1)])


def test_softmax_output_gives_softmax_probabilities(small_digits):
    X, y = small_digits
    clf = BackpropMLPClassifier(output_activation="softmax", max_iter=60,
                                random_state=0).fit(X, y)
    assert clf.out_activation_ == "softmax"
    a = 1 / (1 + np.exp(-(X @ clf.coefs_[0] + clf.intercepts_[0])))
    z = a @ clf.coefs_[1] + clf.intercepts_[1]
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-10)


@pytest.mark.parametrize("output_activation", ["logistic", "softmax"])
def test_binary_string_labels_use_one_sigmoid_unit(small_digits, output_activation):
    X, y = small_digits
    labels = np.where(y < 5, "low", "high")
    clf = BackpropMLPClassifier(output_activation=output_activation, hidden_layer_sizes=5,
                                max_iter=300, random_state=0).fit(X, labels)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    np.testing.assert_array_equal(clf.classes_, ["high", "low"])
    proba = clf.predict_proba(X)
    a = 1 / (1 + np.exp(-(X @ clf.coefs_[0] + clf.intercepts_[0])))
    p_low = 1 / (1 + np.exp(-(a @ clf.coefs_[1] + clf.intercepts_[1])))[:, 0]
    np.testing.assert_allclose(proba[:, 1], p_low, rtol=1e-10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, labels) > 0.9


def test_multilabel_indicator_targets(small_digits):
    X, y = small_digits
    Y = np.column_stack([y % 2 == 0, y >= 5, np.isin(y, [0, 6, 8, 9])]).astype(int)
    clf = BackpropMLPClassifier(max_iter=300, random_state=0).fit(X, Y)
    pred = clf.predict(X)
    assert pred.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert (pred == Y).mean() > 0.9
    with pytest.raises(ValueError, match="softmax.*multilabel"):
        BackpropMLPClassifier(output_activation="softmax").fit(X, Y)


@pytest.mark.parametrize("solver", ["L-BFGS-B", "CG", "BFGS", "TNC"])
def test_every_solver_learns(small_digits, solver):
    X, y = small_digits
    clf = BackpropMLPClassifier(hidden_layer_sizes=10, solver=solver, max_iter=60,
                                random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.85
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_convergence_warning_when_max_iter_stops_the_fit(small_digits):
    X, y = small_digits
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        BackpropMLPClassifier(max_iter=5, random_state=0).fit(X, y)


def test_no_convergence_warning_when_solver_converges():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = BackpropMLPClassifier(hidden_layer_sizes=2, random_state=0).fit(X, y)
    assert clf.n_iter_ < 400


def test_verbose_prints_one_line_per_iteration(small_digits, capsys):
    X, y = small_digits
    clf = BackpropMLPClassifier(max_iter=7, verbose=1, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 7
    assert lines[-1] == f"Iteration 7, loss = {clf.loss_curve_[-1]:.8f}"


def test_silent_by_default(small_digits, capsys):
    X, y = small_digits
    BackpropMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


def test_same_random_state_gives_identical_weights(small_digits):
    X, y = small_digits
    a = BackpropMLPClassifier(max_iter=20, random_state=3).fit(X, y)
    b = BackpropMLPClassifier(max_iter=20, random_state=3).fit(X, y)
    c = BackpropMLPClassifier(max_iter=20, random_state=4).fit(X, y)
    for ta, tb in zip(a.thetas_, b.thetas_):
        np.testing.assert_array_equal(ta, tb)
    assert not np.array_equal(a.thetas_[0], c.thetas_[0])


def test_integer_weights_equal_repeated_rows_bit_for_bit(small_digits):
    X, y = small_digits[0][::3], small_digits[1][::3]
    counts = np.random.default_rng(0).integers(0, 4, len(y))
    order = np.random.default_rng(1).permutation(len(y))
    weighted = BackpropMLPClassifier(max_iter=30, random_state=0).fit(
        X[order], y[order], sample_weight=counts[order])
    repeated = BackpropMLPClassifier(max_iter=30, random_state=0).fit(
        X.repeat(counts, axis=0), y.repeat(counts))
    for a, b in zip(weighted.thetas_, repeated.thetas_):
        np.testing.assert_array_equal(a, b)


def test_warm_start_continues_from_previous_weights(small_digits):
    X, y = small_digits
    clf = BackpropMLPClassifier(max_iter=10, warm_start=True, random_state=0).fit(X, y)
    first_loss = clf.loss_
    clf.fit(X, y)
    # The second fit goes on from the first: its curve is appended, and starts lower.
    assert len(clf.loss_curve_) == 20 and clf.n_iter_ == 10
    assert clf.loss_curve_[10] < first_loss + 1e-12
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y < 5], y[y < 5])


def test_class_weight_and_sample_weight(small_digits):
    X, y = small_digits
    weighted = BackpropMLPClassifier(class_weight={0: 3.0}, max_iter=20,
                                     random_state=0).fit(X, y)
    explicit = BackpropMLPClassifier(max_iter=20, random_state=0).fit(
        X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_allclose(weighted.thetas_[0], explicit.thetas_[0], rtol=1e-12)
    balanced = BackpropMLPClassifier(class_weight="balanced", max_iter=20,
                                     random_state=0).fit(X, y)
    assert balanced.score(X, y) > 0.5


def test_sparse_and_float32_input(small_digits):
    X, y = small_digits
    dense = BackpropMLPClassifier(max_iter=30, random_state=0).fit(X, y)
    csr = BackpropMLPClassifier(max_iter=30, random_state=0).fit(sparse.csr_matrix(X), y)
    f32 = BackpropMLPClassifier(max_iter=30, random_state=0).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(csr.predict_proba(X), dense.predict_proba(X), rtol=1e-6)
    proba32 = f32.predict_proba(X.astype(np.float32))
    assert proba32.dtype == np.float32
    assert (f32.predict(X) == dense.predict(X)).mean() > 0.95


def test_feature_names_are_recorded():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    clf = BackpropMLPClassifier(hidden_layer_sizes=2, random_state=0).fit(X, [0, 0, 1, 1])
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b"])


def test_init_epsilon_auto_and_bounds(small_digits):
    X, y = small_digits
    clf = BackpropMLPClassifier(init_epsilon=0.0, max_iter=1, random_state=0)
    clf.fit(X, y)
    auto = BackpropMLPClassifier(init_epsilon="auto", max_iter=1, random_state=0).fit(X, y)
    # With zero initial weights every hidden unit stays identical: symmetry.
    W = clf.coefs_[0]
    np.testing.assert_allclose(W, W[:, :1] * np.ones((1, W.shape[1])))
    assert not np.allclose(auto.coefs_[0], auto.coefs_[0][:, :1])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": -1.0}, "alpha"),
        ({"solver": "newton"}, "solver"),
        ({"activation": "softplus"}, "activation"),
        ({"output_activation": "linear"}, "output_activation"),
        ({"max_iter": 0}, "max_iter"),
        ({"hidden_layer_sizes": (5, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes"),
        ({"init_epsilon": "big"}, "init_epsilon"),
        ({"class_weight": "uniform"}, "class_weight"),
        ({"n_threads": 0}, "n_threads"),
    ],
)
def test_bad_hyper_parameters_are_named_at_fit(small_digits, params, match):
    X, y = small_digits
    with pytest.raises(ValueError, match=match):
        BackpropMLPClassifier(**params).fit(X, y)


def test_bad_data_errors(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="one class"):
        BackpropMLPClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="continuous"):
        BackpropMLPClassifier().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="Negative values.*sample_weight"):
        BackpropMLPClassifier().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="weight.*zero"):
        BackpropMLPClassifier().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(NotFittedError):
        BackpropMLPClassifier().predict(X)


def test_caller_arrays_are_not_modified(small_digits):
    X, y = small_digits
    X_copy, y_copy, w = X.copy(), y.copy(), np.ones(len(y))
    clf = BackpropMLPClassifier(max_iter=5, random_state=0).fit(X, y, sample_weight=w)
    clf.predict_proba(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(w, np.ones(len(y)))


def test_from_thetas_reorders_units_so_classes_are_sorted():
    rng = np.random.default_rng(0)
    theta_1, theta_2 = rng.normal(size=(4, 4)), rng.normal(size=(3, 5))
    X = rng.normal(size=(20, 3))
    clf = BackpropMLPClassifier.from_thetas([theta_1, theta_2], classes=[2, 0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    a = 1 / (1 + np.exp(-(np.hstack([np.ones((20, 1)), X]) @ theta_1.T)))
    h = 1 / (1 + np.exp(-(np.hstack([np.ones((20, 1)), a]) @ theta_2.T)))
    np.testing.assert_array_equal(clf.predict(X), np.array([2, 0, 1])[h.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_proba(X)[:, 2], h[:, 0] / h.sum(axis=1))
    with pytest.raises(ValueError, match="classes must name each of the 3"):
        BackpropMLPClassifier.from_thetas([theta_1, theta_2], classes=[0, 1])
    with pytest.raises(ValueError, match="must have 1 \\+ 4 columns"):
        BackpropMLPClassifier.from_thetas([theta_1, theta_2[:, :4]], classes=[0, 1, 2])


def test_from_thetas_binary_single_unit():
    theta_1, theta_2 = np.array([[0.0, 1.0]]), np.array([[-2.0, 4.0]])
    X = np.array([[-5.0], [5.0]])
    clf = BackpropMLPClassifier.from_thetas([theta_1, theta_2], classes=["no", "yes"])
    np.testing.assert_array_equal(clf.predict(X), ["no", "yes"])
    flipped = BackpropMLPClassifier.from_thetas([theta_1, theta_2], classes=["z", "a"])
    np.testing.assert_array_equal(flipped.classes_, ["a", "z"])
    np.testing.assert_array_equal(flipped.predict(X), ["z", "a"])  # the unit answers "a"


@pytest.mark.parametrize("solver", ["Newton-CG", "trust-ncg", "trust-krylov"])
def test_second_order_solvers_use_exact_hessian(small_digits, solver):
    X, y = small_digits
    clf = BackpropMLPClassifier(hidden_layer_sizes=10, solver=solver, max_iter=30,
                                random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]


def test_early_stopping_keeps_the_best_validation_weights(small_digits):
    X, y = small_digits
    clf = BackpropMLPClassifier(alpha=1e-4, early_stopping=True, n_iter_no_change=5,
                                max_iter=400, random_state=0).fit(X, y)
    scores = clf.validation_scores_
    assert clf.best_validation_score_ == max(scores)
    assert len(scores) == clf.n_iter_  # one per iteration, as MLPClassifier
    assert clf.n_iter_ < 400  # it stopped early
    best = int(np.argmax(scores))
    assert all(s <= scores[best] + 1e-4 for s in scores[best:])
    assert len(scores) - 1 - best > 5
    # The kept weights are the best ones: re-score the held-out split.
    from sklearn.model_selection import train_test_split

    _, X_val, _, y_val = train_test_split(X, y, test_size=int(np.ceil(0.1 * len(y))),
                                          stratify=y, random_state=0)
    assert clf.score(X_val, y_val) == pytest.approx(clf.best_validation_score_)


def test_early_stopping_needs_room_for_both_sets():
    with pytest.raises(ValueError, match="validation_fraction"):
        BackpropMLPClassifier(early_stopping=True, validation_fraction=0.99).fit(
            [[0.0], [1.0], [2.0]], [0, 1, 0])


@pytest.mark.parametrize("solver", ["CG", "TNC", "trust-ncg"])
def test_early_stopping_with_other_solvers(small_digits, solver):
    X, y = small_digits
    clf = BackpropMLPClassifier(solver=solver, early_stopping=True, hidden_layer_sizes=10,
                                max_iter=100, random_state=0).fit(X, y)
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.5


def test_scikit_learn_fit_callbacks_see_every_iteration(small_digits):
    callback = pytest.importorskip("sklearn.callback")  # scikit-learn 1.9 and later
    X, y = small_digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = BackpropMLPClassifier(max_iter=15, random_state=0).set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    iterations = [row for row in rows if row["task_name"] == "iteration"]
    assert len(iterations) == clf.n_iter_ == 15
    # The last iteration's model is the fitted one; the first is barely trained.
    assert iterations[-1]["accuracy"] == pytest.approx(clf.score(X, y))
    assert iterations[0]["accuracy"] < iterations[-1]["accuracy"]


def test_fit_leaves_no_callback_state_behind(small_digits):
    # scikit-learn's fit context (which the estimator relies on) clears the
    # callback context after fit, so fitted models pickle and save cleanly.
    X, y = small_digits
    clf = BackpropMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert not [name for name in vars(clf) if "callback" in name]
    pickle.loads(pickle.dumps(clf))


def test_early_stopping_with_multilabel_targets(small_digits):
    X, y = small_digits
    Y = np.column_stack([y % 2 == 0, y >= 5]).astype(int)
    clf = BackpropMLPClassifier(early_stopping=True, max_iter=200, random_state=0).fit(X, Y)
    assert 0.5 < clf.best_validation_score_ == max(clf.validation_scores_) <= 1.0


# --------------------------------------------------------------------------
# A fit is all or nothing, and never touches what the caller owns.
# --------------------------------------------------------------------------


def _state(clf):
    """Everything a fit may set, copied for comparison."""
    import copy

    return copy.deepcopy({k: v for k, v in vars(clf).items() if k.endswith("_")})


def _assert_same_state(before, after):
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_equal(after[key], before[key], err_msg=key)


def test_failed_first_fit_leaves_the_estimator_unfitted(small_digits):
    X, y = small_digits
    clf = BackpropMLPClassifier(max_iter=5)
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=-np.ones(len(y)))
    assert not [k for k in vars(clf) if k.endswith("_")]
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_failed_refit_keeps_the_previous_model():
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    labels = np.array(["cat", "dog", "eel", "fox"])[rng.integers(0, 4, 40)]
    clf = BackpropMLPClassifier(max_iter=20, random_state=0).fit(X, labels)
    before, predicted = _state(clf), clf.predict(X)
    other = np.array(["ant", "bee"])[rng.integers(0, 2, 40)]
    with pytest.raises(ValueError):
        clf.fit(X, other, sample_weight=np.full(40, -1.0))
    _assert_same_state(before, _state(clf))
    np.testing.assert_array_equal(clf.predict(X), predicted)


def test_failed_warm_start_refit_keeps_the_output_layer(small_digits):
    X, y = small_digits
    clf = BackpropMLPClassifier(max_iter=10, warm_start=True, random_state=0).fit(X, y)
    before, proba = _state(clf), clf.predict_proba(X)
    clf.set_params(output_activation="softmax", hidden_layer_sizes=7)
    with pytest.raises(ValueError, match="same layer sizes"):
        clf.fit(X, y)
    _assert_same_state(before, _state(clf))
    assert clf.out_activation_ == "logistic"
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


@pytest.mark.parametrize("class_weight, message", [
    ({0: -1.0}, "class_weight.*finite, non-negative"),
    ({0: np.nan}, "class_weight.*finite, non-negative"),
    ({0: np.inf}, "class_weight.*finite, non-negative"),
    (dict.fromkeys(range(10), 0.0), "zero for every sample"),
])
def test_unusable_class_weights_are_refused_by_name(small_digits, class_weight, message):
    X, y = small_digits
    with pytest.raises(ValueError, match=message):
        BackpropMLPClassifier(class_weight=class_weight, max_iter=5).fit(X, y)


def _non_canonical_csr(X):
    """X as CSR whose every entry is stored twice, halved, in descending column order."""
    rows, cols = np.nonzero(X)
    values = X[rows, cols]
    order = np.lexsort((-cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=X.shape[0]) * 2)])
    indices = np.concatenate([np.concatenate([cols[rows == r], cols[rows == r]])
                              for r in range(X.shape[0])])
    data = np.concatenate([np.concatenate([values[rows == r] / 2] * 2)
                           for r in range(X.shape[0])])
    matrix = sparse.csr_matrix((data, indices, indptr), shape=X.shape)
    assert not matrix.has_canonical_format
    return matrix


def test_fit_never_rewrites_a_non_canonical_sparse_matrix(small_digits):
    X, y = small_digits
    X = np.vstack([X, X[:5]])  # repeated rows, so repeats are looked for and merged
    y = np.concatenate([y, y[:5]])
    matrix = _non_canonical_csr(X)
    saved = [a.copy() for a in (matrix.data, matrix.indices, matrix.indptr)]
    clf = BackpropMLPClassifier(max_iter=20, random_state=0).fit(matrix, y)
    for before, after in zip(saved, (matrix.data, matrix.indices, matrix.indptr)):
        np.testing.assert_array_equal(after, before)
    assert not matrix.has_canonical_format
    dense = BackpropMLPClassifier(max_iter=20, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), dense.predict_proba(X), rtol=1e-6)


def test_convergence_warnings_name_the_callers_line(small_digits):
    X, y = small_digits
    with pytest.warns(ConvergenceWarning) as record:
        BackpropMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    assert all(w.filename == __file__ for w in record)
    with pytest.warns(ConvergenceWarning) as record:
        make_pipeline(StandardScaler(), BackpropMLPClassifier(max_iter=2)).fit(X, y)
    assert all(w.filename == __file__ for w in record)


def test_loss_is_finite_and_is_j_at_the_weights_for_extreme_inputs():
    rng = np.random.default_rng(0)
    X, y = rng.random((30, 3)), rng.integers(0, 2, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = BackpropMLPClassifier(alpha=1e300, random_state=0).fit(X * 1e300, y)
    J, _ = Network((3, 25, 1)).loss_gradient(unroll(*clf.thetas_), X * 1e300,
                                             y[:, None].astype(float), alpha=1e300)
    assert np.isfinite(clf.loss_) and clf.loss_ == pytest.approx(J, rel=1e-12)


def test_non_finite_result_is_refused_and_changes_nothing(small_digits, monkeypatch):
    import sknn_digits._training as training

    X, y = small_digits
    clf = BackpropMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    before = _state(clf)
    real = training.minimize

    def diverged(*args, **kwargs):
        result = real(*args, **kwargs)
        return result._replace(params=np.full_like(result.params, np.nan))

    monkeypatch.setattr(training, "minimize", diverged)
    with pytest.raises(ValueError, match="non-finite cost"):
        clf.fit(X, y)
    _assert_same_state(before, _state(clf))


def test_no_progress_warning_names_a_loose_tol(small_digits):
    X, y = small_digits
    with pytest.warns(ConvergenceWarning, match="tol=10 was met") as record:
        BackpropMLPClassifier(tol=10.0, random_state=0).fit(X, y)
    assert not any("scale the features" in str(w.message) for w in record)


def test_early_stopping_never_keeps_the_untrained_start(small_digits):
    X, y = small_digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = BackpropMLPClassifier(early_stopping=True, n_iter_no_change=2, max_iter=30,
                                    random_state=0).fit(X, y)
    x0 = initial_params((64, 25, 10), random_state=0)
    J0, _ = Network((64, 25, 10)).loss_gradient(x0, X, np.eye(10)[y], alpha=1.0)
    assert clf.loss_ < J0 / 2
    assert not np.array_equal(unroll(*clf.thetas_), x0)


def test_an_init_epsilon_too_large_for_floating_point_is_refused_by_name(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="'init_epsilon' parameter"):
        BackpropMLPClassifier(init_epsilon=1e308).fit(X, y)


def test_weights_whose_sum_overflows_give_an_error_not_an_untrained_model(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="sums to more than floating point holds"):
        BackpropMLPClassifier().fit(X, y, sample_weight=np.full(len(y), 1e308))


def test_best_loss_and_samples_seen_as_mlpclassifiers(small_digits):
    X, y = small_digits
    model = BackpropMLPClassifier(hidden_layer_sizes=5, max_iter=8, random_state=0).fit(X, y)
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.t_ == model.n_iter_ * len(X)
    model.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert model.t_ == len(model.loss_curve_) * len(X)
    assert model.best_loss_ == min(model.loss_curve_[-model.n_iter_:])
    early = BackpropMLPClassifier(hidden_layer_sizes=5, max_iter=5, early_stopping=True,
                                  random_state=0).fit(X, y)
    assert early.best_loss_ is None and early.best_validation_score_ is not None


def test_a_cg_fit_stopped_by_max_fun_says_so(small_digits):
    from sklearn.exceptions import ConvergenceWarning

    X, y = small_digits
    model = BackpropMLPClassifier(hidden_layer_sizes=5, solver="CG", max_iter=500, max_fun=6,
                                  tol=None, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"max_fun=6") as caught:
        model.fit(X, y)
    assert not any("StopIteration" in str(w.message) for w in caught)


@pytest.mark.parametrize("class_weight, named", [
    ({0: 2, 99: 3}, "99"),          # named as missing classes 1..9 before, never 99
    ({"0": 5}, "'0'"),              # a string key for integer classes
    (dict.fromkeys(range(10), 1.0) | {42: 2.0}, "42"),  # silently ignored before
])
def test_class_weight_keys_that_match_no_class_are_refused_by_name(class_weight, named,
                                                                  small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match=rf"class_weight has keys that are no class of y: "
                                         rf".*{named}"):
        BackpropMLPClassifier(max_iter=2, class_weight=class_weight).fit(X, y)


def test_what_is_wrong_with_sample_weights_is_said(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match=r"sample_weight .* sums to .* too small"):
        BackpropMLPClassifier(max_iter=2).fit(X, y, sample_weight=np.full(len(y), 1e-320))
    with pytest.raises(TypeError, match="sample_weight must hold numbers"):
        BackpropMLPClassifier(max_iter=2).fit(X, y, sample_weight=["1.0"] * len(y))


@pytest.mark.parametrize("X", [
    np.array([["2020-01-01"], ["2020-01-02"], ["2020-01-03"], ["2020-01-04"]],
             dtype="datetime64[D]"),
    np.array([["1"], ["2"], ["3"], ["4"]]),
])
def test_x_of_dates_or_text_is_refused(X):
    """numpy turns dates and numeric text into floats: they trained without a word."""
    with pytest.raises(ValueError, match="X must hold numbers"):
        BackpropMLPClassifier(max_iter=2).fit(X, [0, 1, 0, 1])


def test_the_notebook_diagram_links_to_the_estimators_page():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler
    from sklearn.utils import estimator_html_repr

    import sknn_digits

    root = Path(__file__).resolve().parents[1]
    pyproject = (root / "pyproject.toml").read_text()  # (tomllib is Python 3.11's)
    assert f'Documentation = "{sknn_digits.DOCUMENTATION}"' in pyproject
    page = f"{sknn_digits.DOCUMENTATION}generated/sknn_digits.BackpropMLPClassifier.html"
    # The docs build makes that page: the API page lists the class under "generated".
    api = (root / "docs" / "api.rst").read_text()
    assert ":toctree: generated" in api and "   BackpropMLPClassifier\n" in api
    html = estimator_html_repr(make_pipeline(MinMaxScaler(), BackpropMLPClassifier()))
    assert f'href="{page}"' in html


def test_a_wide_networks_predictions_are_computed_in_chunks_of_working_memory():
    """Rows go through the network in chunks, so a wide network's prediction of many rows
    takes scikit-learn's working_memory, not rows times width (320 MB at once here)."""
    import tracemalloc

    import sklearn

    rng = np.random.default_rng(0)
    X = rng.random((2000, 8))
    y = (X[:, 0] > 0.5).astype(int) + (X[:, 1] > 0.5)
    wide = BackpropMLPClassifier(hidden_layer_sizes=20_000, max_iter=2).fit(X[:50], y[:50])
    expected = wide.predict_proba(X[:100])  # one chunk
    with sklearn.config_context(working_memory=4):
        tracemalloc.start()
        try:
            proba = wide.predict_proba(X)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 24 * 2**20, peak
    np.testing.assert_allclose(proba[:100], expected, rtol=1e-12)
    assert proba.shape == (2000, 3)


def test_predictions_read_the_fitted_layers_without_packing_a_flat_vector(monkeypatch,
                                                                         small_digits):
    """Every predict packed coefs_ into the solver's flat vector only to unpack it again."""
    from sknn_digits.core import Network

    X, y = small_digits
    model = BackpropMLPClassifier(hidden_layer_sizes=(12, 7), max_iter=20,
                                  random_state=0).fit(X, y)
    expected = (model.predict_proba(X), model.predict_log_proba(X), model.predict(X),
                *model.activations(X)[0], model.activations(X)[1])

    def no_packing(self, coefs, intercepts):
        raise AssertionError("a flat vector was packed")

    monkeypatch.setattr(Network, "pack", no_packing)
    got = (model.predict_proba(X), model.predict_log_proba(X), model.predict(X),
           *model.activations(X)[0], model.activations(X)[1])
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    # The same in float32: the layers are cast to the data's dtype.
    np.testing.assert_allclose(model.predict_proba(X.astype(np.float32)), expected[0],
                               atol=1e-5)
