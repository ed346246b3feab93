"""Tests of sknn_digits.workflow: the command line's work, in memory and on a cluster."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sknn_digits import BackpropMLPClassifier
from sknn_digits.workflow import (
    accuracy,
    default_pipeline,
    grid_search,
    holdout,
    spread,
    train_pipeline,
)


@pytest.fixture(scope="module")
def raw_digits():
    return load_digits(return_X_y=True)


def test_holdout_in_memory_is_stratified(raw_digits):
    X, y = raw_digits
    _X_train, X_test, _y_train, y_test = holdout(X, y, 0.2, random_state=0)
    assert len(X_test) == len(y_test) == int(np.ceil(0.2 * len(y)))
    np.testing.assert_allclose(np.bincount(y_test) / len(y_test), np.bincount(y) / len(y),
                               atol=0.01)


def test_grid_search_in_memory_matches_grid_search_cv(raw_digits):
    X, y = raw_digits[0][:600], raw_digits[1][:600]
    classifier = BackpropMLPClassifier(max_iter=30, random_state=0)
    rows = grid_search(classifier, X, y, [3.0, 0.1], [(8,), (4, 4)], cv=3, random_state=0)
    assert [(r.alpha, r.hidden_layer_sizes) for r in rows] == [
        (3.0, (8,)), (3.0, (4, 4)), (0.1, (8,)), (0.1, (4, 4))]
    search = GridSearchCV(default_pipeline(classifier),
                          {"backpropmlpclassifier__alpha": [3.0, 0.1],
                           "backpropmlpclassifier__hidden_layer_sizes": [(8,), (4, 4)]},
                          cv=StratifiedKFold(3, shuffle=True, random_state=0)).fit(X, y)
    expected = dict(zip(((p["backpropmlpclassifier__alpha"],
                          p["backpropmlpclassifier__hidden_layer_sizes"])
                         for p in search.cv_results_["params"]),
                        search.cv_results_["mean_test_score"]))
    for row in rows:
        assert row.mean == expected[(row.alpha, row.hidden_layer_sizes)]


def test_on_a_cluster_the_same_work_gives_an_ordinary_pipeline(raw_digits, cluster_client):
    X, y = raw_digits
    X_lazy, y_lazy = spread(X, y, cluster_client)
    assert len(X_lazy.chunks[0]) == 8  # four chunks per worker
    X_train, X_test, y_train, y_test = holdout(X_lazy, y_lazy, 0.25, random_state=0)
    assert X_train.shape[0] + X_test.shape[0] == len(y)
    model = train_pipeline(BackpropMLPClassifier(max_iter=50, random_state=0), X_train, y_train)
    assert [name for name, _ in model.steps] == ["minmaxscaler", "backpropmlpclassifier"]
    # The scaler's range was read on the workers: the training rows' own range.
    np.testing.assert_array_equal(model[0].data_max_, np.asarray(X_train.max(axis=0)))
    on_workers = accuracy(model, X_test, y_test)
    assert isinstance(on_workers, float) and on_workers > 0.85
    assert on_workers == accuracy(model, np.asarray(X_test), np.asarray(y_test))


def test_grid_search_on_chunks_uses_whole_chunks_as_folds(raw_digits, cluster_client):
    import dask.array as da

    X, y = raw_digits
    X_lazy, y_lazy = da.from_array(X, chunks=(300, -1)), da.from_array(y, chunks=300)
    with pytest.raises(ValueError, match="cv=7 needs at least 7 chunks; the data has 6"):
        grid_search(BackpropMLPClassifier(), X_lazy, y_lazy, [1.0], [(8,)], cv=7)
    rows = grid_search(BackpropMLPClassifier(max_iter=20, random_state=0), X_lazy, y_lazy,
                       [1.0], [(8,)], cv=3)
    assert len(rows) == 1 and 0.5 < rows[0].mean <= 1 and rows[0].std >= 0


def test_grid_search_reports_progress_with_the_best_so_far(raw_digits):
    X, y = raw_digits[0][:300], raw_digits[1][:300]
    seen = []
    rows = grid_search(BackpropMLPClassifier(max_iter=10, random_state=0), X, y, [1.0, 3.0],
                       [(5,)], cv=2, random_state=0, progress=lambda *a: seen.append(a))
    assert [(done, total) for done, total, _ in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert seen[0][2] is None  # no candidate has all its folds yet
    assert seen[-1][2] == max(rows, key=lambda row: row.mean)


@pytest.mark.slow
def test_a_listener_that_never_speaks_is_refused_within_the_timeout():
    import socket
    import time

    from sknn_digits.workflow import connect

    pytest.importorskip("distributed")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel accepts connections; nothing ever answers
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        start = time.monotonic()
        with (pytest.raises(ValueError, match=f"cannot reach the Dask scheduler at {address}"),
              connect(address, timeout=2)):
            pass
        assert time.monotonic() - start < 15


@pytest.mark.slow
def test_losing_every_worker_mid_fit_is_one_clear_error():
    import os
    import signal

    distributed = pytest.importorskip("distributed")
    from sknn_digits._training import Observer, observing

    X, y = load_digits(return_X_y=True)
    with (distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=":0",
                                   silence_logs=50) as cluster,
          distributed.Client(cluster) as client):
        X_dask, y_dask = spread(X, y, client)
        pids = list(client.run(os.getpid).values())

        class KillWorkers(Observer):
            def step(self, step):
                if step.n_iter == 2:  # every worker process dies, and the chunks with them
                    for pid in pids:
                        os.kill(pid, signal.SIGKILL)
                return False

        with observing(KillWorkers()), pytest.raises(ConnectionError,
                                                     match="lost the fit's data mid-fit"):
            BackpropMLPClassifier(max_iter=50).fit(X_dask, y_dask)


def _drawn_variations():
    import sys
    from pathlib import Path

    pytest.importorskip("PIL")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    from drawn_variations import drawings

    return drawings()


def _read_share(reader, layout):
    from collections import defaultdict

    from sklearn.pipeline import make_pipeline

    from sknn_digits.preprocessing import DigitImageTransformer

    drawn = _drawn_variations()
    predicted = make_pipeline(DigitImageTransformer(layout=layout), reader).predict(
        [np.asarray(image) for *_, image in drawn])
    right = defaultdict(list)
    for (_, variation, digit, _), guess in zip(drawn, predicted):
        right[variation].append(guess == digit)
    return np.mean(predicted == [digit for _, _, digit, _ in drawn]), {
        variation: np.mean(hits) for variation, hits in right.items()}


@pytest.mark.slow
def test_the_default_reader_reads_digits_as_people_draw_them():
    """At least 95 % of 140 drawings: two hands, thin to thick pens, small, large, slanted."""
    from sknn_digits.workflow import default_reader

    share, per_variation = _read_share(default_reader(), "digits")
    assert share >= 0.95, per_variation
    assert min(per_variation.values()) >= 0.85, per_variation


def test_the_course_weights_read_the_same_drawings(course_weights_file):
    from sknn_digits.datasets import load_ex4_model

    share, per_variation = _read_share(load_ex4_model(course_weights_file), "ex4")
    assert share >= 0.9, per_variation


def test_holdout_keeps_back_the_same_rows_in_memory_and_on_a_cluster(raw_digits,
                                                                      cluster_client):
    """`train --scheduler local` held out its own 440 random rows while `evaluate` scored
    the in-memory split, 348 of whose rows the cluster model had trained on."""
    X, y = raw_digits
    rows = np.arange(len(y), dtype=float)[:, None]  # each row knows its number
    X_marked = np.hstack([rows, X])
    in_memory = holdout(X_marked, y, 0.25, random_state=3)
    on_cluster = holdout(*spread(X_marked, y, cluster_client), 0.25, random_state=3)
    for here, there in zip(in_memory, on_cluster):
        np.testing.assert_array_equal(here, np.asarray(there))
    assert len(in_memory[1]) == int(np.ceil(0.25 * len(y)))
    assert not set(in_memory[0][:, 0]) & set(in_memory[1][:, 0])
