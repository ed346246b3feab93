"""The command line's work as a library: split, train, score and cross-validate, anywhere.

Each function takes data in memory (numpy arrays) or on a Dask cluster (dask
arrays, for example from :func:`spread` or
:func:`~sknn_digits.datasets.load_chunks`) and does the same job on either:

- :func:`connect` opens a client of a cluster (``"local"`` starts one here);
- :func:`spread` puts in-memory data on the cluster's workers;
- :func:`holdout` keeps a part of the rows back for testing (:func:`held_out_rows`
  says which, by one rule for every placement);
- :func:`train_pipeline` fits features scaled to 0..1 and the network behind them;
- :func:`accuracy` scores a model, :func:`predicted_labels` labels rows;
- :func:`grid_search` cross-validates ``alpha`` and the hidden sizes.

On a cluster the rows never come back to the client: the scaler's range is
read on the workers, the test rows are chosen from the labels alone (one
number a row comes to the client, so the split is the in-memory one), and the
folds of a grid search are whole chunks.  dask is imported inside the functions that need it.

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
    "default_reader",
    "grid_search",
    "held_out_rows",
    "holdout",
    "n_workers",
    "on_cluster",
    "predicted_labels",
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


def default_reader(random_state=0):
    """The network that reads drawn digits when the user gives no model.

    :func:`default_pipeline` of the course's 64-25-10 network, trained on
    scikit-learn's bundled 8x8 digits and on copies of them slanted by -20,
    -10, 10 and 20 degrees (:func:`~sknn_digits.preprocessing.slant_digits`),
    since people slant their digits more than the NIST writers did.  Put
    :class:`~sknn_digits.preprocessing.DigitImageTransformer` in front of it
    to read pictures; its ``stroke="auto"`` widens thin pens as the data's
    bitmaps were drawn.  Trained here in a few seconds, with nothing to
    download.

    Examples
    --------
    >>> from sknn_digits.workflow import default_reader
    >>> default_reader().n_features_in_
    64
    """
    from sklearn.datasets import load_digits

    from .estimator import BackpropMLPClassifier
    from .preprocessing import slant_digits

    X, y = load_digits(return_X_y=True)
    angles = (-20, -10, 10, 20)
    X_all = np.vstack([X, slant_digits(X, angles)])
    y_all = np.concatenate([y] + [y] * len(angles))
    # Five times the rows need more iterations than the digits alone to converge.
    network = BackpropMLPClassifier(max_iter=1000, random_state=random_state)
    return default_pipeline(network).fit(X_all, y_all)


# ---------------------------------------------------------------- the cluster


@contextmanager
def connect(address, timeout=10):
    """A ``dask.distributed`` client of the scheduler at ``address``, closed on leaving.

    ``"local"`` starts a cluster of this machine's cores (one process and
    one thread per core) for the length of the block.

    Raises
    ------
    ImportError
        Without dask.distributed (the ``cluster`` extra).
    ValueError
        When no Dask scheduler answers at ``address`` within ``timeout`` seconds.
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
            _probe(address, timeout)
            try:
                client = stack.enter_context(Client(address, timeout=f"{timeout}s"))
            except (OSError, TimeoutError) as error:
                raise ValueError(f"cannot reach the Dask scheduler at {address}: "
                                 f"{error}") from None
        yield client


