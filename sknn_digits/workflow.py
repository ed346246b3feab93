"""The command line's work as a library: split, train, score and cross-validate, anywhere.

Each function takes data in memory (numpy arrays) or on a Dask cluster (dask
arrays, for example from :func:`spread` or
:func:`~sknn_digits.datasets.load_chunks`) and does the same job on either:

- :func:`connect` opens a client of a cluster (``"local"`` starts one here);
- :func:`spread` puts in-memory data on the cluster's workers;
- :func:`holdout` keeps a part of the rows back for testing;
- :func:`train_pipeline` fits features scaled to 0..1 and the network behind them;
- :func:`accuracy` scores a model;
- :func:`grid_search` cross-validates ``alpha`` and the hidden sizes.

On a cluster the rows never come back to the client: the scaler's range is
read on the workers, the test rows are chosen at random there (stratifying
would need every label on the client), and the folds of a grid search are
whole chunks.  dask is imported inside the functions that need it.

Examples
--------
>>> from sklearn.datasets import load_digits
>>> from sknn_digits import BackpropMLPClassifier
>>> from sknn_digits.workflow import accuracy, holdout, train_pipeline
>>> X, y = load_digits(return_X_y=True)
>>> X_train, X_test, y_train, y_test = holdout(X, y, test_size=0.25, random_state=0)
>>> model = train_pipeline(BackpropMLPClassifier(random_state=0), X_train, y_train)
>>> bool(accuracy(model, X_test, y_test) > 0.95)
True
"""

from contextlib import ExitStack, contextmanager
from typing import NamedTuple

import numpy as np

from ._dask import EXTRA, is_dask

__all__ = [
    "GridResult",
    "accuracy",
    "connect",
    "default_pipeline",
    "grid_search",
    "holdout",
    "n_workers",
    "on_cluster",
    "spread",
    "train_pipeline",
]


def default_pipeline(classifier):
    """Features scaled to 0..1 by their training range (clipped beyond it), then ``classifier``.

    Examples
    --------
    >>> from sknn_digits import BackpropMLPClassifier
    >>> [name for name, _ in default_pipeline(BackpropMLPClassifier()).steps]
    ['minmaxscaler', 'backpropmlpclassifier']
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    return make_pipeline(MinMaxScaler(clip=True), classifier)


# ---------------------------------------------------------------- the cluster


@contextmanager
def connect(address):
    """A ``dask.distributed`` client of the scheduler at ``address``, closed on leaving.

    ``"local"`` starts a cluster of this machine's cores (one process and
    one thread per core) for the length of the block.

    Raises
    ------
    ImportError
        Without dask.distributed (the ``cluster`` extra).
    ValueError
        When the scheduler cannot be reached within 10 seconds.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(f"a Dask cluster needs dask.distributed: {EXTRA}") from None
    with ExitStack() as stack:
        if address == "local":
            cluster = stack.enter_context(LocalCluster(
                threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=":0", silence_logs=40))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout="10s"))
            except (OSError, TimeoutError) as error:
                raise ValueError(f"cannot reach the Dask scheduler at {address}: "
                                 f"{error}") from None
        yield client


def on_cluster(X):
    """Whether ``X`` is a dask collection, whose rows live on a cluster's workers."""
    return is_dask(X)


def n_workers(client):
    """How many workers the cluster of ``client`` has now."""
    return len(client.scheduler_info()["workers"])


