"""scikit-learn's MLPClassifier tests (sklearn/neural_network/tests/test_mlp.py), ported.

Every test there that applies to a full-batch classifier with this API is
written anew here with the original's data and thresholds, ``solver="lbfgs"``
read as ``"L-BFGS-B"``; the tests of sgd, adam, partial_fit and early
stopping run against :class:`sknn_digits.MLPClassifier`, the same class with
MLPClassifier's defaults.  Tests of regressors do not apply.  The deliberate
differences are tested as such at the end.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import LabelBinarizer, MinMaxScaler

from sknn_digits import BackpropMLPClassifier, MLPClassifier
from sknn_digits.core import Network
from sknn_digits.course import unroll
from sknn_digits.gradient_check import numerical_gradient

ACTIVATION_TYPES = ["identity", "logistic", "tanh", "relu"]

X_digits, y_digits = load_digits(n_class=3, return_X_y=True)
X_digits_multi = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_multi = y_digits[:200]
X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]
classification_datasets = [(X_digits_multi, y_digits_multi), (X_digits_binary, y_digits_binary)]
X_iris, y_iris = load_iris(return_X_y=True)


def test_alpha():
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    sums = []
    for alpha in (0, 1):
        mlp = BackpropMLPClassifier(hidden_layer_sizes=10, alpha=alpha, random_state=1).fit(X, y)
        sums.append([np.abs(mlp.coefs_[0]).sum(), np.abs(mlp.coefs_[1]).sum()])
    assert (np.array(sums[0]) > np.array(sums[1])).all()


@pytest.mark.parametrize("n_labels", [2, 3])
@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
def test_gradient(n_labels, activation):
    rng = np.random.RandomState(seed=42)
    X = rng.rand(5, 10)
    y = 1 + np.mod(np.arange(5) + 1, n_labels)
    Y = LabelBinarizer().fit_transform(y).astype(float)
    mlp = BackpropMLPClassifier(activation=activation, hidden_layer_sizes=10, alpha=1e-5,
                                max_iter=1, random_state=1).fit(X, y)
    layer_sizes = (10, 10, Y.shape[1])
    theta = unroll(*mlp.thetas_)

    def cost(t):
        return Network(layer_sizes, activation).loss_gradient(t, X, Y, alpha=1e-5)

    np.testing.assert_almost_equal(numerical_gradient(cost, theta, 1e-5), cost(theta)[1])


@pytest.mark.parametrize("X,y", classification_datasets)
@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
def test_lbfgs_classification(X, y, activation):
    X_train, y_train, X_test = X[:150], y[:150], X[150:]
    mlp = BackpropMLPClassifier(solver="L-BFGS-B", hidden_layer_sizes=50, max_iter=150,
                                random_state=1, activation=activation)
    mlp.fit(X_train, y_train)
    y_predict = mlp.predict(X_test)
    assert mlp.score(X_train, y_train) > 0.95
    assert (y_predict.shape[0], y_predict.dtype.kind) == (X_test.shape[0], y_train.dtype.kind)


@pytest.mark.parametrize("X,y", classification_datasets)
@pytest.mark.parametrize("activation", ACTIVATION_TYPES)
def test_lbfgs_classification_maxfun(X, y, activation):
    mlp = BackpropMLPClassifier(solver="L-BFGS-B", hidden_layer_sizes=50, max_iter=150,
                                max_fun=10, random_state=1, activation=activation)
    with pytest.warns(ConvergenceWarning, match="max_fun=10"):
        mlp.fit(X, y)
    assert mlp.n_iter_ <= 10


def test_multilabel_classification():
    X, y = make_multilabel_classification(n_samples=50, random_state=0, return_indicator=True)
    mlp = BackpropMLPClassifier(solver="L-BFGS-B", hidden_layer_sizes=50, alpha=1e-5,
                                max_iter=150, random_state=0, activation="logistic")
    assert mlp.fit(X, y).score(X, y) > 0.97
    # Early stopping works for multilabel targets (split unstratified).
    BackpropMLPClassifier(early_stopping=True).fit(X, y).predict(X)


def test_predict_proba_binary():
    X, y = X_digits_binary[:50], y_digits_binary[:50]
    clf = BackpropMLPClassifier(hidden_layer_sizes=5, activation="logistic", random_state=1)
    clf.fit(X, y)
    y_proba, y_log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    assert y_proba.shape == (50, 2)
    np.testing.assert_array_equal(y_proba.argmax(axis=1), y_log_proba.argmax(axis=1))
    np.testing.assert_allclose(y_log_proba, np.log(y_proba))
    assert roc_auc_score(y, y_proba[:, 1]) == 1.0


def test_predict_proba_multiclass():
    X, y = X_digits_multi[:10], y_digits_multi[:10]
    clf = BackpropMLPClassifier(hidden_layer_sizes=5).fit(X, y)
    y_proba, y_log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    assert y_proba.shape == (10, np.unique(y).size)
    np.testing.assert_array_equal(y_proba.argmax(axis=1), y_log_proba.argmax(axis=1))
    np.testing.assert_allclose(y_log_proba, np.log(y_proba))


def test_predict_proba_multilabel():
    X, Y = make_multilabel_classification(n_samples=50, random_state=0, return_indicator=True)
    clf = BackpropMLPClassifier(solver="L-BFGS-B", hidden_layer_sizes=30, random_state=0,
                                alpha=1e-4)  # MLPClassifier's default alpha
    clf.fit(X, Y)
    y_proba = clf.predict_proba(X)
    assert y_proba.shape == Y.shape
    np.testing.assert_array_equal(y_proba > 0.5, Y)
    y_log_proba = clf.predict_log_proba(X)
    assert (y_proba.sum(1) - 1).dot(y_proba.sum(1) - 1) > 1e-10
    np.testing.assert_array_equal(y_proba.argmax(axis=1), y_log_proba.argmax(axis=1))
    # Where a probability rounds near 1, np.log(proba) is off in its relative
    # digits and predict_log_proba is not (a deliberate difference): absolute 1e-15.
    np.testing.assert_allclose(y_log_proba, np.log(y_proba), atol=1e-15)


@pytest.mark.parametrize("container", ["csr_matrix", "csr_array"])
def test_sparse_matrices(container):
    from scipy import sparse

    X, y = X_digits_binary[:50], y_digits_binary[:50]
    X_sparse = getattr(sparse, container)(X)
    mlp = BackpropMLPClassifier(solver="L-BFGS-B", hidden_layer_sizes=15, random_state=1)
    pred1 = mlp.fit(X, y).predict(X)
    pred2 = mlp.fit(X_sparse, y).predict(X_sparse)
    np.testing.assert_almost_equal(pred1, pred2)
    np.testing.assert_array_equal(mlp.predict(X), mlp.predict(X_sparse))


def test_verbose(capsys):
    BackpropMLPClassifier(max_iter=2, verbose=10, hidden_layer_sizes=2).fit(
        [[3, 2], [1, 6]], [1, 0])
    assert "Iteration" in capsys.readouterr().out


def test_early_stopping():
    # tol is also the solver's tolerance here: the original's 0.2 (for sgd) would
    # stop L-BFGS-B after its first step, so early stopping's threshold is 1e-3.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 1e-3
    mlp = BackpropMLPClassifier(tol=tol, max_iter=3000, early_stopping=True).fit(X, y)
    assert mlp.max_iter > mlp.n_iter_
    scores = mlp.validation_scores_
    assert isinstance(scores, list) and len(scores) == mlp.n_iter_
    assert max(scores) == mlp.best_validation_score_
    assert mlp.best_validation_score_ + tol > scores[-2]
    assert mlp.best_validation_score_ + tol > scores[-1]
    mlp = BackpropMLPClassifier(tol=tol, max_iter=3000, early_stopping=False).fit(X, y)
    assert mlp.validation_scores_ is None and mlp.best_validation_score_ is None


def test_warm_start():
    y_3classes = np.array([0] * 40 + [1] * 40 + [2] * 70)
    clf = BackpropMLPClassifier(hidden_layer_sizes=2, warm_start=True, random_state=42,
                                tol=1e-2).fit(X_iris, y_iris)
    clf.fit(X_iris, y_iris)
    clf.fit(X_iris, y_3classes)  # the same classes, other labels: no error
    for y_i in (np.array([0] * 75 + [1] * 75), np.array([0] * 50 + [1] * 50 + [3] * 50),
                np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38),
                np.array([0] * 30 + [1] * 30 + [2] * 30 + [3] * 30 + [4] * 30)):
        clf = BackpropMLPClassifier(hidden_layer_sizes=2, warm_start=True, random_state=42,
                                    tol=1e-2).fit(X_iris, y_iris)
        message = (f"warm_start needs y with the same classes as the previous fit ([0, 1, 2]), "
                   f"got {np.unique(y_i).tolist()}.")
        with pytest.raises(ValueError, match=re.escape(message)):
            clf.fit(X_iris, y_i)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_n_iter_no_change_inf():
    # The held-out accuracy stops improving within a few iterations: a finite
    # patience stops the fit, an infinite one runs to max_iter.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    params = {"max_iter": 60, "early_stopping": True, "tol": 0.0, "random_state": 0}
    assert BackpropMLPClassifier(n_iter_no_change=10, **params).fit(X, y).n_iter_ < 60
    clf = BackpropMLPClassifier(n_iter_no_change=np.inf, **params).fit(X, y)
    assert clf.n_iter_ == 60 and len(clf.validation_scores_) == 60


def test_early_stopping_stratified():
    mlp = BackpropMLPClassifier(early_stopping=True)
    with pytest.raises(ValueError, match="The least populated class.* only 1 member"):
        mlp.fit([[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1])


def test_mlp_early_stopping_string_labels():
    X, y = make_classification(n_samples=200, n_features=10, n_classes=3, n_informative=5,
                               random_state=42)
    y = np.array(["class_a", "class_b", "class_c"], dtype=object)[y]
    mlp = BackpropMLPClassifier(early_stopping=True, max_iter=50, random_state=42).fit(X, y)
    assert mlp.validation_scores_ is not None
    assert len(mlp.validation_scores_) == mlp.n_iter_
    assert np.isfinite(mlp.validation_scores_).all()


def test_mlp_classifier_dtypes_casting():
    params = {"alpha": 1e-5, "hidden_layer_sizes": (5, 3), "random_state": 1, "max_iter": 100,
              "tol": 1e-1}
    mlp_64 = BackpropMLPClassifier(**params).fit(X_digits[:300], y_digits[:300])
    mlp_32 = BackpropMLPClassifier(**params).fit(X_digits[:300].astype(np.float32),
                                                 y_digits[:300])
    X_test = X_digits[300:]
    np.testing.assert_array_equal(mlp_64.predict(X_test),
                                  mlp_32.predict(X_test.astype(np.float32)))
    np.testing.assert_allclose(mlp_64.predict_proba(X_test),
                               mlp_32.predict_proba(X_test.astype(np.float32)), rtol=1e-2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_param_dtypes(dtype):
    X, y = X_digits.astype(dtype), y_digits
    mlp = BackpropMLPClassifier(alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1,
                                max_iter=50, tol=1e-1).fit(X[:300], y[:300])
    assert all(intercept.dtype == dtype for intercept in mlp.intercepts_)
    assert all(coef.dtype == dtype for coef in mlp.coefs_)
    assert mlp.predict_proba(X[300:]).dtype == dtype


def test_preserve_feature_names():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.full(10, 1), name="colname_y")
    with pytest.raises(ValueError, match="at least 2 classes"):  # a deliberate difference
        BackpropMLPClassifier(early_stopping=True, validation_fraction=0.2).fit(X, y)
    y = pd.Series(data=np.arange(10) % 2, name="colname_y")
    with warnings.catch_warnings():  # no feature-name warning (the 2 validation rows are named)
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", "early_stopping holds out", UserWarning)
        BackpropMLPClassifier(early_stopping=True, validation_fraction=0.2).fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_mlp_warm_start_with_early_stopping():
    mlp = BackpropMLPClassifier(max_iter=10, random_state=0, warm_start=True,
                                early_stopping=True)
    mlp.fit(X_iris, y_iris)
    n_validation_scores, n_losses = len(mlp.validation_scores_), len(mlp.loss_curve_)
    mlp.set_params(max_iter=20)
    mlp.fit(X_iris, y_iris)
    assert len(mlp.validation_scores_) > n_validation_scores
    assert len(mlp.loss_curve_) == n_losses + mlp.n_iter_


@pytest.mark.parametrize("make", [BackpropMLPClassifier,
                                  lambda **p: MLPClassifier(solver="sgd", **p),
                                  lambda **p: MLPClassifier(solver="adam", **p)],
                         ids=["L-BFGS-B", "sgd", "adam"])
def test_mlp_warm_start_no_convergence(make):
    model = make(warm_start=True, early_stopping=False, max_iter=10, n_iter_no_change=np.inf,
                 random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 10
    model.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 20 and len(model.loss_curve_) == 30


def test_mlp_sample_weight_with_early_stopping():
    X, y = make_classification(n_samples=100, n_features=2, n_informative=2, n_redundant=0,
                               random_state=42)
    params = {"hidden_layer_sizes": 10, "early_stopping": True, "tol": 1e-2, "random_state": 42}
    m1 = BackpropMLPClassifier(**params).fit(X, y, sample_weight=np.ones_like(y, dtype=float))
    m2 = BackpropMLPClassifier(**params).fit(X, y, sample_weight=None)
    np.testing.assert_allclose(m1.predict_proba(X), m2.predict_proba(X))


def test_minimum_input_sample_size():
    with pytest.raises(ValueError, match="The validation set is too small"):
        BackpropMLPClassifier(early_stopping=True, random_state=0).fit(
            [[0.0, 1.0], [1.0, 0.0]], [0, 1])


def test_huge_inputs_give_finite_weights_and_cost():
    # MLPClassifier refuses non-finite weights; here the penalty shrinks the first
    # layer until the products are finite, and loss_ is J at those weights.
    X = np.finfo(np.float64).max * np.random.RandomState(0).uniform(size=(10, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in the first evaluations
        clf = BackpropMLPClassifier().fit(X, np.arange(10) % 2)
    assert np.isfinite(clf.loss_) and all(np.isfinite(W).all() for W in clf.coefs_)
    assert np.isfinite(clf.predict_proba(X)).all()


# The deliberate differences from MLPClassifier.


def test_difference_one_class_targets_are_refused():
    with pytest.raises(ValueError, match="at least 2 classes; y holds one class only"):
        BackpropMLPClassifier().fit([[0.0], [1.0]], [3, 3])


def test_difference_log_proba_is_exact_where_proba_rounds_to_one():
    clf = BackpropMLPClassifier.from_thetas([np.array([[0.0, 1.0]]),
                                             np.array([[0.0, 60.0]])], [0, 1])
    X = [[50.0]]
    assert clf.predict_proba(X)[0, 1] == 1.0  # rounds to 1: np.log would give 0
    log_proba = clf.predict_log_proba(X)[0]
    assert log_proba[1] == pytest.approx(-np.exp(-60.0), rel=1e-6)  # log(1 - e^-60)
    assert log_proba[0] == pytest.approx(-60.0, rel=1e-12)


def test_partial_fit_only_for_the_stochastic_solvers():
    assert not hasattr(BackpropMLPClassifier(), "partial_fit")
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPClassifier(solver="sgd"), "partial_fit")



# The stochastic solvers, partial_fit and early stopping (MLPClassifier's tests, written anew).


def _quiet(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


def test_the_defaults_are_mlpclassifiers():
    from sklearn.neural_network import MLPClassifier as Original

    ours, theirs = MLPClassifier().get_params(), Original().get_params()
    assert {name: ours[name] for name in theirs} == theirs
    assert set(ours) - set(theirs) == {"output_activation", "init_epsilon", "class_weight",
                                       "n_threads"}


@pytest.mark.parametrize("X,y", classification_datasets)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_classification(X, y, solver):
    mlp = MLPClassifier(solver=solver, hidden_layer_sizes=50, max_iter=150, random_state=1,
                        learning_rate_init=0.2 if solver == "sgd" else 0.01)
    _quiet(mlp, X[:150], y[:150])
    assert mlp.score(X[150:], y[150:]) > 0.95
    assert mlp.predict(X[150:]).dtype == y.dtype


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling"])
def test_learning_rate_warmstart(learning_rate):
    X, y = [[3, 2], [1, 6], [5, 6], [-2, -4]], [1, 1, 1, 0]
    mlp = MLPClassifier(solver="sgd", hidden_layer_sizes=4, learning_rate=learning_rate,
                        max_iter=1, power_t=0.25, warm_start=True)
    _quiet(mlp, X, y)
    before = mlp._minibatches.rule.learning_rate
    _quiet(mlp, X, y)
    after = mlp._minibatches.rule.learning_rate
    if learning_rate == "constant":
        assert before == after == 0.001
    else:  # eta_0 / (t + 1) ** power_t with t the samples seen by both fits
        assert after == mlp.learning_rate_init / (8 + 1) ** mlp.power_t


def test_multilabel_partial_fit():
    X, y = make_multilabel_classification(n_samples=50, random_state=0, return_indicator=True)
    mlp = MLPClassifier(solver="sgd", hidden_layer_sizes=50, max_iter=150, random_state=0,
                        activation="logistic", learning_rate_init=0.2)
    for _ in range(100):
        mlp.partial_fit(X, y, classes=[0, 1, 2, 3, 4])
    assert mlp.score(X, y) > 0.9
    assert mlp.out_activation_ == "logistic"
    # early stopping with multilabel targets
    _quiet(MLPClassifier(early_stopping=True, max_iter=5), X, y).predict(X)


@pytest.mark.parametrize("X,y", classification_datasets)
def test_partial_fit_is_fit_one_epoch_at_a_time(X, y):
    params = {"solver": "sgd", "max_iter": 100, "random_state": 1, "tol": 0, "alpha": 1e-5,
              "learning_rate_init": 0.2, "n_iter_no_change": np.inf}
    fitted = _quiet(MLPClassifier(**params), X, y)
    mlp = MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # partial_fit warns of no limit, as MLPClassifier's
        for _ in range(100):
            mlp.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(mlp.predict(X), fitted.predict(X))
    for ours, theirs in zip(mlp.coefs_, fitted.coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert mlp.score(X, y) > 0.95
    assert mlp.n_iter_ == fitted.n_iter_ == 100 and mlp.t_ == fitted.t_ == 100 * len(X)


def test_partial_fit_classes_errors():
    X, y = [[3, 2]], [0]
    clf = MLPClassifier(solver="sgd")
    with pytest.raises(ValueError, match="classes=... on its first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"not the classes of the first call"):
        clf.partial_fit(X, y, classes=[1, 2])
    with pytest.raises(ValueError, match="not among the classes"):
        clf.partial_fit(X, [2])
    with pytest.raises(ValueError, match="not among the classes"):
        MLPClassifier(solver="sgd").partial_fit([[1.0], [2.0]], [0, 1], classes=[2, 3])


def test_partial_fit_unseen_classes():
    clf = MLPClassifier(random_state=0)
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4]], ["d"])
    assert clf.classes_.tolist() == ["a", "b", "c", "d"]
    assert clf.score([[1], [2], [3], [4]], ["a", "b", "c", "d"]) < 1


def test_partial_fit_after_fit_goes_on_from_its_solver_state():
    mlp = _quiet(MLPClassifier(solver="adam", max_iter=5, random_state=0), X_iris, y_iris)
    steps = mlp._minibatches.rule.n_steps
    mlp.partial_fit(X_iris, y_iris)
    assert mlp.n_iter_ == 6 and mlp._minibatches.rule.n_steps == steps + 1
    assert len(mlp.loss_curve_) == 6


def test_shuffle():
    X, y = X_digits_multi[:50], y_digits_multi[:50]
    fits = [_quiet(MLPClassifier(hidden_layer_sizes=1, max_iter=1, batch_size=1,
                                 random_state=0, shuffle=shuffle), X, y)
            for shuffle in (True, True, False)]
    np.testing.assert_array_equal(fits[0].coefs_[0], fits[1].coefs_[0])
    assert not np.array_equal(fits[0].coefs_[0], fits[2].coefs_[0])


def test_tolerance():
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    clf = MLPClassifier(tol=0.5, max_iter=3000, solver="sgd").fit(X, y)
    assert clf.max_iter > clf.n_iter_


def test_verbose_sgd(capsys):
    X, y = X_digits_binary[:10], y_digits_binary[:10]
    clf = MLPClassifier(solver="sgd", max_iter=2, verbose=10, hidden_layer_sizes=2)
    _quiet(clf, X, y)
    clf.partial_fit(X, y)
    assert capsys.readouterr().out.count("Iteration") == 3


def test_early_stopping_sgd():
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 0.2
    with pytest.warns(UserWarning, match="holds out 10 rows"):
        clf = MLPClassifier(tol=tol, max_iter=3000, solver="sgd", early_stopping=True).fit(X, y)
    assert clf.max_iter > clf.n_iter_
    scores = clf.validation_scores_
    assert max(scores) == clf.best_validation_score_
    assert clf.best_validation_score_ + tol > scores[-2]
    assert clf.best_validation_score_ + tol > scores[-1]
    clf = MLPClassifier(tol=tol, max_iter=3000, solver="sgd").fit(X, y)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.best_loss_ is not None


def test_adaptive_learning_rate():
    X, y = [[3, 2], [1, 6]], [1, 0]
    clf = MLPClassifier(tol=0.5, max_iter=3000, solver="sgd", learning_rate="adaptive")
    clf.fit(X, y)
    assert clf.max_iter > clf.n_iter_
    assert clf._minibatches.rule.learning_rate < 1e-6


@pytest.mark.parametrize("n_iter_no_change", [2, 5, 10, 50])
def test_n_iter_no_change_stochastic(n_iter_no_change):
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 0.01
    clf = MLPClassifier(tol=tol, max_iter=3000, solver="sgd",
                        n_iter_no_change=n_iter_no_change).fit(X, y)
    assert clf.max_iter > clf.n_iter_
    curve = np.array(clf.loss_curve_)
    best_before = [curve[:i].min() for i in range(1, len(curve))]
    improved = curve[1:] < np.array(best_before) - tol
    # The last n_iter_no_change + 1 epochs improved on the best by less than tol.
    assert not improved[-(n_iter_no_change + 1):].any()
    assert len(curve) == n_iter_no_change + 2 or improved[-(n_iter_no_change + 2)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_param_dtypes(dtype, solver):
    X, y = X_digits_binary.astype(dtype), y_digits_binary
    mlp = _quiet(MLPClassifier(solver=solver, max_iter=5), X, y)
    assert all(c.dtype == dtype for c in mlp.coefs_ + mlp.intercepts_)


def test_stochastic_float32_and_float64_agree():
    X, y = X_digits_multi, y_digits_multi
    fits = [_quiet(MLPClassifier(max_iter=20, random_state=0), X.astype(dtype), y)
            for dtype in (np.float64, np.float32)]
    np.testing.assert_allclose(fits[0].predict_proba(X), fits[1].predict_proba(X), atol=1e-3)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_sparse_and_weights(solver):
    from scipy import sparse

    X, y = X_digits_multi, y_digits_multi
    dense = _quiet(MLPClassifier(solver=solver, max_iter=10, random_state=0), X, y)
    on_sparse = _quiet(MLPClassifier(solver=solver, max_iter=10, random_state=0),
                       sparse.csr_matrix(X), y)
    np.testing.assert_allclose(on_sparse.coefs_[0], dense.coefs_[0], rtol=1e-7, atol=1e-10)
    # integer weights act as repeated rows in the cost; the classes' weights multiply in
    weighted = _quiet(MLPClassifier(solver=solver, max_iter=10, random_state=0,
                                    learning_rate_init=0.05, class_weight="balanced"),
                      X, y, sample_weight=np.ones(len(y)))
    assert weighted.score(X, y) > 0.9


def test_early_stopping_is_ignored_by_lbfgs_as_mlpclassifier_does():
    X, y = X_digits_binary[:60], y_digits_binary[:60]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no small-validation warning
        clf = _quiet(MLPClassifier(solver="lbfgs", early_stopping=True, random_state=0), X, y)
    assert clf.validation_scores_ is None and clf.n_iter_ > 10


def test_a_validation_set_too_small_to_rank_iterations_is_named():
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    with pytest.warns(UserWarning, match=r"holds out 10 rows .* early_stopping=False"):
        _quiet(BackpropMLPClassifier(early_stopping=True, max_iter=5), X, y)


def test_stochastic_solvers_refuse_a_cluster_with_the_way_out():
    from sknn_digits._dask import DistributedObjective
    from sknn_digits._training import Settings

    with pytest.raises(ValueError, match="stochastic solvers .* partial_fit over the chunks"):
        DistributedObjective.refuse(Settings(solver="adam"))


def _streamed(X, y, chunks, passes, classes):
    model = MLPClassifier(random_state=0)
    for _ in range(passes):
        for X_chunk, y_chunk in chunks():
            model.partial_fit(X_chunk, y_chunk, classes=classes)
    return model


def test_partial_fit_over_a_memory_mapped_file_is_as_good_as_a_fit_in_memory(tmp_path):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = X[:1300] / 16, X[1300:] / 16, y[:1300], y[1300:]
    np.save(tmp_path / "X.npy", X_train)
    X_disk = np.load(tmp_path / "X.npy", mmap_mode="r")

    def chunks():
        for start in range(0, len(y_train), 250):
            yield np.asarray(X_disk[start:start + 250]), y_train[start:start + 250]

    streamed = _streamed(X_disk, y_train, chunks, 20, np.unique(y))
    in_memory = _quiet(MLPClassifier(random_state=0, max_iter=20), X_train, y_train)
    assert streamed.score(X_test, y_test) >= in_memory.score(X_test, y_test) - 0.02
    assert streamed.n_iter_ == 20 * 6 and streamed.t_ == 20 * 1300


def test_partial_fit_over_a_dask_arrays_blocks():
    da = pytest.importorskip("dask.array")
    X, y = load_digits(return_X_y=True)
    X_dask = da.from_array(X[:1300] / 16, chunks=(250, 64))
    y_dask = da.from_array(y[:1300], chunks=250)

    def chunks():
        for X_block, y_block in zip(X_dask.blocks, y_dask.blocks):
            yield X_block.compute(), y_block.compute()

    streamed = _streamed(X_dask, y_dask, chunks, 20, np.unique(y))
    in_memory = _quiet(MLPClassifier(random_state=0, max_iter=20), X[:1300] / 16, y[:1300])
    assert streamed.score(X[1300:] / 16, y[1300:]) >= in_memory.score(X[1300:] / 16,
                                                                       y[1300:]) - 0.02


def test_a_partial_fit_that_raises_leaves_the_solver_state_as_it_was(monkeypatch):
    from sknn_digits.core import Network

    mlp = MLPClassifier(hidden_layer_sizes=5, batch_size=50, random_state=0)
    mlp.partial_fit(X_iris, y_iris, classes=np.unique(y_iris))
    before = [a.copy() for a in (mlp._minibatches.rule.first_moment,
                                 mlp._minibatches.rule.second_moment, *mlp.coefs_)]
    steps = mlp._minibatches.rule.n_steps
    evaluate, calls = Network.loss_gradient, []

    def fails_on_the_third_minibatch(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("out of memory mid-epoch")
        return evaluate(self, *args, **kwargs)

    monkeypatch.setattr(Network, "loss_gradient", fails_on_the_third_minibatch)
    with pytest.raises(MemoryError):
        mlp.partial_fit(X_iris, y_iris)
    after = (mlp._minibatches.rule.first_moment, mlp._minibatches.rule.second_moment,
             *mlp.coefs_)
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)
    assert mlp._minibatches.rule.n_steps == steps and mlp.n_iter_ == 1
