"""Fits on a Dask cluster (processes on this machine, loopback only): grid searches
through joblib, and data-parallel fits of dask arrays."""


import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sknn_digits import BackpropMLPClassifier

# A LocalCluster of worker processes.
pytestmark = pytest.mark.slow

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client(cluster_client):
    return cluster_client


def _search(small_digits, **fit_context):
    _X, _y = small_digits
    return GridSearchCV(
        BackpropMLPClassifier(max_iter=40, random_state=0),
        {"alpha": [0.1, 1.0], "hidden_layer_sizes": [8, 16]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        **fit_context,
    )


def test_grid_search_on_dask_equals_the_serial_run(client, small_digits):
    X, y = small_digits
    serial = _search(small_digits, n_jobs=1).fit(X, y)
    with joblib.parallel_backend("dask"):
        on_dask = _search(small_digits, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])
    assert on_dask.best_params_ == serial.best_params_
    for a, b in zip(on_dask.best_estimator_.thetas_, serial.best_estimator_.thetas_):
        np.testing.assert_array_equal(a, b)
    # The work really went to the workers.
    assert len(client.scheduler_info()["workers"]) == 2


def test_workers_keep_blas_to_one_thread_each(client):
    # Two single-threaded workers on two cores: each fit inside keeps to the
    # BLAS limit its worker starts with, so workers x threads never exceeds cores.
    def blas_threads():
        from threadpoolctl import threadpool_info

        return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"),
                   default=1)

    assert set(client.run(blas_threads).values()) == {1}


# ---------------------------------------------------------------- data-parallel fits
# fit on dask arrays: each evaluation is a map over the row chunks held by the
# workers and a tree sum, so with float64 data it must give the in-memory
# fit's weights up to the order of the sums.

da = pytest.importorskip("dask.array")


def _relative(a, b):
    return max(float(np.abs(x - y).max() / np.abs(y).max()) for x, y in zip(a, b))


def _both(X, y, chunks=70, fit_params=None, **params):
    params = {"hidden_layer_sizes": 12, "max_iter": 40, "random_state": 0, **params}
    fit_params = fit_params or {}
    in_memory = BackpropMLPClassifier(**params).fit(X, y, **fit_params)
    lazy = {k: da.from_array(np.asarray(v), chunks=chunks) for k, v in fit_params.items()}
    on_dask = BackpropMLPClassifier(**params).fit(
        da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=chunks), **lazy)
    return in_memory, on_dask


def _same_fit(in_memory, on_dask, rtol=1e-8):
    """The fits agree to the rounding of their sums, amplified along the solver's path
    (the largest seen, 1.06e-9; see test_dask_fit_equals_the_in_memory_fit)."""
    assert on_dask.n_iter_ == in_memory.n_iter_
    assert _relative(on_dask.coefs_ + on_dask.intercepts_,
                     in_memory.coefs_ + in_memory.intercepts_) < rtol
    np.testing.assert_allclose(on_dask.loss_curve_, in_memory.loss_curve_, rtol=rtol)
    np.testing.assert_array_equal(on_dask.classes_, in_memory.classes_)


def test_dask_fit_equals_the_in_memory_fit(client, small_digits):
    X, y = small_digits
    in_memory, on_dask = _both(X / 16, y)
    # How far the order of the sums alone moves this path: the same in-memory
    # fit on the rows in another order. The chunked sums are one more order, and
    # both are draws of the same rounding amplified by 40 L-BFGS-B iterations:
    # CI saw the dask fit 1.06e-9 away in one run, and 3.7e-10 away in another
    # where the permuted fit was only 2.1e-11 away. So the bound is ten times the
    # larger of that spread and the largest seen: a chunk of 70 rows counted twice
    # moves the weights 0.26, one lost 0.67.
    rows = np.random.default_rng(0).permutation(len(y))
    reordered = BackpropMLPClassifier(**in_memory.get_params()).fit(X[rows] / 16, y[rows])
    order_noise = _relative(reordered.coefs_ + reordered.intercepts_,
                            in_memory.coefs_ + in_memory.intercepts_)
    _same_fit(in_memory, on_dask, rtol=10 * max(order_noise, 1.06e-9))


