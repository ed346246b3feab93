"""Training: the objective, the solver driver and the observers that watch it.

The estimator turns labels into a :class:`Problem` and hands it here; this
module knows nothing of labels or of scikit-learn's estimator API.  One fit
is, in order:

1. :func:`merge_duplicates`: identical ``(x, y)`` rows become one weighted row,
   so integer sample weights and repeated rows give the same fit, bit for bit;
2. :class:`Objective`: ``J`` and its gradient (and Hessian products) from
   :mod:`sknn_digits.core`, on reused buffers, remembering its last point;
3. :func:`minimize`: :func:`scipy.optimize.minimize` with a callback that
   records ``J`` and tells every :class:`Observer` about each iteration;
4. the observers: :class:`EarlyStopping`, :class:`VerboseLog`, the bridge to
   scikit-learn's fit callbacks, and whatever a program registered with
   :func:`observing` (the command line shows its progress that way).

BLAS threads are set once per fit by :func:`blas_threads`, never per
evaluation, and safely when several fits run in threads at once.
"""

import math
import os
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

import numpy as np
import scipy.optimize
from scipy import sparse

from .core import OUTPUTS, forward, hessian_vector_product, loss_and_gradient, unpack

#: ``scipy.optimize.minimize`` methods that use the gradient and no Hessian.
FIRST_ORDER_SOLVERS = ("L-BFGS-B", "CG", "BFGS", "TNC")
#: Methods that also use exact Hessian-vector products.
SECOND_ORDER_SOLVERS = ("Newton-CG", "trust-ncg", "trust-krylov")
SOLVERS = FIRST_ORDER_SOLVERS + SECOND_ORDER_SOLVERS


class Problem(NamedTuple):
    """What is minimised: the arguments of :func:`~sknn_digits.core.loss_and_gradient`."""

    layer_sizes: tuple
    X: object
    Y: np.ndarray
    alpha: float
    activation: str
    output: str
    sample_weight: object = None


# ---------------------------------------------------------------------------
# Warnings that name the user's line.
# ---------------------------------------------------------------------------

def warn(message, category=None):
    """``warnings.warn`` pointing at the first frame outside this package and scikit-learn.

    A fixed ``stacklevel`` would name a line of scikit-learn's fit wrapper or
    of a pipeline; walking the stack names the user's own call.  The category
    is scikit-learn's ConvergenceWarning unless given.
    """
    import sklearn
    from sklearn.exceptions import ConvergenceWarning

    internal = tuple(os.path.dirname(module.__file__) + os.sep
                     for module in (sys.modules[__package__], sklearn))
    category = ConvergenceWarning if category is None else category
    frame, level = sys._getframe(0), 1  # level 1 is this function
    while frame is not None and frame.f_code.co_filename.startswith(internal):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


# ---------------------------------------------------------------------------
# BLAS threads: chosen once per fit, set and restored under one lock.
# ---------------------------------------------------------------------------

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


def evaluation_threads(n_threads, problem, busy_elsewhere=None):
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
    sizes = problem.layer_sizes
    flops = 3 * problem.X.shape[0] * sum(a * b for a, b in zip(sizes, sizes[1:]))
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


# ---------------------------------------------------------------------------
# Repeated rows.
# ---------------------------------------------------------------------------

_MULTIPLIERS = np.random.default_rng(20260101).integers(1, 2**63, size=4096, dtype=np.uint64) | 1


def _mix(bits, columns):
    """A 64-bit hash of each (column, value bits) entry; summed, it hashes a row.

    A zero entry hashes to 0, so stored and absent zeros of a sparse row agree.
    """
    h = bits * _MULTIPLIERS[columns % _MULTIPLIERS.size]
    h ^= h >> np.uint64(31)
    h *= np.uint64(0x9E3779B97F4A7C15)
    return h


