"""BLAS threads for a fit, chosen by the problem's size, and put back after.

numpy's BLAS does the numpy kernel's products, scipy's own copy the compiled
kernel's and the solver's vector work: both get the same threads, one below
:data:`PARALLEL_FLOPS` per evaluation (where a second thread costs more than
it gives, in the solver's work most of all).  The limits are set through
threadpoolctl's own API, in the thread that runs the fit, and put back by it.
"""

import threading
from contextlib import ExitStack, contextmanager
from functools import cache

__all__ = ["PARALLEL_FLOPS", "blas_threads"]


#: From this many multiply-adds per cost evaluation on, more BLAS threads pay
#: off (measured by ``benchmarks/run.py``; see the performance page).
PARALLEL_FLOPS = 3e7

_lock = threading.Lock()
_running = 0  # fits inside blas_threads now, in any thread


@cache
def _blas():
    """The process's BLAS libraries, looked up once: it reads the process's map of loaded
    libraries, which takes longer than the rest of a small fit's set-up."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


def _wanted(n_threads, layer_sizes, n_rows, available):
    """The size rule: the user's choice, else one thread below :data:`PARALLEL_FLOPS` per
    evaluation and the limit in force above it (a worker of a parallel search keeps its
    share of the cores)."""
    if n_threads is not None:
        return n_threads
    flops = 3 * n_rows * sum(a * b for a, b in zip(layer_sizes, layer_sizes[1:]))
    return 1 if flops < PARALLEL_FLOPS else available


@contextmanager
def blas_threads(n_threads, layer_sizes, n_rows):
    """Run a fit under the threads :func:`_wanted` gives every BLAS library.

    Yields the threads.  The first fit to start sets the limits and
    the same fit puts back what it found.  A fit that starts while another
    runs sets nothing: a thread that did not set the limits cannot change
    them (OpenBLAS's limit is process-wide, and threadpoolctl lets one
    thread at a time hold it), and a second setter would put back the first
    one's limits as its own.
    """
    global _running
    with ExitStack() as limits:
        with _lock:
            blas = _blas()
            in_force = max((c.num_threads for c in blas.lib_controllers), default=1)
            threads = in_force
            if _running == 0:
                threads = max(1, min(_wanted(n_threads, layer_sizes, n_rows, in_force),
                                     in_force))
                limits.enter_context(blas.limit(limits=threads))
            _running += 1
        try:
            yield threads
        finally:
            with _lock:
                _running -= 1
                limits.close()
