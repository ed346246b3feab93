"""Fitting and predicting on arrays of any array-API namespace (scikit-learn's array_api_dispatch).

The network's cost, gradient and Hessian products run in the input's
namespace, on its device, in its dtype; the solver runs on the host.  These
tests run on the CPU: array-api-strict (its CPU device, and the simulated
``device1``) and torch when installed.
"""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_digits
from sklearn.utils._array_api import yield_namespace_device_dtype_combinations
from sklearn.utils.estimator_checks import check_array_api_input

from sknn_digits import BackpropMLPClassifier

try:  # scikit-learn's array API dispatch: built in from 1.7, the package before
    import sklearn.externals.array_api_compat
except ImportError:
    pytest.importorskip("array_api_compat", reason="scikit-learn before 1.7 needs the "
                        "array-api-compat package for array API dispatch")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

COMBINATIONS = [combination for combination in yield_namespace_device_dtype_combinations()
                if combination[0] == "array_api_strict"
                or (combination[0] == "torch" and combination[1] == "cpu")]


@pytest.mark.parametrize("namespace, device, dtype", COMBINATIONS,
                         ids=[f"{n}-{d}-{t}" for n, d, t in COMBINATIONS])
def test_scikit_learns_array_api_check_with_values(namespace, device, dtype):
    pytest.importorskip(namespace)
    check_array_api_input("BackpropMLPClassifier",
                          BackpropMLPClassifier(hidden_layer_sizes=5, max_iter=30),
                          array_namespace=namespace, device_name=device, dtype_name=dtype,
                          check_values=True)


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16, y[:600]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _fit(X, y, **params):
    return BackpropMLPClassifier(hidden_layer_sizes=12, random_state=0, **params).fit(X, y)


def test_a_torch_float64_fit_equals_the_numpy_fit(data, torch):
    # 60 L-BFGS-B iterations: the two fits' sums round differently, and over
    # hundreds of iterations any difference grows (3e-14 after 30, 7e-12 after
    # 60, 1e-3 apart after 450 here), as between two BLAS libraries.
    X, y = data
    expected = _fit(X, y, max_iter=60)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(torch.asarray(X), torch.asarray(y), max_iter=60)
        proba = fitted.predict_proba(torch.asarray(X))
    assert fitted.n_iter_ == expected.n_iter_
    scale = max(float(np.abs(theta).max()) for theta in expected.thetas_)
    for got, want in zip(fitted.coefs_ + fitted.intercepts_ + fitted.thetas_,
                         expected.coefs_ + expected.intercepts_ + expected.thetas_):
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-8, atol=1e-8 * scale)
    assert isinstance(proba, torch.Tensor) and proba.device == torch.asarray(X).device
    np.testing.assert_allclose(proba.numpy(), expected.predict_proba(X), rtol=1e-8, atol=1e-12)
    assert fitted.loss_ == pytest.approx(expected.loss_, rel=1e-10)


def test_float32_stays_float32_and_labels_come_back_as_tensors(data, torch):
    X, y = data
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(torch.asarray(X, dtype=torch.float32), torch.asarray(y), max_iter=40)
        X32 = torch.asarray(X, dtype=torch.float32)
        predicted, proba = fitted.predict(X32), fitted.predict_proba(X32)
        log_proba = fitted.predict_log_proba(X32)
        score = fitted.score(X32, torch.asarray(y))
    assert all(W.dtype == torch.float32 for W in fitted.coefs_)
    assert proba.dtype == log_proba.dtype == torch.float32
    assert isinstance(predicted, torch.Tensor) and isinstance(fitted.classes_, torch.Tensor)
    assert isinstance(score, float) and score > 0.9


@pytest.mark.parametrize("solver", ["Newton-CG", "trust-ncg"])
def test_hessian_products_run_in_the_namespace(data, torch, solver):
    X, y = data
    expected = _fit(X, y, solver=solver, max_iter=8)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = _fit(torch.asarray(X), torch.asarray(y), solver=solver, max_iter=8)
    np.testing.assert_allclose(fitted.coefs_[0].numpy(), expected.coefs_[0], rtol=1e-7,
                               atol=1e-9)


