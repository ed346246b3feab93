"""Training: the problem, the objective, the solver driver and :func:`train`.

The estimator turns labels into a :class:`Problem` and hands it here with an
objective class; this module knows nothing of labels or of scikit-learn's
estimator API, nor of where the data are.  One fit is, in order:

1. what the objective cannot do is refused (:meth:`Objective.refuse`);
2. early stopping's validation rows are held out (:func:`validation_split`);
3. the objective is made: :class:`Objective` for data in memory (repeated
   rows merged first, :mod:`sknn_digits._repeats`), or another placement's
   subclass (the cluster's, :class:`sknn_digits._dask.DistributedObjective`);
   either way ``J`` and its gradient come from the problem's
   :class:`~sknn_digits.core.Network`;
4. :func:`minimize`: :func:`scipy.optimize.minimize` with a callback that
   records ``J`` and tells every observer (:mod:`sknn_digits._observers`)
   about each iteration;
5. the result is checked (:func:`check_result`).

The stochastic solvers (``"sgd"``, ``"adam"``) take steps 1, 2 and 5 alike;
in place of 3 and 4, :func:`minimize_stochastic` runs epochs of shuffled
minibatches through the same network, each epoch an iteration the observers see.

BLAS threads are set once per fit (:mod:`sknn_digits._threads`), never per
evaluation.
"""

from typing import NamedTuple

import numpy as np
import scipy.optimize

from ._memory import check_memory, format_bytes
from ._observers import EarlyStopping, LossPlateau, Observer, Step, observing, watchers
from ._repeats import merge_duplicates
from ._threads import blas_threads
from ._warnings import warn
from .core import Network, device_of, host_dtype, namespace, to_numpy, true_labels
from .core.optimizers import SGD, Adam

# Observer and observing lived here first, and the user guide showed them here.
__all__ = [
    "SOLVERS",
    "Objective",
    "Observer",
    "Problem",
    "Settings",
    "check_fit_memory",
    "minimize",
    "observing",
    "train",
]

#: ``scipy.optimize.minimize`` methods that use the gradient and no Hessian.
FIRST_ORDER_SOLVERS = ("L-BFGS-B", "CG", "BFGS", "TNC")
#: Methods that also use exact Hessian-vector products.
SECOND_ORDER_SOLVERS = ("Newton-CG", "trust-ncg", "trust-krylov")
#: Minibatch solvers, ``MLPClassifier``'s: each iteration is an epoch over shuffled minibatches.
STOCHASTIC_SOLVERS = ("sgd", "adam")
#: ``MLPClassifier``'s L-BFGS: L-BFGS-B with its rules (the gradient test alone; early
#: stopping is not used).
MLP_LBFGS = "lbfgs"
SOLVERS = FIRST_ORDER_SOLVERS + SECOND_ORDER_SOLVERS + (MLP_LBFGS, *STOCHASTIC_SOLVERS)
#: L-BFGS-B's memory: how many past steps shape its estimate of the curvature.
LBFGS_MEMORY = 10


class Problem(NamedTuple):
    """What is minimised: a network's cost over data, with its regularisation.

    ``X``, ``Y`` and ``sample_weight`` are arrays of one placement (numpy,
    sparse or another array-API namespace in memory, dask on a cluster); ``Y``
    holds 0/1 targets, one column per output unit; ``multilabel`` says that a
    row may have several.
    """

    network: Network
    X: object
    Y: object
    sample_weight: object = None
    alpha: float = 0.0
    multilabel: bool = False


