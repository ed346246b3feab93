"""Data-parallel training on a Dask cluster: ``fit`` on dask arrays.

``J`` and its gradient are sums over samples, so one evaluation is a map over
the data's row chunks and a sum.  The chunks are persisted on the workers
once; each evaluation scatters the parameter vector to every worker, runs one
task per chunk on the worker that holds it (the data term of
:func:`~sknn_digits.core.loss_and_gradient` with the whole set's normaliser),
adds the results up by a tree reduction on the workers, and brings one
``(J, gradient)`` pair back, to which the client adds the penalty.  Hessian
products (Newton-CG, trust-ncg, trust-krylov) go the same way.  The scipy
solver runs on the client, unchanged; the client holds parameter-sized
vectors (the solver's own and a few more), never the data.

The estimator comes here only for dask collections; dask itself (the
``cluster`` extra, ``dask[distributed]``) is imported inside the functions.
"""

import uuid

import numpy as np

from . import _training as training
from .core import hessian_vector_product, loss_and_gradient, penalty

EXTRA = 'pip install "sknn_digits[cluster]"'


def is_dask(value):
    """Whether ``value`` is a dask Array, DataFrame or Series (dask is not imported)."""
    return hasattr(value, "__dask_graph__")


def client():
    """The ``dask.distributed`` client the user has open."""
    try:
        from distributed import get_client
    except ImportError:
        raise ImportError(f"Fitting on dask arrays needs dask.distributed: {EXTRA}") from None
    try:
        return get_client()
    except ValueError:
        raise ValueError(
            "Fitting on dask arrays needs a dask.distributed Client: open one first, e.g. "
            "Client(LocalCluster()) on this machine or Client('tcp://scheduler:8786').") from None


def _array(value, name):
    """A dask array from a dask Array, DataFrame or Series (row lengths computed)."""
    import dask.array as da

    if hasattr(value, "to_dask_array"):  # DataFrame or Series
        value = value.to_dask_array(lengths=True)
    if not isinstance(value, da.Array):
        raise TypeError(f"{name} must be a dask Array, DataFrame or Series, got "
                        f"{type(value).__name__}.")
    if any(np.isnan(c) for c in value.chunks[0]):
        value = value.compute_chunk_sizes()
    return value


def check_inputs(X, y, sample_weight, n_features=None):
    """``X`` (float, chunked by rows only), ``y`` and ``sample_weight`` chunked like ``X``."""
    import dask.array as da

    X = _array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got a dask array of shape {X.shape}.")
    if hasattr(X._meta, "tocsr") or type(X._meta).__module__.startswith("scipy.sparse"):
        raise TypeError("Sparse dask chunks are not supported: the data-parallel fit takes "
                        "dense chunks (X.map_blocks(lambda b: b.toarray())).")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the model was fitted with "
                         f"{n_features}.")
    X = X.rechunk({1: -1})  # whole rows in each chunk
    y = y if is_dask(y) else da.from_array(np.asarray(y), chunks=(X.chunks[0],))
    y = _array(y, "y")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}.")
    # Read (and kept on the workers) once, before anything else looks at it.
    X, y = client().persist([X, y])
    if not bool(da.isfinite(X).all().compute()):
        raise ValueError("Input X contains NaN or infinity.")
    y = y.rechunk({0: X.chunks[0], **({1: -1} if y.ndim == 2 else {})})
    if sample_weight is not None:
        if not is_dask(sample_weight):
            sample_weight = da.from_array(np.asarray(sample_weight, dtype=X.dtype),
                                          chunks=(X.chunks[0],))
        sample_weight = _array(sample_weight, "sample_weight").astype(X.dtype)
        if sample_weight.shape != (X.shape[0],):
            raise ValueError(f"sample_weight must have shape ({X.shape[0]},), got "
                             f"{sample_weight.shape}.")
        sample_weight = sample_weight.rechunk((X.chunks[0],))
    return X, y, sample_weight


def labels(y):
    """A small stand-in for ``y`` with its classes, for fitting the label encoder.

    1-D labels: their distributed unique values.  A 2-D 0/1 indicator matrix:
    checked on the workers, then its identity rows.
    """
    import dask.array as da

    if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
        return da.unique(y.ravel()).compute()
    values = da.unique(y).compute()
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError("A 2-D y must be a 0/1 multilabel indicator matrix, got values "
                         f"{values[:10].tolist()}.")
    return np.vstack([np.eye(y.shape[1], dtype=y.dtype), np.zeros(y.shape[1], y.dtype)])


