"""Everything that watches a fit's iterations.

The solver driver (:func:`sknn_digits._training.minimize`) shows each
:class:`Observer` the start, every finished iteration (a :class:`Step`) and
the end.  The observers are :class:`EarlyStopping`, :class:`VerboseLog`, the
bridge to scikit-learn's fit callbacks (:class:`SklearnCallbacks`), and
whatever a program registered with :func:`observing` (the command line shows
its progress that way); :func:`watchers` lists them for one fit.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

import numpy as np

from .core import OUTPUTS, namespace, true_labels

__all__ = [
    "EarlyStopping",
    "LossPlateau",
    "Observer",
    "Progress",
    "SklearnCallbacks",
    "Step",
    "VerboseLog",
    "observing",
    "registered_observers",
    "watchers",
]


class Step(NamedTuple):
    """One finished solver iteration: its number (from 1), its weights and ``J`` there."""

    n_iter: int
    params: np.ndarray
    loss: float

    def __str__(self):
        return f"Iteration {self.n_iter}, loss = {self.loss:.8f}"


class Observer:
    """Sees a fit's iterations: ``start`` once, ``step`` after each, ``close`` at the end.

    ``step`` returns True to ask the solver to stop (TNC cannot be stopped);
    :attr:`reason` then says why, as the fit's ``solver_message_``.  The
    parameter vectors it is shown belong to the solver: copy to keep them.
    """

    #: Why this observer stopped a fit.
    reason = "an observer asked the solver to stop"

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
    >>> from sknn_digits._observers import Observer, observing
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


class Progress(Observer):
    """Shows each fit's iterations on ``stream``, compactly (the command line's display).

    On a terminal one line is rewritten in place; elsewhere (a log, a pipe)
    every ``every``-th iteration gets a line.
    """

    def __init__(self, stream, every=25):
        self.stream, self.every, self.count = stream, every, 0
        self.interactive = stream.isatty()

    def step(self, step):
        line = str(step)
        self.count += 1
        if self.interactive:
            self.stream.write(f"\r{line}   ")
        elif self.count % self.every == 0:
            self.stream.write(line + "\n")
        self.stream.flush()
        return False

    def close(self):
        if self.interactive and self.count:
            self.stream.write("\n")
        self.count = 0


class LossPlateau(Observer):
    """Says to stop once ``J`` has not fallen by ``tol`` for more than ``patience`` iterations.

    ``MLPClassifier``'s rule for its stochastic solvers, here for the
    deterministic ones.  ``J`` is a mean over samples of the output units'
    cross-entropies, in nats per sample whatever the network's shape or the
    scale of its weights.  While it falls by less than ``tol`` an
    iteration, the training data's average log-likelihood (and so the
    model's probabilities, on average) changes by less than a fraction
    ``tol`` per iteration.  The gradient test (``gtol``) alone measures the
    weights' scale instead, and on the course's sigmoid outputs it goes on
    for hundreds of iterations after the held-out accuracy has settled:
    ``J`` falls along flat directions that no longer change a prediction.
    """

    def __init__(self, tol, patience):
        self.tol, self.patience = tol, patience
        self.reason = f"J did not fall by tol={tol:g} for more than {patience} iterations"
        self.best, self.stale = np.inf, 0

    def start(self, params, loss):
        self.best, self.stale = loss, 0

    def step(self, step):
        self.stale = 0 if step.loss < self.best - self.tol else self.stale + 1
        self.best = min(self.best, step.loss)
        return self.stale > self.patience


class EarlyStopping(Observer):
    """Scores held-out data after each iteration, says when to stop, keeps the best weights.

    The score is the (sample-weighted) accuracy, with the output's own
    decision rule.  The best is chosen among the iterations; the starting
    point competes only when it is a warm start's previous best.
    """

    def __init__(self, validation, network, multilabel, patience, tol, previous=None):
        self.reason = (f"the validation score did not improve by tol={tol:g} for more "
                       f"than {patience} iterations")
        self.X_val, Y_val, self.w_val = validation
        self.truth = true_labels(Y_val, multilabel)
        self.network, self.multilabel = network, multilabel
        self.labels = OUTPUTS[network.output].labels
        self.patience, self.tol = patience, tol
        self.scores, self.best_score = list(previous or ()), -np.inf
        self.best_params, self.stale = None, 0
        self.warm = previous is not None

    def accuracy(self, params):
        z = self.network.decision(params, self.X_val)
        correct = self.labels(z, self.multilabel) == self.truth
        xp = namespace(correct)
        if correct.ndim == 2:  # multilabel: every label right
            correct = xp.all(correct, axis=1)
        if xp is np:
            return float(np.average(correct, weights=self.w_val))
        weights = self.w_val
        return float(xp.sum(xp.astype(correct, weights.dtype) * weights) / xp.sum(weights))

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
        self.network, self.iteration = problem.network, None
        self.per_iteration = hasattr(estimator, "_skl_callbacks")
        # Up to max_iter iterations, plus the task begun after the last one.
        self.context = estimator._init_callback_context(max_subtasks=estimator.max_iter + 1)
        self.context.call_on_fit_task_begin(
            estimator=estimator, X=self.X, y=y, metadata=self.metadata)

    def _hook(self, context, hook, params):
        # A copy (the solver's vector changes), where the data are.
        coefs, intercepts = self.network.unpack(np.array(params), like=self.X)
        return getattr(context, hook)(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes={
                **self.attributes, "coefs_": coefs, "intercepts_": intercepts,
                "n_layers_": len(self.network.layer_sizes),
                "n_outputs_": self.network.layer_sizes[-1]},
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


def watchers(verbose, observers):
    """Every observer of a fit: ``verbose``'s log, ``observers``, those of :func:`observing`."""
    return [*([VerboseLog()] if verbose else []), *observers, *registered_observers()]