def _probe(address, timeout):
    """Refuse ``address`` unless a Dask server answers there within ``timeout`` seconds.

    A listener that accepts the connection and never speaks would hold the
    client's own connection attempt for ever, whatever its timeout.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect as open_comm

    async def handshake():
        comm = await open_comm(address, timeout=timeout)
        await comm.close()

    try:  # in a thread of its own: a notebook's thread already runs an event loop
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, asyncio.wait_for(handshake(), timeout)).result()
    except (OSError, TimeoutError, asyncio.TimeoutError, ValueError) as error:
        reason = str(error) or f"no Dask handshake within {timeout} s"
        raise ValueError(f"cannot reach the Dask scheduler at {address}: {reason}") from None


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


def held_out_rows(y, test_size, random_state):
    """Which rows :func:`holdout` keeps back: a boolean mask, chosen from the labels alone.

    ``test_size`` of the rows, stratified by class, by scikit-learn's
    ``train_test_split`` of the row numbers with ``random_state``: the same
    rows for the same labels and seed, wherever the rows are (for a dask
    ``y`` the labels, one number per row, come to this process to choose).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.workflow import held_out_rows
    >>> int(held_out_rows(np.array([0, 0, 0, 0, 1, 1, 1, 1]), 0.5, random_state=0).sum())
    4
    """
    from sklearn.model_selection import train_test_split

    labels = np.asarray(y.compute() if is_dask(y) else y)
    _, test = train_test_split(np.arange(len(labels)), test_size=test_size, stratify=labels,
                               random_state=random_state)
    mask = np.zeros(len(labels), dtype=bool)
    mask[test] = True
    return mask


def holdout(X, y, test_size, random_state):
    """``X_train, X_test, y_train, y_test``: ``test_size`` of the rows kept back.

    One rule in memory and on a cluster (:func:`held_out_rows`): stratified by
    class, the same rows for the same data and seed, each part in the data's
    order.  So ``sknn-digits evaluate`` scores exactly the rows ``train``
    held out, whichever placement each ran on.
    """
    from ._compat import _safe_indexing

    mask = held_out_rows(y, test_size, random_state)
    if not is_dask(X):
        kept, held = np.flatnonzero(~mask), np.flatnonzero(mask)
        return [_safe_indexing(X, kept), _safe_indexing(X, held),
                _safe_indexing(y, kept), _safe_indexing(y, held)]
    import dask.array as da

    held_out = da.from_array(mask, chunks=X.chunks[0])
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
    classifier, X = _before_the_classifier(model, X)
    return float(classifier.score(X, y))


def predicted_labels(model, X):
    """``model``'s labels for the rows of ``X`` as a numpy array (predicted on the workers for
    dask, only the labels brought back)."""
    if not is_dask(X):
        return np.asarray(model.predict(X))
    classifier, X = _before_the_classifier(model, X)
    return np.asarray(classifier.predict(X).compute())


def _before_the_classifier(model, X):
    """The pipeline's classifier, and dask ``X`` passed blockwise through the steps before it."""
    steps = getattr(model, "steps", [])
    for _, step in steps[:-1]:
        X = _scaled(step, X)
    return (steps[-1][1] if steps else model), X


class GridResult(NamedTuple):
    """One candidate of :func:`grid_search`: its settings and cross-validated accuracy."""

    alpha: float
    hidden_layer_sizes: tuple
    mean: float
    std: float


def grid_search(classifier, X, y, alphas, hidden_layer_sizes, cv=5, n_jobs=None,
                random_state=None, client=None, progress=None):
    """Cross-validated accuracy of ``classifier`` for every ``alpha`` and hidden size.

    In memory, :func:`default_pipeline` is fitted on stratified, shuffled
    folds (scikit-learn's :class:`~sklearn.model_selection.StratifiedKFold`),
    the fits spread over ``n_jobs`` joblib workers; with ``client`` they go
    to the cluster's workers.  On a cluster's chunks, chunk ``i`` is in fold
    ``i mod cv``, every fit is data-parallel, and the scaler is fitted once
    to the whole data's range.

    Parameters
    ----------
    progress : callable, optional
        Called in this process after each fit as ``progress(done, total,
        best)``: fits done, fits in all, and the best :class:`GridResult` of
        the candidates whose folds are all done (None before the first).

    Returns
    -------
    list of GridResult
        In the order ``alphas`` x ``hidden_layer_sizes``.
    """
    candidates = [(alpha, tuple(sizes)) for alpha in alphas for sizes in hidden_layer_sizes]
    if is_dask(X):
        fits = _fits_on_chunks(classifier, X, y, candidates, cv)
    else:
        fits = _fits_in_memory(classifier, X, y, candidates, cv, n_jobs, random_state, client)
    scores = [[] for _ in candidates]
    best, total = None, len(candidates) * cv
    for done, (index, score) in enumerate(fits, start=1):
        scores[index].append(score)
        if len(scores[index]) == cv:
            finished = GridResult(*candidates[index], float(np.mean(scores[index])),
                                  float(np.std(scores[index])))
            best = finished if best is None or finished.mean > best.mean else best
        if progress is not None:
            progress(done, total, best)
    return [GridResult(*candidate, float(np.mean(fold_scores)), float(np.std(fold_scores)))
            for candidate, fold_scores in zip(candidates, scores)]