def class_weights(class_weight, y, classes, dtype):
    """Each sample's class weight, computed blockwise from a table built on the client."""
    import dask.array as da

    if class_weight == "balanced":
        values, counts = (np.asarray(a) for a in da.compute(*da.unique(y, return_counts=True)))
        table = dict(zip(values.tolist(), (y.shape[0] / (len(values) * counts)).tolist()))
    else:
        table = dict(class_weight)
    factors = np.array([table.get(c, 1.0) for c in classes.tolist()], dtype=dtype)

    def lookup(block):
        return factors[np.searchsorted(classes, block)]

    return y.ravel().map_blocks(lookup, dtype=dtype)


# ---------------------------------------------------------------- the objective


#: Each worker thread's workspace for the fit that is running, by (fit, thread):
#: one chunk's activation-sized arrays, reused by every chunk and evaluation.
#: Workers trim freed memory back to the system, so fresh arrays would be
#: page-faulted in again at every evaluation (measured: twice the time).
_WORKSPACES = {}


def _workspace(fit):
    import threading

    return _WORKSPACES.setdefault((fit, threading.get_ident()), {})


def _release(fit):
    """Drop a finished fit's workspaces (runs on every worker)."""
    for key in [key for key in _WORKSPACES if key[0] == fit]:
        del _WORKSPACES[key]


def _chunk_terms(params, X, Y, w, problem, m, fit):
    """One chunk's share of ``J`` and its gradient (runs on a worker)."""
    return loss_and_gradient(params, problem.layer_sizes, X, Y, 0.0, problem.activation,
                             problem.output, w, workspace=_workspace(fit), normaliser=m)


def _chunk_hessp(params, vector, X, Y, w, problem, m, fit):
    return hessian_vector_product(params, vector, problem.layer_sizes, X, Y, 0.0,
                                  problem.activation, problem.output, w, normaliser=m)


def _add(*parts):
    """Sum of ``(J, grad)`` pairs, or of vectors (runs on a worker)."""
    if isinstance(parts[0], tuple):
        return sum(p[0] for p in parts), sum(p[1] for p in parts)
    return sum(parts)


class DistributedObjective(training.Objective):
    """:class:`~sknn_digits._training.Objective` over chunks held by the workers.

    ``problem.X``, ``problem.Y`` and ``problem.sample_weight`` are dask
    arrays chunked alike by rows; they are persisted once, and each
    evaluation is one task per chunk plus a tree of additions.
    """

    def __init__(self, problem, client):
        import dask
        import distributed

        super().__init__(problem)
        self.client = client
        weights = problem.sample_weight
        arrays = [problem.X, problem.Y] + ([] if weights is None else [weights])
        arrays = client.persist(arrays)  # the chunks stay on the workers from here on
        blocks = [a.to_delayed().ravel() for a in arrays]
        if weights is None:
            blocks.append([None] * len(blocks[0]))
        self.blocks = [client.compute(list(chunk)) for chunk in zip(*blocks)]
        # Neighbours in the list are added first: keep each worker's chunks
        # together, so the tree's lower levels add up results where they are.
        distributed.wait([chunk[0] for chunk in self.blocks])
        holders = client.who_has([chunk[0] for chunk in self.blocks])
        self.blocks.sort(key=lambda chunk: sorted(holders.get(chunk[0].key, ()))[:1])
        self.m = float(problem.X.shape[0] if weights is None
                       else dask.compute(arrays[2].sum())[0])
        self._keep = arrays  # the persisted collections own the chunks
        self.fit = uuid.uuid4().hex  # names this fit's workspaces on the workers
        # The workers need only the problem's small parts.
        self.small = problem._replace(X=None, Y=None, sample_weight=None)

    def _map_sum(self, function, *vectors):
        """``function`` on every chunk where it lives, tree-summed: one graph per evaluation."""
        from dask import delayed

        shared = [self.client.scatter(v, broadcast=True, hash=False) for v in vectors]
        parts = [delayed(function, pure=False)(*shared, *chunk, self.small, self.m, self.fit)
                 for chunk in self.blocks]
        while len(parts) > 1:  # a tree reduction, on the workers
            parts = [delayed(_add, pure=False)(*parts[i: i + 2]) if i + 1 < len(parts)
                     else parts[i] for i in range(0, len(parts), 2)]
        return self.client.compute(parts[0], optimize_graph=False).result()

    def _evaluate(self, params):
        J, grad = self._map_sum(_chunk_terms, np.asarray(params, dtype=np.float64))
        value, penalty_grad = penalty(params, self.problem.layer_sizes, self.problem.alpha,
                                      self.m)
        return J + value, grad + penalty_grad

    def close(self):
        """Free the workspaces the workers keep for this fit."""
        self.client.run(_release, self.fit)

    def hessp(self, params, vector):
        hv = self._map_sum(_chunk_hessp, np.asarray(params, np.float64),
                           np.asarray(vector, np.float64))
        penalty_hv = penalty(vector, self.problem.layer_sizes, self.problem.alpha, self.m)[1]
        return (hv + penalty_hv).astype(np.float64)


