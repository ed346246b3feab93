"""Tests of sknn_digits._threads: how many BLAS threads a fit gets, set and put back."""

import threading
import time

import numpy as np
import pytest

from sknn_digits import BackpropMLPClassifier, _threads
from sknn_digits._observers import Observer, observing
from sknn_digits._threads import PARALLEL_FLOPS

#: A problem above PARALLEL_FLOPS per evaluation: it gets the limit in force.
BIG = ((784, 300, 10), int(PARALLEL_FLOPS) // 700_000 + 1)


def _blas_threads():
    """Threads of numpy's BLAS and of every other BLAS library loaded."""
    from threadpoolctl import threadpool_info

    libraries = [i for i in threadpool_info() if i["user_api"] == "blas"]
    numpy_blas = [i for i in libraries if "numpy" in i["filepath"]] or libraries
    others = [i for i in libraries if i not in numpy_blas]
    return (max(i["num_threads"] for i in numpy_blas),
            max((i["num_threads"] for i in others), default=None))


class _Threads(Observer):
    """Records the BLAS threads in force at the start and after every iteration."""

    def __init__(self):
        self.seen = []

    def start(self, params, loss):
        self.seen.append(_blas_threads())

    def step(self, step):
        self.seen.append(_blas_threads())


def _threads_seen_by_evaluations(X, y, **params):
    before = _blas_threads()
    with observing(_Threads()) as record:
        BackpropMLPClassifier(max_iter=2, random_state=0, **params).fit(X, y)
    # numpy's BLAS and scipy's (the compiled kernel's and the solver's) alike
    assert all(numpy_threads == other or other is None for numpy_threads, other in record.seen)
    assert _blas_threads() == before  # restored
    return {numpy_threads for numpy_threads, _ in record.seen}


def test_blas_threads_follow_problem_size_and_outer_limits():
    from threadpoolctl import threadpool_limits

    available = _blas_threads()[0]
    rng = np.random.default_rng(0)
    small_X, small_y = rng.random((100, 8)), rng.integers(0, 3, 100)
    big_X, big_y = rng.random((4000, 400)), rng.integers(0, 10, 4000)
    assert _threads_seen_by_evaluations(small_X, small_y) == {1}
    assert _threads_seen_by_evaluations(big_X, big_y, hidden_layer_sizes=30) == {
        available}
    assert _threads_seen_by_evaluations(big_X, big_y, n_threads=1) == {1}
    # Inside a parallel grid search's worker the limit in force is kept.
    with threadpool_limits(1, "blas"):
        assert _threads_seen_by_evaluations(
            big_X, big_y, hidden_layer_sizes=30, n_threads=8) == {1}


def test_fits_in_threads_restore_blas_limits_and_match_sequential_fits(small_digits):
    from concurrent.futures import ThreadPoolExecutor

    X, y = small_digits
    before = _blas_threads()
    settings = [{"hidden_layer_sizes": h, "random_state": s} for h in (10, 20) for s in (0, 1)]

    def fit(params):
        return BackpropMLPClassifier(max_iter=60, **params).fit(X, y).thetas_

    sequential = [fit(p) for p in settings]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(fit, settings * 3))
    assert _blas_threads() == before
    # Fits that shared a buffer would be far apart. Concurrent BLAS calls may round
    # differently, by kernel: bit for bit on numpy 2's Haswell kernels, 1.5e-9
    # relative on its Prescott ones, 1e-6 on the OpenBLAS that numpy 1.26 bundles.
    for got, expected in zip(threaded, sequential * 3):
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=0)


def test_threaded_fits_under_joblib_leave_every_limit_as_it_was(digits):
    from joblib import Parallel, delayed

    X, y = digits[0][:900], digits[1][:900]
    before = _blas_threads()

    def fit(seed):
        return BackpropMLPClassifier(max_iter=30, random_state=seed).fit(X, y).loss_

    for _ in range(3):
        Parallel(n_jobs=2, backend="threading")(delayed(fit)(s) for s in range(6))
        assert _blas_threads() == before
    fit(0)  # a fit in the main thread (a search's refit), then threads again
    Parallel(n_jobs=2, backend="threading")(delayed(fit)(s) for s in range(6))
    assert _blas_threads() == before


def _run_interleaved(order):
    """Two fits' thread settings entered and left in ``order`` (e.g. "ABab": A in, B in,
    A out, B out), each in its own thread; returns the numpy threads each fit got."""
    events = {step: threading.Event() for step in order}
    got = {}

    def fit(name):
        mine = [s for s in order if s.lower() == name.lower()]
        events[mine[0]].wait()
        with _threads.blas_threads(None, *BIG) as threads:
            got[name] = (threads, _blas_threads()[0])
            _next(mine[0])
            events[mine[1]].wait()
        _next(mine[1])

    def _next(step):
        position = order.index(step)
        if position + 1 < len(order):
            events[order[position + 1]].set()

    workers = [threading.Thread(target=fit, args=(name,)) for name in "AB"]
    for worker in workers:
        worker.start()
    events[order[0]].set()
    for worker in workers:
        worker.join(timeout=30)
    return got


@pytest.mark.parametrize("order", ["ABab", "ABba", "AaBb"])
def test_no_interleaving_of_two_fits_leaves_a_limit_changed(order):
    from threadpoolctl import threadpool_limits

    before = _blas_threads()
    for _ in range(2):
        got = _run_interleaved(order)
        assert _blas_threads() == before
        # Each fit runs under the limit it reports.
        assert all(threads == seen for threads, seen in got.values())
        # The main thread sets a limit last: threads can still set theirs afterwards.
        with threadpool_limits(before[0], "blas"):
            pass


def test_a_small_fit_in_a_thread_runs_on_one_blas_thread_after_the_main_thread_set_limits(
        small_digits):
    """OpenBLAS's limit is process-wide: the thread that set it last held it, and a fit in
    another thread once ran with the solver on every thread."""
    from threadpoolctl import threadpool_limits

    X, y = small_digits
    BackpropMLPClassifier(max_iter=3, random_state=0).fit(X, y)  # the main thread sets
    with threadpool_limits(2, "blas"):  # and sets a limit last
        pass
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_threads_seen_by_evaluations(X, y)))
    worker.start()
    worker.join(timeout=60)
    assert seen == [{1}]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_fit_in_a_forked_child_runs_and_leaves_the_limits_alone(small_digits):
    """The limits are changed by a thread of the module's own, which a forked child does not
    have: a child's fit waited on it for ever."""
    import os

    X, y = small_digits
    BackpropMLPClassifier(max_iter=3, random_state=0).fit(X, y)  # the parent's setter exists
    pid = os.fork()
    if pid == 0:  # the child: fit, then leave at once with the verdict as exit status
        code = 1
        try:
            before = _blas_threads()
            BackpropMLPClassifier(max_iter=3, random_state=0).fit(X, y)
            code = 0 if _blas_threads() == before else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the child's fit did not finish")
    assert os.waitstatus_to_exitcode(status) == 0
