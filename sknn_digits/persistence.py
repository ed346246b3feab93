"""Saving and loading models safely, with skops (never pickle).

A pickle file runs code when it is loaded, so a model file from a stranger
could do anything.  skops' format stores data and a list of types, and
loading refuses every type that has not been declared trusted: here the
types scikit-learn and skops trust by default, plus this package's own.
skops is an optional extra: ``pip install "sknn_digits[persist]"``.
"""

import json
import zipfile

from ._files import check_readable, write_atomic

__all__ = ["MAX_MODEL_BYTES", "TRUSTED_TYPES", "load_model", "save_model"]

#: The most a model file may expand to when loaded (its arrays, counting each
#: reference to one): a digits network takes a few MB; this bounds what a
#: small crafted file could make the loader allocate.
MAX_MODEL_BYTES = 256 * 2**20

#: This package's types that may be loaded from a model file.
TRUSTED_TYPES = [
    "sknn_digits.estimator.BackpropMLPClassifier",
    "sknn_digits.preprocessing.DigitImageTransformer",
]


def _skops_io():
    try:
        import skops.io
    except ImportError:
        raise ImportError(
            'Saving and loading models needs skops: pip install "sknn_digits[persist]"'
        ) from None
    return skops.io


def save_model(model, path, overwrite=False):
    """Write ``model`` to ``path`` in skops' format.

    Parameters
    ----------
    model : estimator
        A fitted estimator or pipeline.
    path : str or Path
        Where to write (``.skops`` by convention).
    overwrite : bool, default=False
        Replace an existing file; without it an existing file is an error and
        is left untouched.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.persistence import load_model, save_model
    >>> model = BackpropMLPClassifier(hidden_layer_sizes=2, alpha=1e-3, random_state=0)
    >>> model = model.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> path = save_model(model, Path(tempfile.mkdtemp()) / "model.skops")
    >>> load_model(path).predict([[0.0], [3.0]]).tolist()
    [0, 1]
    """
    sio = _skops_io()
    return write_atomic(path, lambda temporary: sio.dump(model, temporary), overwrite)


def load_model(path):
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    estimator

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not a skops model (corrupt or truncated), would expand
        to more than :data:`MAX_MODEL_BYTES`, holds types that are not trusted
        (named, and nothing of them is run), or holds anything but a fitted
        classifier with ``predict_proba`` (or a pipeline ending in one).

    Examples
    --------
    See :func:`save_model`; a file that is not a model is refused:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits.persistence import load_model
    >>> path = Path(tempfile.mkdtemp()) / "notes.skops"
    >>> _ = path.write_text("not a model")
    >>> load_model(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '...notes.skops' is not a readable skops model file (...).
    """
    sio = _skops_io()
    path = check_readable(path, "model file")
    if path.suffix.lower() == ".mat":
        raise ValueError(f"'{path}' is a MATLAB/Octave file, not a saved model: the course's "
                         "weights go with --ex4-weights (or datasets.load_ex4_model).")
    expanded = _expanded_size(path)
    if expanded > MAX_MODEL_BYTES:
        raise ValueError(f"'{path}' would expand to {expanded / 2**20:.0f} MiB when loaded, "
                         f"more than the {MAX_MODEL_BYTES / 2**20:.0f} MiB a model may take; "
                         "it was not loaded.")
    try:
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
    except Exception as error:  # zipfile, json and skops errors for a damaged file
        raise ValueError(f"'{path}' is not a readable skops model file ({error}).") from None
    if untrusted:
        raise ValueError(
            f"'{path}' holds types that are not trusted, so it was not loaded: "
            f"{', '.join(untrusted)}."
        )
    try:
        model = sio.load(path, trusted=TRUSTED_TYPES)
    except Exception as error:
        raise ValueError(f"'{path}' could not be loaded as a model ({error}).") from None
    _check_classifier(model, path)
    return model


def _expanded_size(path):
    """Bytes the arrays of a skops file take once loaded, each reference counted.

    Read from the archive's directory and its schema before anything is
    loaded: one small deflated array referenced many times cannot hide.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            if sizes.get("schema.json", 0) > MAX_MODEL_BYTES:
                return sizes["schema.json"]
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, RecursionError, OSError) as error:
        raise ValueError(f"'{path}' is not a readable skops model file ({error}).") from None
    total, stack = 0, [schema]
    while stack:  # no recursion: a crafted schema may nest deeply
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                total += sizes.get(node["file"], 0)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return total


def _check_classifier(model, path):
    """A fitted classifier with predict_proba, or a pipeline ending in one; else a clear error."""
    from sklearn.base import BaseEstimator, is_classifier
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    what = type(model).__name__
    if not (isinstance(model, BaseEstimator) and is_classifier(model)
            and hasattr(model, "predict_proba")):
        raise ValueError(f"'{path}' holds a {what}, not a classifier with predict_proba.")
    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError):
        raise ValueError(f"'{path}' holds an unfitted {what}: train it first.") from None