def test_one_evaluation_equals_the_in_memory_one(client, small_digits):
    from sknn_digits._dask import DistributedObjective
    from sknn_digits._training import Objective, Problem
    from sknn_digits.core import Network

    X, y = small_digits
    X = X / 16
    Y = np.eye(10)[y]
    weights = np.random.default_rng(2).random(len(y))
    rng = np.random.default_rng(3)
    params, vector = rng.normal(size=(2, 65 * 12 + 13 * 10))
    problem = Problem(Network((64, 12, 10)), X, Y, weights, alpha=0.7)
    chunked = problem._replace(X=da.from_array(X, chunks=(45, -1)),
                               Y=da.from_array(Y, chunks=(45, -1)),
                               sample_weight=da.from_array(weights, chunks=45))
    distributed_objective = DistributedObjective(chunked)
    J, grad = Objective(problem)(params)
    J_dask, grad_dask = distributed_objective(params)
    assert J_dask == pytest.approx(J, rel=1e-14)
    np.testing.assert_allclose(grad_dask, grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(distributed_objective.hessp(params, vector),
                               Objective(problem).hessp(params, vector),
                               rtol=1e-11, atol=1e-14)


def test_one_float32_evaluation_equals_the_in_memory_one(client, small_digits):
    from sknn_digits._dask import DistributedObjective
    from sknn_digits._training import Objective, Problem
    from sknn_digits.core import Network

    X, y = small_digits
    X = (X / 16).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[y]
    params = np.random.default_rng(3).normal(size=65 * 12 + 13 * 10)
    problem = Problem(Network((64, 12, 10)), X, Y, None, alpha=0.7)
    chunked = problem._replace(X=da.from_array(X, chunks=(45, -1)),
                               Y=da.from_array(Y, chunks=(45, -1)))
    J, grad = Objective(problem)(params)
    J_dask, grad_dask = DistributedObjective(chunked)(params)
    # Each evaluates in float32 (eps 1.2e-7), summing in its own order.
    assert J_dask == pytest.approx(J, rel=1e-6)
    np.testing.assert_allclose(grad_dask, grad, rtol=0, atol=1e-5 * np.abs(grad).max())


@pytest.mark.parametrize("solver", ["Newton-CG", "trust-ncg"])
def test_hessian_products_are_distributed_too(client, small_digits, solver):
    X, y = small_digits
    _same_fit(*_both(X / 16, y, max_iter=5, solver=solver))


def test_sample_and_class_weights(client, small_digits):
    X, y = small_digits
    weights = np.random.default_rng(1).integers(0, 4, len(y)).astype(float)
    _same_fit(*_both(X / 16, y, fit_params={"sample_weight": weights}))
    _same_fit(*_both(X / 16, y, class_weight="balanced"))
    _same_fit(*_both(X / 16, y, class_weight={0: 3.0, 7: 0.5}, output_activation="softmax"))


def test_labels_of_any_type_and_multilabel(client, small_digits):
    X, y = small_digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"], dtype=object)
    in_memory, on_dask = _both(X / 16, names[y].astype(str))
    _same_fit(in_memory, on_dask)
    Y = np.stack([y % 2, y > 4, y == 0], axis=1).astype(int)
    in_memory, on_dask = _both(X / 16, Y)
    # Each evaluation agrees to about 1e-16 (test_one_evaluation_...); along
    # 40 L-BFGS-B iterations this problem's path amplifies that to 2.9e-9.
    _same_fit(in_memory, on_dask)
    np.testing.assert_array_equal(on_dask.predict(da.from_array(X / 16, chunks=(50, -1)))
                                  .compute(), in_memory.predict(X / 16))


def test_workers_whose_blas_needs_aligned_arrays_fit_alike(small_digits, monkeypatch):
    # CI lost every worker to segmentation faults: arrays unpickled on a worker (the
    # scattered parameters, chunks sliced from the client's array) lie at any byte
    # offset, and OpenBLAS's Prescott kernels, which it picks on a CPU it does not
    # recognise, crash on such a vector. Forced on the workers here (x86-64; other
    # machines ignore the setting).
    from distributed import Client, LocalCluster

    X, y = small_digits
    # In the environment the worker processes start with (a nanny's env= and dask's
    # pre-spawn-environ do not replace a value the environment already has).
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")
    with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0", silence_logs=40) as cluster, Client(cluster) as kernels:
        def kernel():
            import os

            return os.environ.get("OPENBLAS_CORETYPE")

        assert set(kernels.run(kernel).values()) == {"Prescott"}
        in_memory, on_dask = _both(X / 16, y, max_iter=10)
    _same_fit(in_memory, on_dask)


def test_float32_chunks_stay_float32(client, small_digits):
    X, y = small_digits
    in_memory, on_dask = _both((X / 16).astype(np.float32), y, max_iter=15)
    assert on_dask.coefs_[0].dtype == np.float32
    # float32 sums in another order differ by float32's rounding, and L-BFGS-B's
    # line searches amplify that along the directions the loss hardly sees: the
    # weights have ended from 5e-6 to 1.1e-3 apart (which, varies with the workers
    # holding the chunks), while the losses stayed within 2e-5 of each other. So
    # the fit is held to the in-memory one by its loss at every iteration, and one
    # evaluation is held to float32's precision in the test below.
    np.testing.assert_allclose(on_dask.loss_curve_, in_memory.loss_curve_, rtol=2e-4)
    np.testing.assert_allclose(on_dask.predict_proba(X / 16), in_memory.predict_proba(X / 16),
                               atol=2e-3)
    proba = on_dask.predict_proba(da.from_array((X / 16).astype(np.float32), chunks=(60, -1)))
    assert proba.dtype == np.float32 and proba.compute().dtype == np.float32


def test_warm_start_and_progress(client, small_digits, capsys):
    X, y = small_digits
    params = {"max_iter": 10, "warm_start": True}
    in_memory, on_dask = _both(X / 16, y, **params)
    in_memory.fit(X / 16, y)
    on_dask.set_params(verbose=1).fit(da.from_array(X / 16, chunks=(70, -1)), y)
    assert "Iteration 10, loss" in capsys.readouterr().out
    _same_fit(in_memory, on_dask)


def test_predictions_are_dask_arrays_computed_on_the_workers(client, small_digits):
    X, y = small_digits
    model = BackpropMLPClassifier(hidden_layer_sizes=12, max_iter=40, random_state=0)
    model.fit(X / 16, y)
    lazy = da.from_array(X / 16, chunks=(64, 16))  # chunked by columns too: rechunked
    for method in ("predict", "predict_proba", "predict_log_proba"):
        result = getattr(model, method)(lazy)
        assert isinstance(result, da.Array)
        np.testing.assert_array_equal(result.compute(), getattr(model, method)(X / 16))
    score = model.score(lazy, da.from_array(y, chunks=64))
    assert isinstance(score, da.Array) and float(score) == model.score(X / 16, y)


def test_dask_dataframes_are_accepted(client, small_digits):
    try:  # dask's DataFrames need pyarrow, and recent pyarrow needs numpy 2
        import pyarrow  # noqa: F401
    except ImportError as error:
        pytest.skip(f"dask DataFrames are not usable here: {error}")
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = small_digits
    frame = dd.from_pandas(pd.DataFrame(X / 16), npartitions=4)
    labels = dd.from_pandas(pd.Series(y), npartitions=4)
    model = BackpropMLPClassifier(hidden_layer_sizes=12, max_iter=40, random_state=0)
    reference = BackpropMLPClassifier(hidden_layer_sizes=12, max_iter=40, random_state=0)
    _same_fit(reference.fit(X / 16, y), model.fit(frame, labels))


def test_what_is_not_supported_is_refused_clearly(client, small_digits):
    from scipy import sparse

    X, y = small_digits
    lazy_X, lazy_y = da.from_array(X / 16, chunks=(100, -1)), da.from_array(y, chunks=100)
    with pytest.raises(ValueError, match="early_stopping needs a validation split"):
        BackpropMLPClassifier(early_stopping=True).fit(lazy_X, lazy_y)
    sparse_X = lazy_X.map_blocks(sparse.csr_matrix, meta=sparse.csr_matrix((0, 0)))
    with pytest.raises(TypeError, match="Sparse dask chunks are not supported"):
        BackpropMLPClassifier().fit(sparse_X, lazy_y)
    with pytest.raises(ValueError, match="300 samples but y has 299"):
        BackpropMLPClassifier().fit(lazy_X, lazy_y[:-1])
    with pytest.raises(ValueError, match="continuous"):
        BackpropMLPClassifier().fit(lazy_X, lazy_y + 0.5)
    with pytest.raises(ValueError, match="finite and non-negative"):
        BackpropMLPClassifier().fit(lazy_X, lazy_y, sample_weight=-np.ones(300))
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        BackpropMLPClassifier().fit(da.where(lazy_X == lazy_X.max(), np.inf, lazy_X), lazy_y)


def test_without_a_client_the_error_says_how_to_open_one(tmp_path):
    import subprocess
    import sys

    code = ("import dask.array as da, numpy as np\n"
            "from sknn_digits import BackpropMLPClassifier\n"
            "X = da.from_array(np.random.rand(20, 3), chunks=10)\n"
            "BackpropMLPClassifier().fit(X, np.arange(20) % 2)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 1
    assert "needs a dask.distributed Client: open one first" in result.stderr


def test_data_larger_than_a_worker_fits_across_the_cluster():
    # 1.15 GiB of float32 features, made on the workers; each worker may hold
    # 1 GiB, so X cannot be in one place, and the client never holds it.
    import dask
    from distributed import Client, LocalCluster

    rows, features = 394_000, 784
    memory = {"distributed.worker.memory.target": False, "distributed.worker.memory.spill": False,
              "distributed.worker.memory.pause": 0.95,
              "distributed.worker.memory.terminate": False}
    with dask.config.set(memory), LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0", silence_logs=40, memory_limit="1GiB") as cluster, \
            Client(cluster) as big:
        X = da.random.default_rng(0).random((rows, features), chunks=(20_000, -1),
                                            dtype=np.float32)
        y = (X[:, :10].sum(axis=1) > 5).astype(int)
        assert X.nbytes > 1.1 * 2**30 > 2**30
        model = BackpropMLPClassifier(hidden_layer_sizes=8, max_iter=3, random_state=0)
        model.fit(X, y)
        assert model.loss_curve_[-1] < model.loss_curve_[0]
        assert len(big.scheduler_info()["workers"]) == 2  # no worker was lost


def test_seeded_fits_on_the_same_chunks_are_identical(client, small_digits):
    """The chunks' terms are added in the data's order, not grouped by the worker that
    holds each chunk (which changes from run to run): three seeded fits of the same
    chunks agreed only to 2.9e-9, and stopped at different iterations."""
    X, y = small_digits
    fits = []
    for _ in range(3):  # fresh collections each time: the chunks land where they land
        fits.append(BackpropMLPClassifier(hidden_layer_sizes=12, max_iter=60, random_state=0)
                    .fit(da.from_array(X / 16, chunks=(90, -1)), da.from_array(y, chunks=90)))
    for other in fits[1:]:
        assert other.n_iter_ == fits[0].n_iter_
        for a, b in zip(other.coefs_ + other.intercepts_, fits[0].coefs_ + fits[0].intercepts_):
            np.testing.assert_array_equal(a, b)
