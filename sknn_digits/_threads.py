"""BLAS threads for a fit, chosen by the problem's size, and put back after.

numpy's BLAS does the numpy kernel's products, scipy's own copy the compiled
kernel's and the solver's vector work: both get the same threads, one below
:data:`PARALLEL_FLOPS` per evaluation (where a second thread costs more than
it gives, in the solver's work most of all).  The limits are set through
threadpoolctl's own API by one thread of this module's: OpenBLAS's limit is
process-wide, threadpoolctl lets one thread at a time change it, and fits
that overlap (a grid search in threads) start and end in different threads.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import cache

from .core.numpy_kernel import evaluation_flops

__all__ = ["PARALLEL_FLOPS", "blas_threads"]


#: From this many multiply-adds per cost evaluation on, more BLAS threads pay
#: off (measured by ``benchmarks/run.py``; see the performance page).
PARALLEL_FLOPS = 3e7

_lock = threading.Lock()
_running = 0  # fits inside blas_threads now, in any thread
_limits = None  # the first of them's limits, entered: closing it puts back what it found
_setter = None  # the one thread that changes the limits (made by the first fit)


def _forget_in_a_child():
    """A forked child has none of its parent's threads: no setter, no fit running."""
    global _lock, _running, _limits, _setter
    _lock, _running, _limits, _setter = threading.Lock(), 0, None, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_a_child)


def _in_setter(change):
    """Run ``change()`` in the thread that changes the limits; its result."""
    global _setter
    if _setter is None:
        _setter = ThreadPoolExecutor(1, thread_name_prefix="sknn-digits BLAS limits")
    return _setter.submit(change).result()


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
    return 1 if evaluation_flops(layer_sizes, n_rows) < PARALLEL_FLOPS else available


@contextmanager
def blas_threads(n_threads, layer_sizes, n_rows):
    """Run a fit under the threads :func:`_wanted` gives every BLAS library.

    Yields the threads.  The first fit to start sets the limits; a fit that
    starts while others run gets one thread, and so do they from then on (two
    teams of BLAS threads on the same cores cost several times the work); the
    last to end puts back what the first found, so no fit still running finds
    its limit raised under it.
    """
    global _running, _limits
    with _lock:
        blas = _blas()
        if _running == 0:
            in_force = max((c.num_threads for c in blas.lib_controllers), default=1)
            threads = max(1, min(_wanted(n_threads, layer_sizes, n_rows, in_force), in_force))
            # Entered as threadpoolctl's context: the setter holds the limits until closed.
            _limits = ExitStack()
            _in_setter(lambda: _limits.enter_context(blas.limit(limits=threads)))
        else:
            threads = 1
            _in_setter(lambda: [c.set_num_threads(1) for c in blas.lib_controllers])
        _running += 1
    try:
        yield threads
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                _in_setter(_limits.close)
                _limits = None
