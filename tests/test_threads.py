"""Tests of sknn_digits._threads: how many BLAS threads a fit gets, set and restored safely."""

import os
import threading
import time

import numpy as np
import pytest

from sknn_digits import BackpropMLPClassifier, _threads
from sknn_digits._observers import Observer, observing
from sknn_digits._threads import PARALLEL_FLOPS, cores_busy_elsewhere, evaluation_threads


def test_threads_follow_size_and_the_cores_other_programs_leave_free():
    cores = os.cpu_count()
    sizes = (784, 300, 10)
    big, small = (sizes, int(PARALLEL_FLOPS) // 700_000 + 1), (sizes, 10)
    assert evaluation_threads(None, *small, busy_elsewhere=lambda: 0.0)(cores) == 1
    assert evaluation_threads(None, *big, busy_elsewhere=lambda: 0.0)(cores) == cores
    # Another program keeps a core busy: one thread fewer, never fewer than one.
    assert evaluation_threads(None, *big, busy_elsewhere=lambda: 1.0)(cores) == max(1, cores - 1)
    assert evaluation_threads(None, *big, busy_elsewhere=lambda: 64.0)(cores) == 1
    # The user's choice and the limit in force win.
    assert evaluation_threads(3, *big, busy_elsewhere=lambda: 64.0)(cores) == 3
    assert evaluation_threads(None, *big, busy_elsewhere=lambda: 0.0)(1) == 1


class _FakeMachine:
    """Readings a test controls: a clock, the machine's busy seconds and this process's."""

    def __init__(self, others, own):
        self.now, self.others, self.own_rate = 100.0, others, own

    def sleep(self, seconds):
        self.now += seconds

    def machine(self):
        return self.now * (self.others + self.own_rate)

    def own(self):
        return self.now * self.own_rate


@pytest.mark.parametrize("others, own", [(0.0, 0.0), (1.0, 0.0), (1.5, 1.0), (0.0, 2.0)])
def test_cores_busy_elsewhere_counts_other_programs_and_not_this_one(others, own):
    fake = _FakeMachine(others, own)
    busy = cores_busy_elsewhere(0.2, machine=fake.machine, own=fake.own,
                                clock=lambda: fake.now, sleep=fake.sleep)
    assert busy == pytest.approx(others)


def test_the_machines_busy_time_is_read_from_proc_stat_fields(tmp_path, monkeypatch):
    from sknn_digits._threads import machine_busy_seconds

    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
    stat.write_text("cpu  100 20 30 5000 70 1 2 3 0 0\ncpu0 1 2 3 4\n")
    monkeypatch.setattr(os, "sysconf", lambda name: 100)
    assert machine_busy_seconds(stat) == pytest.approx((100 + 20 + 30 + 1 + 2 + 3) / 100)


def test_an_unreadable_proc_stat_reads_as_no_load(tmp_path):
    def missing():
        raise OSError("no /proc/stat")

    assert cores_busy_elsewhere(0.01, machine=missing) == 0.0


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads /proc/stat (Linux)")
def test_the_real_reading_is_a_number_of_cores():
    busy = cores_busy_elsewhere(0.05)
    assert 0.0 <= busy <= (os.cpu_count() or 1) + 0.5


def _blas_threads():
    """Threads of numpy's BLAS and of every other BLAS library loaded."""
    from threadpoolctl import threadpool_info

    libraries = [i for i in threadpool_info() if i["user_api"] == "blas"]
    numpy_blas = [i for i in libraries if "numpy" in i["filepath"]] or libraries
    others = [i for i in libraries if i not in numpy_blas]
    return (max(i["num_threads"] for i in numpy_blas),
            max((i["num_threads"] for i in others), default=1))


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
    assert all(solver == 1 for _, solver in record.seen)  # the solver's BLAS: one thread
    assert _blas_threads() == before  # restored
    return {numpy_threads for numpy_threads, _ in record.seen}


def test_blas_threads_follow_problem_size_and_outer_limits(monkeypatch):
    from threadpoolctl import threadpool_limits

    # A quiet machine, whatever else runs beside the tests: the choice under
    # load is tested above.
    monkeypatch.setattr(_threads, "cores_busy_elsewhere", lambda: 0.0)
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
    A out, B out); returns the numpy threads each fit got."""
    events = {step: threading.Event() for step in order}
    got = {}

    def fit(name):
        mine = [s for s in order if s.lower() == name.lower()]
        events[mine[0]].wait()
        with _threads.blas_threads(lambda available: available) as threads:
            got[name] = threads
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
    got = _run_interleaved(order)
    assert _blas_threads() == before
    # Overlapping fits run on one thread each; one alone gets what is available.
    if order == "AaBb":
        assert got == {"A": before[0], "B": before[0]}
    else:
        assert got["B"] == 1
    # The same after the main thread itself set a limit last (OpenBLAS then
    # ignored the ordinary call from other threads).
    with threadpool_limits(before[0], "blas"):
        pass
    got = _run_interleaved(order)
    assert _blas_threads() == before
    if order != "AaBb":
        assert got["B"] == 1


def _a_thread_can_lower_the_limit():
    """Whether another thread can change numpy's BLAS limit whoever set it last.

    OpenBLAS before 0.3.27 (numpy 1.26's) has no ``openblas_set_num_threads_local``
    and ignores such a change while another thread computes or set the limit.
    """
    from threadpoolctl import ThreadpoolController

    return all(c.internal_api != "openblas" or hasattr(c.dynlib, "openblas_set_num_threads_local")
               for c in ThreadpoolController().lib_controllers
               if c.user_api == "blas" and "numpy" in c.filepath)


def test_overlapping_fits_evaluate_on_one_thread_each(small_digits):
    X, y = small_digits
    if not _a_thread_can_lower_the_limit():
        pytest.skip("this OpenBLAS ignores a thread's change of a limit another thread set")
    BackpropMLPClassifier(max_iter=3, random_state=0).fit(X, y)  # the main thread sets last
    started, read = threading.Barrier(2), threading.Barrier(2)

    class Overlap(Observer):
        def __init__(self):
            self.seen = []

        def start(self, params, loss):
            started.wait(timeout=30)  # both fits are running from here on
            self.seen.append(_blas_threads()[0])
            read.wait(timeout=30)  # and neither ends before both have looked

        def step(self, step):
            self.seen.append(_blas_threads()[0])
            return step.n_iter >= 3

    observers = [Overlap(), Overlap()]

    def fit(observer):
        with observing(observer):
            BackpropMLPClassifier(hidden_layer_sizes=300, max_iter=5, n_threads=2,
                                  random_state=0).fit(X, y)

    workers = [threading.Thread(target=fit, args=(o,)) for o in observers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert observers[0].seen and observers[1].seen
    # While both run, both evaluate on one thread: the second to enter set it.
    assert [o.seen[0] for o in observers] == [1, 1]


class _FakeBlas:
    """A BLAS limit that a test can hold up between a fit's reading and its setting."""

    user_api, internal_api, filepath = "blas", "fake", "/site-packages/numpy.libs/libfake.so"

    def __init__(self, limit, on_read, on_set):
        self.limit, self.on_read, self.on_set = limit, on_read, on_set

    @property
    def num_threads(self):
        self.on_read()
        return self.limit

    def set_num_threads(self, n):
        self.limit = n
        self.on_set()


def test_a_fit_that_decides_first_sets_first(monkeypatch):
    # Fit A reads the limit (2) and decides on 2 threads; fit B enters while A
    # runs and wants 1.  If B could set its 1 between A's reading and A's
    # setting, A would put 2 back over it and both would run on 2 threads.
    import threadpoolctl

    blas_threads = _threads._BlasThreads()  # a fresh policy: it looks its libraries up once

    a_decided, b_set, reads = threading.Event(), threading.Event(), {}

    def on_read():
        name = threading.current_thread().name
        reads[name] = reads.get(name, 0) + 1
        if name == "A" and reads[name] == 1:
            a_decided.set()
        if name == "A" and reads[name] == 2:  # between A's reading and its setting
            b_set.wait(timeout=0.5)  # held by the lock, B cannot set meanwhile

    def on_set():
        if threading.current_thread().name == "B":
            b_set.set()

    fake = _FakeBlas(2, on_read, on_set)

    class Controller:
        lib_controllers = [fake]

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", Controller)
    inside, leave, seen = threading.Barrier(2), threading.Event(), []

    def fit():
        with blas_threads(lambda available: 2):
            inside.wait(timeout=10)
            seen.append(fake.limit)
            leave.wait(timeout=10)

    a = threading.Thread(target=fit, name="A")
    b = threading.Thread(target=fit, name="B")
    a.start()
    assert a_decided.wait(timeout=10)
    b.start()
    while len(seen) < 2 and a.is_alive():
        time.sleep(0.01)
    leave.set()
    a.join(timeout=10)
    b.join(timeout=10)
    assert seen == [1, 1]  # the second fit's one thread is the limit both run under
    assert fake.limit == 2  # and the first fit's limit is back after both


def test_a_fit_that_ends_first_does_not_raise_the_limit_under_one_still_running(monkeypatch):
    """Fit A (alone, small) set one thread where two were; fit B joined; when A ended it put
    the two back while B was still evaluating, so B ran two spinning BLAS threads beside the
    next fit.  The limit found before A comes back only when the last fit ends."""
    import threadpoolctl

    blas_threads = _threads._BlasThreads()  # a fresh policy: it looks its libraries up once

    fake = _FakeBlas(2, lambda: None, lambda: None)

    class Controller:
        lib_controllers = [fake]

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", Controller)
    a_in, b_in, a_out, b_seen = (threading.Event() for _ in range(4))
    seen = []

    def fit_a():
        with blas_threads(lambda available: 1):
            a_in.set()
            b_in.wait(timeout=10)
        a_out.set()

    def fit_b():
        a_in.wait(timeout=10)
        with blas_threads(lambda available: 2):
            b_in.set()
            a_out.wait(timeout=10)
            seen.append(fake.limit)  # A has ended; B is still running
        b_seen.set()

    workers = [threading.Thread(target=fit_a), threading.Thread(target=fit_b)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert seen == [1]
    assert fake.limit == 2  # put back when the last fit ended


def test_the_libraries_are_looked_up_once_and_the_load_read_only_where_it_can_matter(
        monkeypatch):
    """Each fit used to read the process's map of libraries (threadpoolctl) and sample the
    machine's load for 50 ms even where the limit in force left one thread anyway."""
    import threadpoolctl

    lookups = []

    class Controller:
        def __init__(self):
            lookups.append(1)
            self.lib_controllers = [_FakeBlas(2, lambda: None, lambda: None)]

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", Controller)
    policy = _threads._BlasThreads()
    for _ in range(3):
        with policy(lambda available: available):
            pass
    assert len(lookups) == 1

    readings = []
    big = ((784, 300, 10), int(PARALLEL_FLOPS) // 700_000 + 1)
    wanted = evaluation_threads(None, *big, busy_elsewhere=lambda: readings.append(1) or 0.0)
    assert wanted(1) == 1 and readings == []
    assert wanted(2) == min(2, os.cpu_count()) and readings == [1]