class Objective:
    """``J`` and its gradient for the solver, from data in memory, remembering its last point.

    The solver calls it with a float64 vector and gets float64 back whatever
    the data's dtype.  scipy's callback sees each accepted point but not its
    cost; that point was nearly always the last one evaluated, so the
    remembered value answers without a second evaluation.

    A placement whose data live elsewhere subclasses it and replaces
    :meth:`_evaluate`, :meth:`hessp`, :meth:`saturation` and :meth:`threads`;
    what it cannot do it names in :attr:`unsupported`.
    """

    #: How errors name this placement.
    placement = "Fitting in memory"
    #: Settings this placement cannot honour: name -> why.
    unsupported = {}

    @classmethod
    def refuse(cls, settings):
        """Raise a ValueError for the first setting in :attr:`unsupported` that is on."""
        for name, reason in cls.unsupported.items():
            if getattr(settings, name):
                raise ValueError(f"{cls.placement}: {reason}.")

    def __init__(self, problem):
        self.problem, self.network = self._prepared(problem), problem.network
        self.n_evaluations = 0
        self._last = (None, None, None)

    @staticmethod
    def _prepared(problem):
        """The problem with its repeated rows merged into weights (numpy and sparse rows)."""
        if namespace(problem.X) is not np:  # row hashing reads numpy memory
            return problem
        X, Y, weights = merge_duplicates(problem.X, problem.Y, problem.sample_weight)
        return problem._replace(X=X, Y=Y, sample_weight=weights)

    def __call__(self, params):
        x, J, grad = self._last
        if x is not None and np.array_equal(params, x):
            return J, grad.copy()
        J, grad = self._evaluate(params)
        grad = to_numpy(grad).astype(np.float64, copy=False)  # the solver's, on the host
        self.n_evaluations += 1
        self._last = (np.array(params, dtype=np.float64), J, grad)
        return J, grad.copy()

    def _evaluate(self, params):
        p = self.problem
        return self.network.loss_gradient(params, p.X, p.Y, p.sample_weight, alpha=p.alpha)

    def hessp(self, params, vector):
        """The Hessian of ``J`` at ``params`` times ``vector``, in float64."""
        p = self.problem
        return to_numpy(self.network.hessian_product(params, vector, p.X, p.Y, p.sample_weight,
                                                     alpha=p.alpha)).astype(np.float64)

    def saturation(self, params):
        """Share of saturated first-layer units at ``params`` (see ``Network.saturation``)."""
        return self.network.saturation(params, self.problem.X)

    def threads(self, n_threads):
        """The BLAS thread setting to evaluate under, for the whole fit."""
        return blas_threads(n_threads, self.network.layer_sizes, self.problem.X.shape[0])

    def close(self):
        """The fit is over: release what the objective holds."""


class WeightFacts(NamedTuple):
    """What the weight rules need to know of a placement's sample weights."""

    negative: bool  #: any weight below zero
    finite: bool  #: every weight finite
    positive: bool  #: any weight above zero
    total: float  #: their sum


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


def check_fit_memory(layer_sizes, n_rows, itemsize, solver, available=None):
    """Refuse, before anything is allocated, a fit whose arrays cannot fit in memory.

    The package's one estimate of a fit's memory.  Per row: four arrays per
    hidden unit (activation, slope, and two for the errors passed down) and a
    row of ones per hidden layer,
    five per output (targets, pre-activation, cost terms, exponentials,
    error), and four for the labels, their codes, the row hashes and weights.
    Per parameter, in float64: L-BFGS-B's
    history of ``2 m`` corrections and about 24 other vectors (its work
    arrays, scipy's copies of the point and gradient, the objective's, the
    evaluation's gradient and penalty; a 2 x 200,000 fit measured 39.7 in
    all), or BFGS's dense inverse Hessian.  The error names the parameter
    that makes the fit large.
    """
    n_params = Network(layer_sizes).n_params
    hidden, outputs = layer_sizes[1:-1], layer_sizes[-1]
    per_row = 4 * sum(hidden) + len(hidden) + 5 * outputs + 4
    vectors = n_params + 12 if solver == "BFGS" else 2 * LBFGS_MEMORY + 24
    needed = itemsize * (n_rows * per_row + 3 * np.getbufsize()) + 8 * n_params * vectors
    if solver == "BFGS" and 8 * n_params**2 > needed / 2:
        cause = (f"solver='BFGS' keeps a dense {n_params}x{n_params} matrix "
                 f"({format_bytes(8 * n_params**2)})")
        remedy = "Use solver='L-BFGS-B', which keeps a few vectors instead."
    elif outputs > 2 * sum(hidden):
        cause = f"y has {outputs} classes, one output unit and one target column each"
        remedy = "Use fewer classes or fewer samples per fit (a Dask cluster spreads them)."
    else:
        cause = f"hidden_layer_sizes={tuple(hidden)} with {n_rows} samples"
        remedy = ("Use fewer or smaller hidden layers, or fewer samples per fit (a Dask "
                  "cluster spreads them).")
    check_memory(needed, f"This fit ({cause})", remedy, available)