def _as_bits(values):
    """The value bits as uint64 (0.0 and -0.0 alike)."""
    values = values + values.dtype.type(0)  # -0.0 + 0.0 is 0.0
    unsigned = np.uint64 if values.dtype.itemsize == 8 else np.uint32
    return values.view(unsigned).astype(np.uint64, copy=False)


def row_hashes(X, chunk=2048):
    """One 64-bit hash per row, equal for equal rows, computed without copying ``X``.

    Each entry's hash depends on its column and value; a row's hash is their
    wrapping sum, which does not depend on the order of the entries, so a
    sparse row hashes alike with sorted or unsorted indices, and explicit
    zeros count as absent.
    """
    with np.errstate(over="ignore"):
        if sparse.issparse(X):
            X = sparse.csr_array(X)
            if not X.has_canonical_format:  # duplicates would be summed: on a copy
                X = X.copy()
                X.sum_duplicates()
            h = _mix(_as_bits(X.data), X.indices)
            totals = np.concatenate([[np.uint64(0)], np.cumsum(h, dtype=np.uint64)])
            return totals[X.indptr[1:]] - totals[X.indptr[:-1]]
        X = np.asarray(X)
        columns = np.arange(X.shape[1])
        hashes = np.empty(X.shape[0], dtype=np.uint64)
        for start in range(0, X.shape[0], chunk):
            block = X[start:start + chunk]
            hashes[start:start + chunk] = _mix(_as_bits(block), columns).sum(
                axis=1, dtype=np.uint64)
        return hashes


def _rows_equal(X, i, j):
    """Are rows ``i`` and ``j`` (index arrays) of ``X`` equal, pair by pair?"""
    if sparse.issparse(X):
        X = sparse.csr_array(X)
        return np.asarray(abs(X[i] - X[j]).sum(axis=1)).ravel() == 0
    return (X[i] == X[j]).all(axis=1)