def test_weights_early_stopping_and_warm_start(data, torch):
    X, y = data
    weights = np.random.default_rng(0).integers(0, 3, len(y)).astype(float)
    params = {"max_iter": 40, "class_weight": "balanced"}
    expected = _fit(X, y, **params, early_stopping=True)
    expected_weighted = _fit(X, y, **params).fit(X, y, sample_weight=weights)
    with sklearn.config_context(array_api_dispatch=True):
        Xt, yt = torch.asarray(X), torch.asarray(y)
        stopped = _fit(Xt, yt, **params, early_stopping=True)
        weighted = _fit(Xt, yt, **params).fit(Xt, yt, sample_weight=torch.asarray(weights))
        warm = _fit(Xt, yt, max_iter=5, warm_start=True)
        first = [W.clone() for W in warm.coefs_]
        warm.fit(Xt, yt)
    assert stopped.validation_scores_ == pytest.approx(expected.validation_scores_)
    np.testing.assert_allclose(weighted.coefs_[0].numpy(), expected_weighted.coefs_[0],
                               rtol=1e-6, atol=1e-9)
    assert len(warm.loss_curve_) == 10 and not torch.equal(warm.coefs_[0], first[0])


def test_what_cannot_work_is_refused_clearly(torch):
    X = torch.eye(4, 3, dtype=torch.float64)
    y = torch.asarray([0, 1, 0, 1])
    with (sklearn.config_context(array_api_dispatch=True),
          pytest.raises(TypeError, match="Sparse X of the .*torch namespace")):
        BackpropMLPClassifier().fit(X.to_sparse(), y)
    da = pytest.importorskip("dask.array")
    on_device = da.from_array(np.eye(4, 3), chunks=2).map_blocks(
        torch.asarray, meta=torch.empty((0, 3), dtype=torch.float64))
    with pytest.raises(TypeError, match="Dask arrays of torch chunks are not supported"):
        BackpropMLPClassifier().fit(on_device, np.array([0, 1, 0, 1]))


@pytest.mark.slow
def test_array_api_dispatch_without_scipy_support_says_so():
    import subprocess
    import sys

    code = ("import sklearn, numpy as np\n"
            "from sknn_digits import BackpropMLPClassifier\n"
            "with sklearn.config_context(array_api_dispatch=True):\n"
            "    BackpropMLPClassifier().fit(np.eye(4, 2), [0, 1, 0, 1])\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != "SCIPY_ARRAY_API"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode != 0 and "SCIPY_ARRAY_API=1" in result.stderr


def test_fit_callbacks_score_each_iteration_on_the_device(data, torch):
    callback = pytest.importorskip("sklearn.callback")  # scikit-learn 1.9 and later
    X, y = data
    monitor = callback.ScoringMonitor(scoring="accuracy")
    with sklearn.config_context(array_api_dispatch=True):
        Xt, yt = torch.asarray(X), torch.asarray(y)
        fitted = _fit(Xt, yt, max_iter=6).set_callbacks(monitor).fit(Xt, yt)
        final = fitted.score(Xt, yt)
    iterations = [row for row in monitor.get_logs().data if row["task_name"] == "iteration"]
    assert len(iterations) == 6 and iterations[-1]["accuracy"] == pytest.approx(final)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_stochastic_solvers_fit_in_another_namespace_as_on_numpy(data, solver, dtype):
    """Minibatches of an array-API array go through the network's generic path, rows taken
    with the namespace's own ``take``; the fit follows the numpy one."""
    xp = pytest.importorskip("array_api_strict")
    from sknn_digits import MLPClassifier

    X, y = data
    params = {"solver": solver, "hidden_layer_sizes": 12, "max_iter": 5, "random_state": 0,
              "learning_rate_init": 0.01}
    on_numpy = MLPClassifier(**params).fit(X.astype(dtype), y)
    with sklearn.config_context(array_api_dispatch=True):
        X_xp = xp.asarray(X, dtype=getattr(xp, dtype))
        on_xp = MLPClassifier(**params).fit(X_xp, xp.asarray(y))
        proba = on_xp.predict_proba(X_xp)
        assert type(proba).__module__.startswith("array_api_strict")
        on_xp.partial_fit(X_xp, xp.asarray(y))
    tolerance = 1e-9 if dtype == "float64" else 1e-3
    np.testing.assert_allclose(np.asarray(proba), on_numpy.predict_proba(X.astype(dtype)),
                               atol=tolerance)