def solver_options(solver, max_iter, max_fun, tol):
    """The ``options`` of :func:`scipy.optimize.minimize` for the estimator's limits.

    ``tol`` bounds the gradient at the solution, as ``MLPClassifier`` passes
    its ``tol`` to L-BFGS-B's ``gtol`` (Newton-CG has no gradient test: there
    it bounds the step, ``xtol``); None keeps the solver's own defaults.
    """
    if solver == "TNC":  # counts evaluations only
        options = {"maxfun": min(max_iter, max_fun)}
    elif solver == "L-BFGS-B":
        options = {"maxiter": max_iter, "maxfun": max_fun, "maxcor": LBFGS_MEMORY}
    else:
        options = {"maxiter": max_iter}
    if tol is not None:
        options["xtol" if solver == "Newton-CG" else "gtol"] = tol
    return options


def minimize(objective, x0, solver, *, max_iter, max_fun, tol, observers=()):
    """Minimise ``objective`` from ``x0`` with ``scipy.optimize.minimize(method=solver)``.

    Records ``J`` after each iteration and shows every observer each step;
    stops when one asks to (except TNC; the result's message is then that
    observer's ``reason``), or after ``max_fun`` evaluations (solvers without
    their own ``maxfun`` are stopped at the end of the iteration that
    reaches it).
    """
    x0 = np.asarray(x0, dtype=np.float64)
    initial_loss = objective(x0)[0]
    for observer in observers:
        observer.start(x0, initial_loss)
    loss_curve, stopped_by, out_of_evaluations = [], [], []

    def callback(xk):
        J = objective(xk)[0]  # remembered: xk was just evaluated
        loss_curve.append(J)
        step = Step(len(loss_curve), xk, J)
        stop = [observer.step(step) for observer in observers]  # every observer sees it
        if solver != "TNC" and (any(stop) or objective.n_evaluations >= max_fun):
            stopped_by.extend(o for o, asked in zip(observers, stop) if asked)
            out_of_evaluations.append(objective.n_evaluations >= max_fun)
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
    message = stopped_by[0].reason if stopped_by and not limit else str(result.message)
    if limit == "max_fun" and out_of_evaluations:  # scipy's words would blame the callback
        message = (f"stopped after {objective.n_evaluations} evaluations of the cost, "
                   f"max_fun={max_fun}")
    return Result(result.x, J, initial_loss, loss_curve, len(loss_curve),
                  objective.n_evaluations, message, limit)


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
    # The stochastic solvers' (MLPClassifier's names and defaults; others ignore them).
    batch_size: object = "auto"
    learning_rate: str = "constant"
    learning_rate_init: float = 0.001
    power_t: float = 0.5
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    shuffle: bool = True
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8

    @classmethod
    def of(cls, estimator):
        """The settings of an estimator that has parameters of these names."""
        return cls(**{name: getattr(estimator, name) for name in cls._fields})

    @property
    def stochastic(self):
        """Whether the solver takes minibatches (``"sgd"``, ``"adam"``)."""
        return self.solver in STOCHASTIC_SOLVERS

    @property
    def method(self):
        """The :func:`scipy.optimize.minimize` method of a full-batch solver."""
        return "L-BFGS-B" if self.solver == MLP_LBFGS else self.solver

    def batch_rows(self, n_rows):
        """Rows per minibatch: ``batch_size`` (``"auto"``: 200) clipped to ``n_rows``."""
        return min(200 if self.batch_size == "auto" else int(self.batch_size), n_rows)

    def update_rule(self, n_params):
        """A new update rule of the stochastic solver (:mod:`sknn_digits.core.optimizers`)."""
        if self.solver == "sgd":
            return SGD(n_params, self.learning_rate_init, self.learning_rate, self.momentum,
                       self.nesterovs_momentum, self.power_t)
        return Adam(n_params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)


class Minibatches(NamedTuple):
    """A stochastic solver's state between epochs and ``partial_fit`` calls."""

    rule: object  #: the update rule, with its velocities or moments and learning rate
    rng: object  #: the RandomState that shuffles each epoch
    samples_seen: int  #: samples its updates have seen, for ``"invscaling"``


def _rows(A, index):
    """The rows ``index`` (a slice or integer array) of a numpy, sparse or array-API array."""
    if A is None or isinstance(index, slice) or namespace(A) is np:
        return None if A is None else A[index]
    xp = namespace(A)
    return xp.take(A, xp.asarray(index, device=device_of(A)), axis=0)


