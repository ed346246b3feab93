"""A grid search on a Dask cluster (processes on this machine, loopback only)."""


import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sknn_digits import BackpropMLPClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40) as cluster:
        with Client(cluster) as client:
            yield client


def _search(small_digits, **fit_context):
    X, y = small_digits
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