def merge_duplicates(X, Y, sample_weight):
    """Merge repeated ``(x, y)`` rows into weights, and drop rows of weight zero.

    A row repeated ``k`` times becomes one row of weight ``k``: the cost is
    the same and cheaper to evaluate.  When anything is merged or dropped,
    the remaining rows are put in an order that depends only on their
    contents, so trading repeated rows for integer weights, in any order,
    gives bit for bit the same fit.  Otherwise ``X``, ``Y`` and the weights
    come back as they are.  ``X`` is never modified; finding the repeats
    reads it once: 0.58 s at 60000x784, about half of one cost evaluation
    with 300 hidden units (1.04 s), so under 1 % of a fit of a few hundred.

    Returns
    -------
    X, Y : the distinct rows of positive weight
    weights : ndarray of shape (n_rows,) in ``X``'s dtype, or None
    """
    keys = np.stack([row_hashes(X), row_hashes(Y)], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    has_zero = sample_weight is not None and not np.all(sample_weight > 0)
    if first.size == X.shape[0] and not has_zero:
        return X, Y, sample_weight
    repeats = np.flatnonzero(first[inverse] != np.arange(X.shape[0]))
    originals = first[inverse[repeats]]
    if not (_rows_equal(X, repeats, originals).all()
            and (Y[repeats] == Y[originals]).all()):
        return X, Y, sample_weight  # a hash collision: leave the rows unmerged
    weights = np.ones(X.shape[0], dtype=X.dtype) if sample_weight is None else sample_weight
    merged = np.bincount(inverse, weights=weights).astype(X.dtype)
    keep = merged > 0
    return X[first[keep]], Y[first[keep]], merged[keep]


def validation_split(problem, fraction, random_state, multilabel):
    """Hold out ``fraction`` of the samples (stratified by class) for early stopping.

    Returns the training problem and ``(X_val, Y_val, weights_val)``.
    """
    from sklearn.model_selection import train_test_split

    X, Y, weights = problem.X, problem.Y, problem.sample_weight
    n_val = int(np.ceil(fraction * X.shape[0]))
    if n_val < 1 or X.shape[0] - n_val < 2:
        raise ValueError(
            f"The validation set is too small: early_stopping with validation_fraction="
            f"{fraction} of {X.shape[0]} samples leaves the validation or the training "
            "set (nearly) empty."
        )
    stratify = None if multilabel else true_labels(Y, multilabel)
    weights = np.ones(X.shape[0], dtype=Y.dtype) if weights is None else weights
    X, X_val, Y, Y_val, w, w_val = train_test_split(
        X, Y, weights, test_size=n_val, stratify=stratify, random_state=random_state
    )
    train = problem._replace(X=X, Y=Y, sample_weight=None if problem.sample_weight is None
                             else w)
    return train, (X_val, Y_val, w_val)


def true_labels(Y, multilabel):
    """The class index (or 0/1 label row) each row of the 0/1 target matrix ``Y`` stands for."""
    if multilabel:
        return Y.astype(np.int64)
    return Y[:, 0].astype(np.intp) if Y.shape[1] == 1 else Y.argmax(axis=1)


# ---------------------------------------------------------------------------
# The objective.
# ---------------------------------------------------------------------------


class Objective:
    """``J`` and its gradient for the solver, on reused buffers, remembering its last point.

    The solver calls it with a float64 vector and gets float64 back whatever
    the data's dtype.  scipy's callback sees each accepted point but not its
    cost; that point was nearly always the last one evaluated, so the
    remembered value answers without a second evaluation.
    """

    def __init__(self, problem):
        self.problem = problem
        self.workspace = {}  # activation-sized arrays reused by every evaluation
        self.n_evaluations = 0
        self._last = (None, None, None)

    def __call__(self, params):
        x, J, grad = self._last
        if x is not None and np.array_equal(params, x):
            return J, grad.copy()
        J, grad = self._evaluate(params)
        grad = grad.astype(np.float64, copy=False)
        self.n_evaluations += 1
        self._last = (np.array(params, dtype=np.float64), J, grad)
        return J, grad.copy()

    def _evaluate(self, params):
        return loss_and_gradient(params, *self.problem, workspace=self.workspace)

    def hessp(self, params, vector):
        return hessian_vector_product(params, vector, *self.problem).astype(np.float64)


# ---------------------------------------------------------------------------
# Observers: everything that watches the iterations.
# ---------------------------------------------------------------------------


class Step(NamedTuple):
    """One finished solver iteration: its number (from 1), its weights and ``J`` there."""

    n_iter: int
    params: np.ndarray
    loss: float

    def __str__(self):
        return f"Iteration {self.n_iter}, loss = {self.loss:.8f}"


class Observer:
    """Sees a fit's iterations: ``start`` once, ``step`` after each, ``close`` at the end.

    ``step`` returns True to ask the solver to stop (TNC cannot be stopped).
    The parameter vectors it is shown belong to the solver: copy to keep them.
    """

    def start(self, params, loss):
        """The starting weights and ``J`` there."""

    def step(self, step):
        """A finished iteration (a :class:`Step`); True asks to stop."""
        return False

    def close(self):
        """The solver has returned."""


_EXTRA_OBSERVERS = ContextVar("sknn_digits_observers", default=())


@contextmanager
def observing(observer):
    """Show ``observer`` (an :class:`Observer`) every fit started inside the block.

    This is how a program follows fits it does not call itself, such as the
    one inside a :class:`~sklearn.pipeline.Pipeline`.

    Examples
    --------
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits._training import Observer, observing
    >>> class Count(Observer):
    ...     n = 0
    ...     def step(self, step):
    ...         self.n += 1
    >>> counter = Count()
    >>> with observing(counter):
    ...     _ = BackpropMLPClassifier(max_iter=5, random_state=0).fit(
    ...         [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> counter.n
    5
    """
    token = _EXTRA_OBSERVERS.set((*_EXTRA_OBSERVERS.get(), observer))
    try:
        yield observer
    finally:
        _EXTRA_OBSERVERS.reset(token)


def registered_observers():
    """The observers registered by enclosing :func:`observing` blocks."""
    return list(_EXTRA_OBSERVERS.get())


class VerboseLog(Observer):
    """Prints ``J`` after each iteration (the estimator's ``verbose``)."""

    def step(self, step):
        print(step)
        return False


class EarlyStopping(Observer):
    """Scores held-out data after each iteration, says when to stop, keeps the best weights.

    The score is the (sample-weighted) accuracy, with the output's own
    decision rule.  The best is chosen among the iterations; the starting
    point competes only when it is a warm start's previous best.
    """

    def __init__(self, validation, problem, multilabel, patience, tol, previous=None):
        self.X_val, Y_val, self.w_val = validation
        self.truth = true_labels(Y_val, multilabel)
        self.layer_sizes, self.activation = problem.layer_sizes, problem.activation
        self.output, self.multilabel = OUTPUTS[problem.output], multilabel
        self.patience, self.tol = patience, tol
        self.scores, self.best_score = list(previous or ()), -np.inf
        self.best_params, self.stale = None, 0
        self.warm = previous is not None

    def accuracy(self, params):
        coefs, intercepts = unpack(params.astype(self.X_val.dtype), self.layer_sizes)
        z = forward(self.X_val, coefs, intercepts, self.activation)[1]
        correct = self.output.labels(z, self.multilabel) == self.truth
        if correct.ndim == 2:  # multilabel: every label right
            correct = correct.all(axis=1)
        return float(np.average(correct, weights=self.w_val))

    def start(self, params, loss):
        if self.warm and self.scores:
            self.best_score, self.best_params = max(self.scores), params.copy()

    def step(self, step):
        score = self.accuracy(step.params)
        self.scores.append(score)
        self.stale = 0 if score > self.best_score + self.tol else self.stale + 1
        if score > self.best_score:
            self.best_score, self.best_params = score, step.params.copy()
        return self.stale > self.patience


class SklearnCallbacks(Observer):
    """scikit-learn's fit callbacks (1.9 and later), with one task per solver iteration.

    Each iteration's end ends its task and begins the next, as scikit-learn's
    own L-BFGS estimators do; each task carries that iteration's weights, so a
    callback can score the model as it was then.
    """

    @classmethod
    def begin(cls, estimator, problem, y, attributes):
        """The bridge for this fit, or None when scikit-learn has no callbacks.

        ``attributes`` are the fitted attributes other than the weights that a
        model rebuilt from an iteration needs (``classes_``, ...).
        """
        if not hasattr(estimator, "_init_callback_context"):
            return None
        return cls(estimator, problem, y, attributes)

    def __init__(self, estimator, problem, y, attributes):
        weights = problem.sample_weight
        self.estimator, self.X, self.y = estimator, problem.X, y
        self.attributes = attributes
        self.metadata = None if weights is None else {"sample_weight": weights}
        self.layer_sizes, self.iteration = problem.layer_sizes, None
        self.per_iteration = hasattr(estimator, "_skl_callbacks")
        # Up to max_iter iterations, plus the task begun after the last one.
        self.context = estimator._init_callback_context(max_subtasks=estimator.max_iter + 1)
        self.context.call_on_fit_task_begin(
            estimator=estimator, X=self.X, y=y, metadata=self.metadata)

    def _hook(self, context, hook, params):
        coefs, intercepts = unpack(np.array(params), self.layer_sizes)
        return getattr(context, hook)(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes={
                **self.attributes, "coefs_": coefs, "intercepts_": intercepts,
                "n_layers_": len(self.layer_sizes), "n_outputs_": self.layer_sizes[-1]},
        )

    def start(self, params, loss):
        if self.per_iteration:
            self.iteration = self.context.subcontext(task_name="iteration")
            self._hook(self.iteration, "call_on_fit_task_begin", params)

    def step(self, step):
        if not self.per_iteration:
            return False
        stop = self._hook(self.iteration, "call_on_fit_task_end", step.params)
        self.start(step.params, step.loss)
        return stop is True  # a callback may ask the fit to stop

    def close(self):
        if self.per_iteration:  # the task begun after the last iteration never ran
            self.iteration.call_on_fit_task_end(estimator=self.estimator)

    def end(self):
        """The fit is over and its attributes assigned."""
        self.context.call_on_fit_task_end(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes={})


class Result(NamedTuple):
    """What :func:`minimize` found."""

    params: np.ndarray
    loss: float
    initial_loss: float
    loss_curve: list
    n_iter: int
    n_evaluations: int
    message: str
    limit: str  # "max_iter" or "max_fun" when that stopped an unconverged solver, else ""


def solver_options(solver, max_iter, max_fun, tol):
    """The ``options`` of :func:`scipy.optimize.minimize` for the estimator's limits.

    ``tol`` bounds the gradient at the solution, as ``MLPClassifier`` passes
    its ``tol`` to L-BFGS-B's ``gtol`` (Newton-CG has no gradient test: there
    it bounds the step, ``xtol``); None keeps the solver's own defaults.
    """
    if solver == "TNC":  # counts evaluations only
        options = {"maxfun": min(max_iter, max_fun)}
    elif solver == "L-BFGS-B":
        options = {"maxiter": max_iter, "maxfun": max_fun}
    else:
        options = {"maxiter": max_iter}
    if tol is not None:
        options["xtol" if solver == "Newton-CG" else "gtol"] = tol
    return options


def minimize(objective, x0, solver, *, max_iter, max_fun, tol, observers=()):
    """Minimise ``objective`` from ``x0`` with ``scipy.optimize.minimize(method=solver)``.

    Records ``J`` after each iteration and shows every observer each step;
    stops when one asks to (except TNC), or after ``max_fun`` evaluations
    (solvers without their own ``maxfun`` are stopped at the end of the
    iteration that reaches it).
    """
    x0 = np.asarray(x0, dtype=np.float64)
    initial_loss = objective(x0)[0]
    for observer in observers:
        observer.start(x0, initial_loss)
    loss_curve = []

    def callback(xk):
        J = objective(xk)[0]  # remembered: xk was just evaluated
        loss_curve.append(J)
        step = Step(len(loss_curve), xk, J)
        stop = [observer.step(step) for observer in observers]  # every observer sees it
        if solver != "TNC" and (any(stop) or objective.n_evaluations >= max_fun):
            raise StopIteration  # scipy ends the solve and returns xk

    result = scipy.optimize.minimize(
        objective, x0, jac=True, method=solver, callback=callback,
        options=solver_options(solver, max_iter, max_fun, tol),
        hessp=objective.hessp if solver in SECOND_ORDER_SOLVERS else None,
    )
    for observer in observers:
        observer.close()
    J = objective(result.x)[0]
    limit = ""
    if not result.success or objective.n_evaluations >= max_fun:
        if objective.n_evaluations >= max_fun or (solver == "TNC" and result.nfev >= max_fun):
            limit = "max_fun"
        elif len(loss_curve) >= max_iter or (solver == "TNC" and result.nfev >= max_iter):
            limit = "max_iter"
    return Result(result.x, J, initial_loss, loss_curve, len(loss_curve),
                  objective.n_evaluations, str(result.message), limit)


class Settings(NamedTuple):
    """How to train: the estimator's parameters that the trainer reads."""

    solver: str = "L-BFGS-B"
    max_iter: int = 400
    max_fun: int = 15000
    tol: object = 1e-4
    n_threads: object = None
    verbose: int = 0
    early_stopping: bool = False
    validation_fraction: float = 0.1
    n_iter_no_change: float = 10
    random_state: object = None

    @classmethod
    def of(cls, estimator):
        """The settings of an estimator that has parameters of these names."""
        return cls(**{name: getattr(estimator, name) for name in cls._fields})


class Fit(NamedTuple):
    """What :func:`train` returns: the weights and the record of the fit."""

    params: np.ndarray  # in the training data's dtype
    loss: float
    loss_curve: list
    n_iter: int
    message: str
    validation_scores: list  # None without early stopping
    best_validation_score: float  # None without early stopping


def train(problem, x0, settings, multilabel, *, warm=False, previous_scores=None,
          observers=()):
    """Train from ``x0``: repeats merged, observers attached, threads set, result checked.

    ``warm`` says that ``x0`` is a previous fit's result (whose validation
    scores, if any, are ``previous_scores``); ``observers`` are watchers
    besides early stopping, ``verbose`` and those registered by :func:`observing`.
    """
    stopper, validation = None, None
    if settings.early_stopping:
        problem, validation = validation_split(
            problem, settings.validation_fraction, settings.random_state, multilabel)
    X, Y, weights = merge_duplicates(problem.X, problem.Y, problem.sample_weight)
    problem = problem._replace(X=X, Y=Y, sample_weight=weights)
    if not warm and saturation(X, x0, problem.layer_sizes, problem.activation) > 0.9:
        warn("Most of the first hidden layer's units are saturated at the starting weights, "
             "so their gradients vanish and the fit cannot learn: scale the features (e.g. "
             "with MinMaxScaler or StandardScaler) or lower init_epsilon.")
    if validation is not None:
        stopper = EarlyStopping(validation, problem, multilabel, settings.n_iter_no_change,
                                1e-4 if settings.tol is None else settings.tol,
                                previous_scores if warm else None)
    watchers = watchers_of(settings, [*([stopper] if stopper else []), *observers])
    with blas_threads(evaluation_threads(settings.n_threads, problem)):
        objective = Objective(problem)
        result = minimize(objective, x0, settings.solver, max_iter=settings.max_iter,
                          max_fun=settings.max_fun, tol=settings.tol, observers=watchers)
        params, loss = result.params, result.loss
        if stopper is not None and stopper.best_params is not None:
            params, loss = stopper.best_params, objective(stopper.best_params)[0]
    _check_result(result, params, loss, problem, settings, warm)
    return Fit(np.array(params, dtype=X.dtype), float(loss), result.loss_curve, result.n_iter,
               result.message, None if stopper is None else stopper.scores,
               None if stopper is None else stopper.best_score)


def watchers_of(settings, observers):
    """Every observer of a fit: ``verbose``'s log, ``observers``, those of :func:`observing`."""
    return [*([VerboseLog()] if settings.verbose else []), *observers, *registered_observers()]


def _check_result(result, params, loss, problem, settings, warm):
    """Refuse a non-finite result; warn with the cause when the fit did not converge."""
    if not (np.isfinite(loss) and np.isfinite(params).all()):
        raise ValueError(
            f"The fit ended with a non-finite cost (J = {loss}): the features (largest |x| = "
            f"{float(abs(problem.X).max()):.3g}) or alpha = {problem.alpha:g} are too large for "
            "floating point. Scale the features or lower alpha.")
    if not warm and not loss < result.initial_loss * (1 - 1e-9):
        cause = (f"tol={settings.tol:g} was met at the starting weights; lower tol"
                 if settings.tol is not None and result.n_iter <= 1 else
                 "the gradient vanishes at the starting weights; scale the features "
                 "(e.g. with MinMaxScaler) or lower init_epsilon")
        warn(f"The fit made no progress: J stayed at {result.initial_loss:.6g} because "
             f"{cause}.")
    elif result.limit:
        warn(f"{settings.solver} stopped at {result.limit}={getattr(settings, result.limit)} "
             f"before converging ({result.message}). Increase {result.limit} or tol.")


def saturation(X, params, layer_sizes, activation):
    """Share of first-layer units past |z| = 20 at ``params``: their gradient has vanished."""
    if activation not in ("logistic", "tanh"):
        return 0.0
    coefs, intercepts = unpack(params.astype(X.dtype), layer_sizes)
    _, z = forward(X, coefs[:1], intercepts[:1], activation)
    return float(np.mean(np.abs(z) > 20))