def minimize_stochastic(problem, x0, settings, state, observers, max_epochs):
    """Epochs of minibatch updates from ``x0``: ``MLPClassifier``'s sgd and adam.

    Each epoch goes through the rows once, shuffled by ``state.rng`` when
    ``settings.shuffle``, in minibatches of :meth:`Settings.batch_rows`; each
    minibatch's ``J`` (its mean cost plus ``alpha / (2 m)`` times the squared
    weights, ``m`` its rows) and gradient come from the problem's network,
    and the update rule turns the gradient into a step.  The epoch's ``J``
    is the mean of its minibatches' weighted by their rows, as
    ``MLPClassifier``'s ``loss_``.  The observers see each epoch; when one
    asks to stop an ``"adaptive"`` learning rate is divided by 5 instead,
    until it is spent.

    Returns the :class:`Result` and the :class:`Minibatches` state to go on from.
    """
    network, X, Y, weights = problem.network, problem.X, problem.Y, problem.sample_weight
    n_rows = X.shape[0]
    batch = settings.batch_rows(n_rows)
    rule, rng, samples_seen = state
    params = np.array(x0, dtype=np.float64)
    for observer in observers:
        observer.start(params, np.inf)  # every first epoch is an improvement, as MLPClassifier's
    loss_curve, message, limit, n_batches = [], "", "", 0
    while len(loss_curve) < max_epochs:
        order = rng.permutation(n_rows) if settings.shuffle else None
        total = 0.0
        for start in range(0, n_rows, batch):
            rows = slice(start, start + batch) if order is None else order[start:start + batch]
            J, grad = network.loss_gradient(params, _rows(X, rows), _rows(Y, rows),
                                            _rows(weights, rows), alpha=problem.alpha)
            rule.update(params, to_numpy(grad).astype(np.float64, copy=False))
            total += float(J) * min(batch, n_rows - start)
            n_batches += 1
        samples_seen += n_rows
        rule.epoch_ended(samples_seen)
        loss_curve.append(total / n_rows)
        step = Step(len(loss_curve), params, loss_curve[-1])
        asked = [o for o, stop in zip(observers, [o.step(step) for o in observers]) if stop]
        if asked and all(isinstance(o, (LossPlateau, EarlyStopping)) for o in asked) \
                and rule.lower_rate():
            for observer in asked:  # the adaptive rate: lower it and wait again
                observer.stale = 0
        elif asked:
            message = asked[0].reason
            break
    else:
        limit, message = "max_iter", f"reached max_iter={settings.max_iter} epochs"
    for observer in observers:
        observer.close()
    result = Result(params, loss_curve[-1], np.inf, loss_curve, len(loss_curve), n_batches,
                    message, limit)
    return result, Minibatches(rule, rng, samples_seen)


SATURATED = ("Most of the first hidden layer's units are saturated at the starting weights, "
             "so their gradients vanish and the fit cannot learn: scale the features (e.g. "
             "with MinMaxScaler or StandardScaler) or lower init_epsilon.")


#: Fewer validation rows than this cannot rank iterations: a warning says so.
MIN_VALIDATION_ROWS = 20


def validation_split(problem, fraction, random_state):
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
    if n_val < MIN_VALIDATION_ROWS:
        warn(f"early_stopping holds out {n_val} rows (validation_fraction={fraction:g} of "
             f"{X.shape[0]}): their accuracy moves in steps of 1/{n_val}, too coarse to tell "
             "a better iteration from a worse, so the fit may stop long before it has "
             "learned.  Use early_stopping=False (the cost test then stops the fit), or more "
             "data or a larger validation_fraction.", UserWarning)
    stratify = None if problem.multilabel else to_numpy(true_labels(Y))
    if weights is None:
        xp = namespace(X)
        weights = (np.ones(X.shape[0], dtype=Y.dtype) if xp is np else
                   xp.ones(X.shape[0], dtype=Y.dtype, device=device_of(X)))
    X, X_val, Y, Y_val, w, w_val = train_test_split(
        X, Y, weights, test_size=n_val, stratify=stratify, random_state=random_state
    )
    train = problem._replace(X=X, Y=Y, sample_weight=None if problem.sample_weight is None
                             else w)
    return train, (X_val, Y_val, w_val)


class Fit(NamedTuple):
    """What :func:`train` returns: the weights and the record of the fit."""

    params: np.ndarray  # in the training data's dtype
    loss: float
    loss_curve: list
    n_iter: int
    message: str
    validation_scores: list  # None without early stopping
    best_validation_score: float  # None without early stopping
    minibatches: object = None  # a stochastic solver's Minibatches, to go on from