def _fold_score(pipeline, alpha, sizes, X, y, train, test, index):
    """``(index, held-out accuracy)`` of ``pipeline`` with ``alpha`` and ``sizes``, on one fold."""
    from sklearn.base import clone

    from ._compat import _safe_indexing

    model = clone(pipeline)
    model.steps[-1][1].set_params(alpha=alpha, hidden_layer_sizes=sizes)
    model.fit(_safe_indexing(X, train), _safe_indexing(y, train))
    return index, float(model.score(_safe_indexing(X, test), _safe_indexing(y, test)))


def _fits_in_memory(classifier, X, y, candidates, cv, n_jobs, random_state, client):
    """Each fit's ``(candidate index, score)``, as the joblib workers finish them."""
    import joblib
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold
    from sklearn.utils.parallel import Parallel, delayed  # workers keep warning filters

    pipeline = default_pipeline(clone(classifier))
    folds = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(X, y))
    tasks = [delayed(_fold_score)(pipeline, alpha, sizes, X, y, train, test, index)
             for index, (alpha, sizes) in enumerate(candidates) for train, test in folds]
    with ExitStack() as stack:
        if client is not None:  # the fits go to the cluster's workers
            stack.enter_context(joblib.parallel_backend("dask"))
            n_jobs = -1
        try:  # results as they come (joblib 1.4 and later), for the progress display
            parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        except ValueError:
            parallel = Parallel(n_jobs=n_jobs)
        yield from parallel(tasks)


def _fits_on_chunks(classifier, X, y, candidates, cv):
    """Each fit's ``(candidate index, score)``: data-parallel fits, folds of whole chunks."""
    from sklearn.base import clone

    n_chunks = len(X.chunks[0])
    if n_chunks < cv:
        raise ValueError(f"cv={cv} needs at least {cv} chunks; the data has {n_chunks}.")
    import dask.array as da

    X = _scaled(_fitted_scaler(X), X)
    fold = np.arange(n_chunks) % cv

    def chunks(array, keep):  # whole chunks joined: no rows move between workers
        return da.concatenate([array.blocks[i] for i in np.flatnonzero(keep)])

    for index, (alpha, sizes) in enumerate(candidates):
        for k in range(cv):
            model = clone(classifier).set_params(alpha=alpha, hidden_layer_sizes=sizes)
            model.fit(chunks(X, fold != k), chunks(y, fold != k))
            yield index, float(model.score(chunks(X, fold == k), chunks(y, fold == k)))


def _fitted_scaler(X):
    """MinMaxScaler(clip=True) fitted to dask ``X``'s columns: one pass on the workers."""
    import dask
    from sklearn.preprocessing import MinMaxScaler

    low, high = dask.compute(X.min(axis=0), X.max(axis=0))
    return MinMaxScaler(clip=True).fit(np.vstack([low, high]))


def _scaled(transformer, X):
    """``transformer.transform`` on each chunk of dask ``X``."""
    return X.map_blocks(transformer.transform, dtype=np.float64)
