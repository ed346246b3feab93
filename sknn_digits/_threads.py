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

__all__ = ["PARALLEL_FLOPS", "blas_threads", "cores_busy_elsewhere", "evaluation_threads"]


#: From this many multiply-adds per cost evaluation on, more BLAS threads pay
#: off (measured by ``benchmarks/run.py``; see the performance page).
PARALLEL_FLOPS = 3e7


def _is_numpy_blas(controller):
    return "numpy" in controller.filepath


class _BlasThreads:
    """Process-wide BLAS limits for the fits running now, however many threads run them.

    numpy's BLAS does the cost evaluations; scipy's own copy does the
    solver's vector work, which more threads only slow down (and two pools of
    spinning threads on two cores slow each other down badly).  The first fit
    to enter sets the limits, later ones running at the same time keep them,
    and the last to leave restores what it found, so no interleaving of
    entries and exits can leave a limit changed.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._active = 0
        self._saved = {}
        self._threads = 1

    @staticmethod
    def _controllers():
        from threadpoolctl import ThreadpoolController

        return [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]

    def _enter(self, wanted):
        with self._lock:
            if self._active == 0:
                controllers = self._controllers()
                numpy_blas = [c for c in controllers if _is_numpy_blas(c)] or controllers
                available = max((c.num_threads for c in numpy_blas), default=1)
                self._threads = max(1, min(wanted(available), available))
                # What each library had, restored when the last fit leaves.
                self._saved = {c.filepath: c.num_threads for c in controllers}
                for c in controllers:
                    c.set_num_threads(self._threads if c in numpy_blas else 1)
            self._active += 1
            return self._threads

    def _exit(self):
        with self._lock:
            self._active -= 1
            if self._active == 0:
                for c in self._controllers():
                    c.set_num_threads(self._saved.get(c.filepath, c.num_threads))
                self._saved = {}

    @contextmanager
    def __call__(self, wanted):
        """Run a fit with ``wanted(available)`` threads for numpy's BLAS, 1 for the rest."""
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
    default): a BLAS thread that must share its core with another program
    waits for it at every product, and the whole team waits for the slowest
    thread.  Never more than the limit in force when the fit starts, so a fit
    inside a parallel grid search keeps to its share of the cores.
    """
    if n_threads is not None:
        return lambda available: n_threads
    flops = 3 * n_rows * sum(a * b for a, b in zip(layer_sizes, layer_sizes[1:]))
    if flops < PARALLEL_FLOPS:
        return lambda available: 1
    # A core counts as taken when others keep it busy three quarters of the
    # time: background noise (a daemon's tick, an idle cluster) takes none.
    free = math.floor((os.cpu_count() or 1) - (busy_elsewhere or cores_busy_elsewhere)() + 0.25)
    return lambda available: max(1, min(available, free))


def cores_busy_elsewhere(seconds=0.05):
    """How many cores other processes keep busy now, from two readings of ``/proc/stat``.

    The machine's busy time over a short interval, less this process's own,
    divided by the interval.  0 where ``/proc/stat`` cannot be read.
    """
    def busy_ticks():
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        return sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # - idle, iowait

    try:
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        start, own, wall = busy_ticks(), sum(os.times()[:2]), time.monotonic()
        time.sleep(seconds)
        busy = (busy_ticks() - start) / ticks_per_second - (sum(os.times()[:2]) - own)
        return max(0.0, busy / (time.monotonic() - wall))
    except (OSError, ValueError, IndexError):
        return 0.0