def train(problem, x0, settings, objective_class=Objective, *, warm=False,
          previous_scores=None, observers=(), minibatches=None, incremental=False,
          samples_seen=0):
    """Train ``problem`` from ``x0`` with ``settings`` (a :class:`Settings`).

    ``objective_class`` is the placement's :class:`Objective` class.  ``warm`` says
    that ``x0`` is a previous fit's result (whose validation scores, if any,
    are ``previous_scores``); ``observers`` are watchers besides early
    stopping, ``verbose`` and those registered by
    :func:`~sknn_digits._observers.observing`.  ``incremental`` is one epoch
    of a stochastic solver (``partial_fit``), going on from ``minibatches``
    when given; ``samples_seen`` are those of earlier fits (a warm start's),
    which ``"invscaling"`` counts.  As ``MLPClassifier``, ``"lbfgs"`` and
    ``partial_fit`` use no early stopping, and ``"lbfgs"`` no cost test.
    """
    objective_class.refuse(settings)
    stopper = plateau = None
    if settings.early_stopping and settings.solver != MLP_LBFGS and not incremental:
        problem, validation = validation_split(problem, settings.validation_fraction,
                                               settings.random_state)
        stopper = EarlyStopping(validation, problem.network, problem.multilabel,
                                settings.n_iter_no_change,
                                1e-4 if settings.tol is None else settings.tol,
                                previous_scores if warm else None)
    elif settings.tol is not None and settings.solver != MLP_LBFGS:  # J does
        plateau = LossPlateau(settings.tol, settings.n_iter_no_change)
    watching = watchers(settings.verbose, [*filter(None, (stopper, plateau)), *observers])
    if settings.stochastic:
        if minibatches is None:
            from sklearn.utils import check_random_state

            minibatches = Minibatches(settings.update_rule(problem.network.n_params),
                                      check_random_state(settings.random_state), samples_seen)
        return _train_stochastic(problem, x0, settings, warm, watching, stopper, minibatches,
                                 incremental)
    objective = objective_class(problem)
    try:
        with objective.threads(settings.n_threads):
            if not warm and objective.saturation(x0) > 0.9:
                warn(SATURATED)
            result = minimize(objective, x0, settings.method, max_iter=settings.max_iter,
                              max_fun=settings.max_fun, tol=settings.tol, observers=watching)
            params, loss = result.params, result.loss
            if stopper is not None and stopper.best_params is not None:
                params, loss = stopper.best_params, objective(stopper.best_params)[0]
    finally:
        objective.close()
    check_result(result, params, loss, problem, settings, warm)
    return Fit(np.array(params, dtype=host_dtype(problem.X)), float(loss), result.loss_curve,
               result.n_iter, result.message, None if stopper is None else stopper.scores,
               None if stopper is None else stopper.best_score)


def _train_stochastic(problem, x0, settings, warm, watching, stopper, minibatches, incremental):
    """:func:`train` for the stochastic solvers: epochs under one BLAS setting; one epoch and
    no limit to warn of for ``incremental`` (``partial_fit``)."""
    if not warm and problem.network.saturation(x0, problem.X) > 0.9:
        warn(SATURATED)
    batch = settings.batch_rows(problem.X.shape[0])
    with blas_threads(settings.n_threads, problem.network.layer_sizes, batch):
        result, minibatches = minimize_stochastic(problem, x0, settings, minibatches, watching,
                                                  1 if incremental else settings.max_iter)
    if incremental:
        result = result._replace(limit="", message="one epoch (partial_fit)")
    params = result.params
    if stopper is not None and stopper.best_params is not None:  # MLPClassifier's: the best
        params = stopper.best_params
    check_result(result, params, result.loss, problem, settings, warm)
    return Fit(np.array(params, dtype=host_dtype(problem.X)), float(result.loss),
               result.loss_curve, result.n_iter, result.message,
               None if stopper is None else stopper.scores,
               None if stopper is None else stopper.best_score, minibatches)


def check_result(result, params, loss, problem, settings, warm):
    """Refuse a non-finite result; warn with the cause when the fit did not converge."""
    if not (np.isfinite(loss) and np.isfinite(params).all()):
        raise ValueError(
            f"The fit ended with a non-finite cost (J = {loss}): the features (largest |x| = "
            f"{_largest(problem.X):.3g}) or alpha = {problem.alpha:g} are too large for "
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


def _largest(X):
    """The largest ``|x|`` of ``X`` (numpy, sparse, dask or another namespace)."""
    xp = namespace(X)
    return float(abs(X).max() if xp is np or hasattr(X, "__dask_graph__")
                 else xp.max(xp.abs(X)))
