"""Data-parallel training on a Dask cluster: ``fit`` on dask arrays.

``J`` and its gradient are sums over samples, so one evaluation is a map over
the data's row chunks and a sum.  The chunks are persisted on the workers
once; each evaluation scatters the parameter vector to every worker, runs one
task per chunk on the worker that holds it (the data term of
:meth:`~sknn_digits.core.Network.loss_gradient` with the whole set's normaliser,
on the fit's one copy of the network on that worker),
adds the results up by a tree reduction on the workers (in the chunks' order,
so that a seeded fit is the same to the bit run after run), and brings one
``(J, gradient)`` pair back, to which the client adds the penalty.  Hessian
products (Newton-CG, trust-ncg, trust-krylov) go the same way.  The scipy
solver runs on the client, unchanged; the client holds parameter-sized
vectors (the solver's own and a few more), never the data.

This module is the cluster's *placement*: :class:`OnDask` prepares the data
(validated, encoded and weighed on the workers, with the rules of
:mod:`sknn_digits._data`), :class:`DistributedObjective` is the objective
that :func:`sknn_digits._training.train` minimises, and :func:`blockwise`
runs predictions chunk by chunk.  The estimator comes here only for dask
collections; dask itself (the ``cluster`` extra, ``dask[distributed]``) is
imported inside the functions.
"""

import functools
from contextlib import contextmanager, nullcontext

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._training import Objective, WeightFacts
from .core import aligned

EXTRA = 'pip install "sknn_digits[cluster]"'


def is_dask(value):
    """Whether ``value`` is a dask Array, DataFrame or Series (dask is not imported)."""
    return hasattr(value, "__dask_graph__")


def get_client():
    """The ``dask.distributed`` client the user has open."""
    try:
        from distributed import get_client as current_client
    except ImportError:
        raise ImportError(f"Fitting on dask arrays needs dask.distributed: {EXTRA}") from None
    try:
        return current_client()
    except ValueError:
        raise ValueError(
            "Fitting on dask arrays needs a dask.distributed Client: open one first, e.g. "
            "Client(LocalCluster()) on this machine or Client('tcp://scheduler:8786').") from None


def _as_dask_array(value, name):
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


# ---------------------------------------------------------------- the objective


def _chunk_terms(network, params, X, Y, w, m):
    """One chunk's share of ``J`` and its gradient (runs on a worker).

    ``network`` is the fit's one copy on this worker, so its reused arrays
    (one set per worker thread) last from evaluation to evaluation: workers
    trim freed memory back to the system, and fresh arrays would be
    page-faulted in again at every evaluation (measured: twice the time).
    """
    return network.loss_gradient(params, X, Y, w, normaliser=m)


def _chunk_hessp(network, params, vector, X, Y, w, m):
    return network.hessian_product(params, vector, X, Y, w, normaliser=m)


def _chunk_saturation(network, params, X, Y, w, m):
    return network.saturation(params, X)


def _sum_of(*parts):
    """Sum of ``(J, grad)`` pairs, or of vectors (runs on a worker)."""
    if isinstance(parts[0], tuple):
        return sum(p[0] for p in parts), sum(p[1] for p in parts)
    return sum(parts)