UNSUPPORTED = {
    "early_stopping": "early_stopping needs a validation split kept on the workers, which "
                      "the data-parallel fit does not make yet; hold out a part yourself and "
                      "score it",
}


def train(problem, x0, settings, multilabel, *, warm=False, previous_scores=None,
          observers=()):
    """:func:`~sknn_digits._training.train` for dask arrays on the user's cluster."""
    for name, reason in UNSUPPORTED.items():
        if getattr(settings, name):
            raise ValueError(f"Fitting on dask arrays: {reason}.")
    objective = DistributedObjective(problem, client())
    try:
        result = training.minimize(objective, x0, settings.solver, max_iter=settings.max_iter,
                                   max_fun=settings.max_fun, tol=settings.tol,
                                   observers=training.watchers_of(settings, observers))
    finally:
        objective.close()
    training._check_result(result, result.params, result.loss, problem, settings, warm)
    return training.Fit(np.array(result.params, dtype=problem.X.dtype), float(result.loss),
                        result.loss_curve, result.n_iter, result.message, None, None)


# ---------------------------------------------------------------- predictions


def map_rows(method, X, n_features, columns, dtype):
    """``method`` applied to each row chunk of dask ``X``, lazily: a dask array.

    ``columns`` is the number of output columns, or None for one value per row.
    """
    X = _array(X, "X")
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"X has shape {X.shape}, but the model was fitted with "
                         f"{n_features} features.")
    X = X.rechunk({1: -1})
    if columns is None:
        return X.map_blocks(method, drop_axis=1, dtype=dtype, meta=np.empty((0,), dtype))
    return X.map_blocks(method, chunks=(X.chunks[0], (columns,)), dtype=dtype,
                        meta=np.empty((0, columns), dtype))


def encode(y, binarizer, dtype):
    """The 0/1 targets of dask labels ``y``, blockwise."""
    columns = binarizer.transform(binarizer.classes_[:1] if y.ndim == 1
                                  else np.zeros((1, y.shape[1]), y.dtype)).shape[1]

    def block(labels):
        return binarizer.transform(labels).astype(dtype)

    return y.map_blocks(block, chunks=(y.chunks[0], (columns,)), dtype=dtype,
                        **({"new_axis": 1} if y.ndim == 1 else {}),
                        meta=np.empty((0, columns), dtype))


def sample_weight(weights, class_weight, y, classes, multilabel, dtype):
    """Validated sample weights times class weights, as a dask array, or None."""
    import dask

    if class_weight is not None:
        if multilabel:
            raise ValueError("class_weight is not supported for multilabel targets.")
        factors = class_weights(class_weight, y, classes, dtype)
        weights = factors if weights is None else weights * factors
    if weights is None:
        return None
    import dask.array as da

    negative, finite, positive = dask.compute((weights < 0).any(), da.isfinite(weights).all(),
                                              (weights > 0).any())
    if negative or not finite:
        raise ValueError("sample_weight must be finite and non-negative.")
    if not positive:
        raise ValueError("sample_weight (times class_weight) is zero for every sample: "
                         "at least one weight must be positive.")
    return weights


def score(estimator, X, y, weights=None):
    """Mean accuracy on dask inputs, as a lazy dask scalar."""
    import dask.array as da

    predicted = estimator.predict(X)
    y = y if is_dask(y) else da.from_array(np.asarray(y), chunks=predicted.chunks[:y.ndim])
    y = _array(y, "y").rechunk(predicted.chunks[:1] + ((() if y.ndim == 1 else (-1,))))
    correct = predicted == y
    if correct.ndim == 2:  # multilabel: every label right
        correct = correct.all(axis=1)
    if weights is None:
        return correct.mean()
    return (correct * weights).sum() / da.asarray(weights).sum()
