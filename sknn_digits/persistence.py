"""Saving and loading models safely, with skops (never pickle).

A pickle file runs code when it is loaded, so a model file from a stranger
could do anything.  skops' format stores data and a list of types, and
loading refuses every type that has not been declared trusted: here the
types scikit-learn and skops trust by default, plus this package's own.
skops is an optional extra: ``pip install "sknn_digits[persist]"``.
"""

from pathlib import Path

__all__ = ["TRUSTED_TYPES", "load_model", "save_model"]

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
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"'{path}' exists already; it was not overwritten.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"No such directory: '{path.parent}'.")
    # Write the whole file next to the target first, so a failure leaves no
    # half-written model behind and never damages the file being replaced.
    partial = path.with_name(path.name + ".partial")
    try:
        sio.dump(model, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


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
        If the file is not a skops model (corrupt or truncated), or if it
        holds types that are not trusted; those are named and nothing of
        them is run.

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
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such model file: '{path}'.")
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
        return sio.load(path, trusted=TRUSTED_TYPES)
    except Exception as error:
        raise ValueError(f"'{path}' could not be loaded as a model ({error}).") from None