class DistributedObjective(Objective):
    """:class:`~sknn_digits._training.Objective` over chunks held by the workers.

    ``problem.X``, ``problem.Y`` and ``problem.sample_weight`` are dask
    arrays chunked alike by rows; they are persisted once, the network is
    sent to every worker once, and each evaluation is one task per chunk
    plus a tree of additions.  The penalty is added on the client.
    """

    placement = "Fitting on dask arrays"
    unsupported = {
        "early_stopping": "early_stopping needs a validation split kept on the workers, which "
                          "the data-parallel fit does not make yet; hold out a part yourself "
                          "and score it",
        "stochastic": "the stochastic solvers (sgd, adam) take minibatches of rows one after "
                      "another, which a data-parallel fit over chunks does not; use a "
                      "full-batch solver such as solver='L-BFGS-B', or partial_fit over the "
                      "chunks one at a time",
    }

    def __init__(self, problem):
        import dask
        import distributed

        super().__init__(problem)
        self.client = client = get_client()
        weights = problem.sample_weight
        arrays = [problem.X, problem.Y] + ([] if weights is None else [weights])
        arrays = client.persist(arrays)  # the chunks stay on the workers from here on
        blocks = [a.to_delayed().ravel() for a in arrays]
        if weights is None:
            blocks.append([None] * len(blocks[0]))
        # In the data's order, whichever worker holds which chunk: the tree of
        # additions (neighbours first) then adds the chunks' terms in the same
        # order in every run, so a seeded fit gives the same weights to the bit.
        self.blocks = [client.compute(list(chunk)) for chunk in zip(*blocks)]
        distributed.wait([chunk[0] for chunk in self.blocks])
        self.m = float(problem.X.shape[0] if weights is None
                       else dask.compute(arrays[2].sum())[0])
        self._keep = arrays  # the persisted collections own the chunks
        # One copy of the network on each worker for the whole fit.
        self._network = client.scatter(self.network, broadcast=True, hash=False)

    @staticmethod
    def _prepared(problem):
        """The rows stay on the workers as they are (repeats are not looked for there)."""
        return problem

    def _map_sum(self, function, *vectors, blocks=None):
        """``function`` on every chunk where it lives, tree-summed: one graph per evaluation."""
        from dask import delayed

        with self.lost_workers():
            shared = [self.client.scatter(v, broadcast=True, hash=False) for v in vectors]
            parts = [delayed(function, pure=False)(self._network, *shared, *chunk, self.m)
                     for chunk in (self.blocks if blocks is None else blocks)]
            while len(parts) > 1:  # a tree reduction, on the workers
                parts = [delayed(_sum_of, pure=False)(*parts[i: i + 2]) if i + 1 < len(parts)
                         else parts[i] for i in range(0, len(parts), 2)]
            return self.client.compute(parts[0], optimize_graph=False).result()

    @contextmanager
    def lost_workers(self):
        """Workers that died (or a cluster that went away) mid-fit: one error that says so."""
        import concurrent.futures

        from distributed.comm import CommClosedError
        from distributed.scheduler import KilledWorker

        try:
            yield
        except (concurrent.futures.CancelledError, KilledWorker, CommClosedError) as error:
            try:
                alive = len(self.client.scheduler_info()["workers"])
            except Exception:  # the scheduler is gone too
                alive = 0
            raise ConnectionError(
                f"The Dask cluster lost the fit's data mid-fit: {alive} workers are left, "
                "and the chunks the lost ones held are gone "
                f"({type(error).__name__}). Start the workers again and refit.") from None

    def _evaluate(self, params):
        J, grad = self._map_sum(_chunk_terms, np.asarray(params, dtype=np.float64))
        value, penalty_grad = self.network.penalty(params, self.problem.alpha, self.m)
        return J + value, grad + penalty_grad

    def hessp(self, params, vector):
        hv = self._map_sum(_chunk_hessp, np.asarray(params, np.float64),
                           np.asarray(vector, np.float64))
        penalty_hv = self.network.penalty(vector, self.problem.alpha, self.m)[1]
        return (hv + penalty_hv).astype(np.float64)

    def saturation(self, params):
        """Read on the first chunk: a sample of the rows is enough to see saturation."""
        return self._map_sum(_chunk_saturation, np.asarray(params, np.float64),
                             blocks=self.blocks[:1])

    def threads(self, n_threads):
        """The client evaluates nothing: its BLAS settings stay as they are."""
        return nullcontext()

    def close(self):
        """Let the workers drop the fit's network and its arrays."""
        self._network.release()


# ---------------------------------------------------------------- the data


