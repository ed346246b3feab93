"""BLAS threads for a fit: how many, chosen once per fit, set and restored safely.

numpy's BLAS does the cost evaluations; scipy's own copy does the solver's
vector work.  :func:`evaluation_threads` chooses how many threads the
evaluations get (the user's choice, else by problem size and by the cores
other programs leave free); :data:`blas_threads` sets them for the length of
a fit, for however many fits run in the process at once.
"""

import math
import os
import threading
import time
from contextlib import contextmanager

__all__ = ["PARALLEL_FLOPS", "blas_threads", "cores_busy_elsewhere", "evaluation_threads",
           "set_threads"]


#: From this many multiply-adds per cost evaluation on, more BLAS threads pay
#: off (measured by ``benchmarks/run.py``; see the performance page).
PARALLEL_FLOPS = 3e7


def _is_numpy_blas(controller):
    return "numpy" in controller.filepath


def set_threads(controller, n):
    """Set ``controller``'s limit to ``n``; True if it took.

    OpenBLAS 0.3.31 (the build numpy and scipy ship) ignores
    ``openblas_set_num_threads`` from a thread while another live thread set
    the limit last; after a fit in the main thread, a fit in any other thread
    could no longer change it (measured).  Its ``openblas_set_num_threads_local``
    sets the same process-wide limit whoever set it before, so it is used
    when the ordinary call did not take.
    """
    controller.set_num_threads(n)
    if controller.num_threads == n:
        return True
    setter = getattr(getattr(controller, "dynlib", None), "openblas_set_num_threads_local", None)
    if controller.internal_api == "openblas" and setter is not None:
        import ctypes

        setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
        setter(n)
    return controller.num_threads == n


class _BlasThreads:
    """BLAS limits for the fits running now: set by the first to start, one thread while
    several run, and restored by the last to finish.

    numpy's BLAS does the cost evaluations; scipy's own copy does the
    solver's vector work, which more threads only slow down.  Fits that run
    at the same time in one process (a grid search under joblib's threading
    backend, a user's thread pool) all run on one thread from the moment the
    second starts: two teams of BLAS threads spinning against each other on
    the same cores cost several times the work.  The limits the first fit
    found are put back only when the last fit in the process ends, so a fit
    still running never finds its limit raised under it by another's end
    (an earlier design, in which each fit undid its own change, let a fit
    that ended first hand the other two spinning threads mid-fit).  A limit
    set from another thread takes through :func:`set_threads`.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._active = 0
        self._found = []  # (controller, its limit) as the first of the running fits found them
        self._blas = None

    def _controllers(self):
        """The process's BLAS libraries, looked up by the first fit and kept.

        Looking them up reads the process's map of loaded libraries, which
        took longer than the rest of a small fit's set-up; numpy's and
        scipy's BLAS are loaded before any fit can start.
        """
        if self._blas is None:
            from threadpoolctl import ThreadpoolController

            self._blas = [c for c in ThreadpoolController().lib_controllers
                          if c.user_api == "blas"]
        return self._blas

    def _enter(self, wanted):
        """Set the limits for one more running fit; return its numpy threads."""
        # One lock over deciding and setting: a fit that decided on the
        # limit in force must set it before a later fit reads it, or the
        # later fit's one thread could be overwritten by the earlier's two.
        with self._lock:
            controllers = self._controllers()
            numpy_blas = [c for c in controllers if _is_numpy_blas(c)] or controllers
            if self._active == 0:
                self._found = [(c, c.num_threads) for c in controllers]
                available = max((limit for c, limit in self._found if c in numpy_blas),
                                default=1)
                threads = max(1, min(wanted(available), available))
            else:
                threads = 1
            for c in controllers:
                target = threads if c in numpy_blas else 1
                if c.num_threads != target:
                    set_threads(c, target)
            self._active += 1
        return threads

    def _exit(self):
        with self._lock:
            self._active -= 1
            if self._active == 0:  # the last running fit puts back what the first found
                for c, limit in reversed(self._found):
                    if c.num_threads != limit:
                        set_threads(c, limit)
                self._found = []

    @contextmanager
    def __call__(self, wanted):
        """Run a fit with ``wanted(available)`` threads for numpy's BLAS, 1 for the rest.

        ``available`` is numpy's BLAS limit in force; a fit that starts while
        others run gets one thread, and so do they from then on.
        """
        threads = self._enter(wanted)
        try:
            yield threads
        finally:
            self._exit()


blas_threads = _BlasThreads()


def evaluation_threads(n_threads, layer_sizes, n_rows, busy_elsewhere=None):
    """``wanted(available)`` for :data:`blas_threads`: the user's choice, else by size and load.

    A problem below :data:`PARALLEL_FLOPS` per evaluation gets one thread.  A
    larger one gets the cores that other programs leave free (measured at the
    start of the fit by ``busy_elsewhere``, :func:`cores_busy_elsewhere` by
    default, unless the limit in force leaves one thread anyway): a BLAS
    thread that must share its core with another program waits for it at
    every product, and the whole team waits for the slowest
    thread.  Never more than the limit in force when the fit starts, so a fit
    inside a parallel grid search keeps to its share of the cores.
    """
    if n_threads is not None:
        return lambda available: n_threads
    flops = 3 * n_rows * sum(a * b for a, b in zip(layer_sizes, layer_sizes[1:]))
    if flops < PARALLEL_FLOPS:
        return lambda available: 1

    def wanted(available):
        if available == 1:  # one thread in any case (a worker of a parallel search): no reading
            return 1
        # A core counts as taken when others keep it busy three quarters of the
        # time: background noise (a daemon's tick, an idle cluster) takes none.
        busy = (busy_elsewhere or cores_busy_elsewhere)()
        return max(1, min(available, math.floor((os.cpu_count() or 1) - busy + 0.25)))

    return wanted


def machine_busy_seconds(stat_path="/proc/stat"):
    """CPU seconds all processes have spent busy since boot (not idle, not waiting on I/O).

    Read from the first line of ``/proc/stat``: its fields are clock ticks.
    """
    with open(stat_path) as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle, iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def own_busy_seconds():
    """CPU seconds this process has spent, user and system, all its threads."""
    return sum(os.times()[:2])


def cores_busy_elsewhere(seconds=0.05, machine=machine_busy_seconds, own=own_busy_seconds,
                         clock=time.monotonic, sleep=time.sleep):
    """How many cores other processes keep busy now, from two readings over ``seconds``.

    The machine's busy time over the interval, less this process's own,
    divided by the interval.  The readers are parameters so that the
    arithmetic can be checked against readings a test controls.  0 where
    ``/proc/stat`` cannot be read.
    """
    try:
        start, own_start, wall = machine(), own(), clock()
        sleep(seconds)
        busy = (machine() - start) - (own() - own_start)
        return max(0.0, busy / max(clock() - wall, 1e-9))
    except (OSError, ValueError, IndexError):
        return 0.0