def spread(X, y, client):
    """``X`` and ``y`` as dask arrays on ``client``'s workers, a few row chunks per worker.

    Dask arrays are returned as they are.
    """
    if is_dask(X):
        return X, y
    import dask.array as da

    rows = -(-len(X) // (4 * max(1, n_workers(client))))
    return da.from_array(X, chunks=(rows, -1)), da.from_array(np.asarray(y), chunks=rows)


# ---------------------------------------------------------------- the work


def holdout(X, y, test_size, random_state):
    """``X_train, X_test, y_train, y_test``: ``test_size`` of the rows kept back.

    In memory the split is stratified by class; on a cluster the rows are
    held out at random on the workers.
    """
    if not is_dask(X):
        from sklearn.model_selection import train_test_split

        return train_test_split(X, y, test_size=test_size, stratify=y,
                                random_state=random_state)
    import dask.array as da

    held_out = da.random.default_rng(random_state).random(X.shape[0], chunks=X.chunks[0])
    held_out = held_out < test_size
    parts = [X[~held_out], X[held_out], y[~held_out], y[held_out]]
    return [part.compute_chunk_sizes() for part in parts]


def train_pipeline(classifier, X, y):
    """:func:`default_pipeline` of ``classifier``, fitted to ``(X, y)``.

    On a cluster the scaler's range is read on the workers in one pass and
    the classifier is fitted data-parallel on the scaled chunks; the result
    is an ordinary pipeline either way.
    """
    pipeline = default_pipeline(classifier)
    if not is_dask(X):
        return pipeline.fit(X, y)
    scaler = _fitted_scaler(X)
    classifier.fit(_scaled(scaler, X), y)
    pipeline.steps[0] = (pipeline.steps[0][0], scaler)
    return pipeline


def accuracy(model, X, y):
    """The share of rows ``model`` labels right, as a float (computed on the workers for dask)."""
    if not is_dask(X):
        return float(model.score(X, y))
    steps = getattr(model, "steps", [])
    for _, step in steps[:-1]:  # each step blockwise, the classifier's score on the workers
        X = _scaled(step, X)
    return float((steps[-1][1] if steps else model).score(X, y))


class GridResult(NamedTuple):
    """One candidate of :func:`grid_search`: its settings and cross-validated accuracy."""

    alpha: float
    hidden_layer_sizes: tuple
    mean: float
    std: float


def grid_search(classifier, X, y, alphas, hidden_layer_sizes, cv=5, n_jobs=None,
                random_state=None, client=None):
    """Cross-validated accuracy of ``classifier`` for every ``alpha`` and hidden size.

    In memory, :class:`~sklearn.model_selection.GridSearchCV` over
    :func:`default_pipeline` with stratified, shuffled folds; with ``client``
    its fits go to the cluster's workers through joblib.  On a cluster's
    chunks, chunk ``i`` is in fold ``i mod cv``, every fit is data-parallel,
    and the scaler is fitted once to the whole data's range.

    Returns
    -------
    list of GridResult
        In the order ``alphas`` x ``hidden_layer_sizes``.
    """
    from sklearn.base import clone

    if is_dask(X):
        return _grid_search_on_chunks(classifier, X, y, alphas, hidden_layer_sizes, cv)
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    name = default_pipeline(classifier).steps[-1][0]
    search = GridSearchCV(
        default_pipeline(clone(classifier)),
        {f"{name}__alpha": list(alphas), f"{name}__hidden_layer_sizes": list(hidden_layer_sizes)},
        cv=StratifiedKFold(cv, shuffle=True, random_state=random_state), n_jobs=n_jobs)
    if client is None:
        search.fit(X, y)
    else:
        import joblib

        with joblib.parallel_backend("dask"):  # the fits go to the workers
            search.set_params(n_jobs=-1).fit(X, y)
    results = search.cv_results_
    rows = [GridResult(p[f"{name}__alpha"], tuple(p[f"{name}__hidden_layer_sizes"]), mean, std)
            for p, mean, std in zip(results["params"], results["mean_test_score"],
                                    results["std_test_score"])]
    order = {(a, tuple(h)): i for i, (a, h) in enumerate(
        (a, h) for a in alphas for h in hidden_layer_sizes)}
    return sorted(rows, key=lambda row: order[(row.alpha, row.hidden_layer_sizes)])


def _grid_search_on_chunks(classifier, X, y, alphas, hidden_layer_sizes, cv):
    from sklearn.base import clone

    n_chunks = len(X.chunks[0])
    if n_chunks < cv:
        raise ValueError(f"cv={cv} needs at least {cv} chunks; the data has {n_chunks}.")
    X = _scaled(_fitted_scaler(X), X)
    fold = np.arange(n_chunks) % cv
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])])
    rows = [np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in np.flatnonzero(f)])
            for f in (fold[None] == np.arange(cv)[:, None])]
    results = []
    for alpha in alphas:
        for sizes in hidden_layer_sizes:
            scores = []
            for test in rows:
                train = np.setdiff1d(np.arange(X.shape[0]), test, assume_unique=True)
                model = clone(classifier).set_params(alpha=alpha, hidden_layer_sizes=sizes)
                model.fit(X[train], y[train])
                scores.append(float(model.score(X[test], y[test])))
            results.append(GridResult(alpha, tuple(sizes), float(np.mean(scores)),
                                      float(np.std(scores))))
    return results


def _fitted_scaler(X):
    """MinMaxScaler(clip=True) fitted to dask ``X``'s columns: one pass on the workers."""
    import dask
    from sklearn.preprocessing import MinMaxScaler

    low, high = dask.compute(X.min(axis=0), X.max(axis=0))
    return MinMaxScaler(clip=True).fit(np.vstack([low, high]))


def _scaled(transformer, X):
    """``transformer.transform`` on each chunk of dask ``X``."""
    return X.map_blocks(transformer.transform, dtype=np.float64)