class OnDask:
    """Data on a Dask cluster: dask Arrays, DataFrames and Series, chunked by rows.

    The placement the estimator uses for dask collections (see
    :mod:`sknn_digits._data`): everything is computed on the workers, and
    only small results (classes, counts, facts about the weights) come back.
    """

    objective = DistributedObjective
    #: The rows are spread over the workers: this process holds the weights alone.
    rows_here = False

    @staticmethod
    def validate(estimator, X, y, sample_weight, warm):
        """``X`` (float, chunked by rows only), ``y`` and the weights chunked like ``X``."""
        import dask.array as da

        X = _as_dask_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got a dask array of shape {X.shape}.")
        if hasattr(X._meta, "tocsr") or type(X._meta).__module__.startswith("scipy.sparse"):
            raise TypeError("Sparse dask chunks are not supported: the data-parallel fit "
                            "takes dense chunks (X.map_blocks(lambda b: b.toarray())).")
        if not isinstance(X._meta, np.ndarray):  # CuPy or other device chunks
            raise TypeError(f"Dask arrays of {type(X._meta).__module__} chunks are not "
                            "supported: the data-parallel fit takes numpy chunks.")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if warm and X.shape[1] != estimator.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but the model was fitted with "
                             f"{estimator.n_features_in_}.")
        # Whole rows in each chunk, each aligned in memory once here (chunks unpickled
        # from the client's array are not, and the evaluation would copy them every time).
        X = X.rechunk({1: -1}).map_blocks(aligned, dtype=X.dtype, meta=X._meta)
        y = y if is_dask(y) else da.from_array(np.asarray(y), chunks=(X.chunks[0],))
        y = _as_dask_array(y, "y")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}.")
        # Read (and kept on the workers) once, before anything else looks at it.
        X, y = get_client().persist([X, y])
        if not bool(da.isfinite(X).all().compute()):
            raise ValueError("Input X contains NaN or infinity.")
        y = y.rechunk({0: X.chunks[0], **({1: -1} if y.ndim == 2 else {})})
        if sample_weight is not None:
            if not is_dask(sample_weight):
                sample_weight = da.from_array(np.asarray(sample_weight, dtype=X.dtype),
                                              chunks=(X.chunks[0],))
            sample_weight = _as_dask_array(sample_weight, "sample_weight").astype(X.dtype)
            if sample_weight.shape != (X.shape[0],):
                raise ValueError(f"sample_weight must have shape ({X.shape[0]},), got "
                                 f"{sample_weight.shape}.")
            sample_weight = sample_weight.rechunk((X.chunks[0],))
        return X, y, sample_weight, {"n_features_in_": X.shape[1]}

    @staticmethod
    def label_sample(y):
        """A small stand-in for ``y`` with its classes, for fitting the label encoder.

        1-D labels: their distributed unique values.  A 2-D 0/1 indicator
        matrix: checked on the workers, then its identity rows.
        """
        import dask.array as da

        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            return da.unique(y.ravel()).compute()
        values = da.unique(y).compute()
        if not np.all(np.isin(values, (0, 1))):
            raise ValueError("A 2-D y must be a 0/1 multilabel indicator matrix, got values "
                             f"{values[:10].tolist()}.")
        return np.vstack([np.eye(y.shape[1], dtype=y.dtype), np.zeros(y.shape[1], y.dtype)])

    @staticmethod
    def encode(y, binarizer, X):
        """The 0/1 targets of dask labels ``y``, blockwise, in ``X``'s dtype."""
        dtype = X.dtype
        columns = binarizer.transform(binarizer.classes_[:1] if y.ndim == 1
                                      else np.zeros((1, y.shape[1]), y.dtype)).shape[1]

        def block(labels):
            return binarizer.transform(labels).astype(dtype)

        return y.map_blocks(block, chunks=(y.chunks[0], (columns,)), dtype=dtype,
                            **({"new_axis": 1} if y.ndim == 1 else {}),
                            meta=np.empty((0, columns), dtype))

    @staticmethod
    def class_counts(y):
        import dask.array as da

        return tuple(np.asarray(a) for a in da.compute(*da.unique(y, return_counts=True)))

    @staticmethod
    def per_sample(y, classes, factors, X):
        """``factors[k]`` for each sample of class ``classes[k]``, blockwise."""
        def lookup(block):
            return factors[np.searchsorted(classes, block)]

        return y.ravel().map_blocks(lookup, dtype=factors.dtype)

    @staticmethod
    def classes(binarizer, y):
        return binarizer.classes_

    @staticmethod
    def weight_facts(weights):
        """The weights' :class:`~sknn_digits._training.WeightFacts`, computed on the workers."""
        import dask
        import dask.array as da

        negative, finite, positive, total = dask.compute(
            (weights < 0).any(), da.isfinite(weights).all(), (weights > 0).any(),
            weights.sum())
        return WeightFacts(bool(negative), bool(finite), bool(positive), float(total))


# ---------------------------------------------------------------- predictions


def blockwise(outputs):
    """Decorate a predict method: on a dask array it runs on each chunk of rows, lazily.

    ``outputs(estimator)`` gives the result's number of columns (None for one
    value per row) and dtype.  Other inputs go to the method as they are.
    """
    def decorate(method):
        @functools.wraps(method)
        def run(estimator, X):
            if not is_dask(X):
                return method(estimator, X)
            check_is_fitted(estimator)
            return map_rows(functools.partial(method, estimator), X,
                            estimator.n_features_in_, *outputs(estimator))
        return run
    return decorate


def map_rows(method, X, n_features, columns, dtype):
    """``method`` applied to each row chunk of dask ``X``, lazily: a dask array.

    ``columns`` is the number of output columns, or None for one value per row.
    """
    X = _as_dask_array(X, "X")
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"X has shape {X.shape}, but the model was fitted with "
                         f"{n_features} features.")
    X = X.rechunk({1: -1})
    if columns is None:
        return X.map_blocks(method, drop_axis=1, dtype=dtype, meta=np.empty((0,), dtype))
    return X.map_blocks(method, chunks=(X.chunks[0], (columns,)), dtype=dtype,
                        meta=np.empty((0, columns), dtype))


def score(estimator, X, y, weights=None):
    """Mean accuracy on dask inputs, as a lazy dask scalar."""
    import dask.array as da

    predicted = estimator.predict(X)
    y = y if is_dask(y) else da.from_array(np.asarray(y), chunks=predicted.chunks[:y.ndim])
    y = _as_dask_array(y, "y").rechunk(predicted.chunks[:1] + (() if y.ndim == 1 else (-1,)))
    correct = predicted == y
    if correct.ndim == 2:  # multilabel: every label right
        correct = correct.all(axis=1)
    if weights is None:
        return correct.mean()
    return (correct * weights).sum() / da.asarray(weights).sum()
