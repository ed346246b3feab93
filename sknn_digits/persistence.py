"""Saving and loading models safely, with skops (never pickle).

A pickle file runs code when it is loaded, so a model file from a stranger
could do anything.  skops' format stores data and a list of types, and
loading refuses every type that has not been declared trusted.  The trust
policy, one rule (:func:`is_trusted`):

- the types skops trusts by default (built-in containers, numpy dtypes and
  arrays, scipy sparse matrices, scikit-learn's public estimators, ...);
- this package's own (:data:`TRUSTED_TYPES`);
- classes *defined* in scikit-learn's modules, public or private
  (``sklearn.calibration._CalibratedClassifier``, ``sklearn.utils._bunch.Bunch``,
  splitters, scorers): loading rebuilds them from their stored state and never
  calls them, and scikit-learn's classes run no code of a file's choosing;
- functions defined in ``sklearn.metrics`` (a scorer's metric): they compute
  a number from arrays.

Everything else is refused by name before anything of the file is run:
functions of any other module (``os.system``, ``builtins.eval``, ``numpy``'s
and ``scipy``'s loaders, a user's own), and classes from anywhere else.

Loading is bounded before it starts: every member of the archive is inflated
in small steps and refused as soon as it passes its declared size or
:data:`MAX_MODEL_BYTES`; the schema may take :data:`MAX_SCHEMA_BYTES` and
nest :data:`MAX_SCHEMA_DEPTH` deep.  What is loaded is checked: a fitted
classifier with ``predict_proba``, and every
:class:`~sknn_digits.BackpropMLPClassifier` in it with valid parameters and
weights whose shapes chain, in float32 or float64, finite.  skops is an
optional extra: ``pip install "sknn_digits[persist]"``.
"""

import importlib
import inspect
import json
import zipfile

import numpy as np

from ._files import check_readable, write_atomic

__all__ = [
    "MAX_MODEL_BYTES",
    "MAX_SCHEMA_BYTES",
    "MAX_SCHEMA_DEPTH",
    "TRUSTED_TYPES",
    "is_trusted",
    "load_model",
    "save_model",
    "trusted_types",
]

#: The most a model file may expand to when loaded (its members inflated, its
#: arrays counting each reference to one): a digits network takes a few MB;
#: this bounds what a small crafted file could make the loader allocate.
MAX_MODEL_BYTES = 256 * 2**20

#: The most the schema (the file's description of its objects) may inflate
#: to: a grid search over pipelines takes about 120 KB.
MAX_SCHEMA_BYTES = 8 * 2**20

#: The deepest the schema may nest: a pipeline in a grid search in a
#: calibrator stays under 40.
MAX_SCHEMA_DEPTH = 200

#: Inflated in steps of this many bytes, never a member at once.
_STEP = 2**20

#: This package's types that may be loaded from a model file.
TRUSTED_TYPES = [
    "sknn_digits.estimator.BackpropMLPClassifier",
    "sknn_digits.preprocessing.DigitImageTransformer",
]


def trusted_types():
    """This package's types, as ``skops.io.load(path, trusted=...)`` wants them.

    Plain skops loads a file of this package's models with
    ``skops.io.load(path, trusted=trusted_types())`` (when the file holds no
    other type skops does not trust by default; :func:`load_model` applies
    the whole policy and checks what it loads).

    Examples
    --------
    >>> from sknn_digits.persistence import trusted_types
    >>> trusted_types()
    ['sknn_digits.estimator.BackpropMLPClassifier', 'sknn_digits.preprocessing.DigitImageTransformer']
    """
    return list(TRUSTED_TYPES)


def is_trusted(type_name):
    """Whether the policy trusts the type or function ``type_name`` beyond skops' defaults.

    Parameters
    ----------
    type_name : str
        As skops names it, ``"module.Name"``.

    Examples
    --------
    >>> from sknn_digits.persistence import is_trusted
    >>> is_trusted("sklearn.utils._bunch.Bunch"), is_trusted("builtins.eval")
    (True, False)
    >>> is_trusted("sklearn.metrics._classification.balanced_accuracy_score")
    True
    >>> is_trusted("numpy.ctypeslib.load_library")
    False
    """
    if type_name in TRUSTED_TYPES:
        return True
    module, _, name = type_name.rpartition(".")
    if not (module == "sklearn" or module.startswith("sklearn.")):
        return False
    try:  # scikit-learn's own modules, which are imported anyway
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    defined_in = getattr(found, "__module__", "") or ""
    if inspect.isclass(found):
        return defined_in.startswith("sklearn.")
    if inspect.isfunction(found):
        return defined_in.startswith("sklearn.metrics.")
    return False


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
        raise ValueError(f"'{path}' would expand to {_size(expanded)} when loaded, more "
                         f"than the {_size(MAX_MODEL_BYTES)} a model may take; it was not "
                         "loaded.")
    try:
        found = sio.get_untrusted_types(file=path)
    except Exception as error:  # zipfile, json and skops errors for a damaged file
        raise ValueError(f"'{path}' is not a readable skops model file ({error}).") from None
    untrusted = [t for t in found if not is_trusted(t)]
    if untrusted:
        raise ValueError(
            f"'{path}' holds types that are not trusted, so it was not loaded: "
            f"{', '.join(untrusted)}."
        )
    try:
        model = sio.load(path, trusted=found)
    except Exception as error:
        raise ValueError(f"'{path}' could not be loaded as a model ({error}).") from None
    _check_classifier(model, path)
    for network in _networks_in(model):
        _check_network(network, path)
    return model


def _expanded_size(path):
    """Bytes the members of a skops file inflate to, the arrays counted once per reference.

    Every member is inflated in steps before anything is loaded and refused
    past its declared size (a directory may lie) or the limit; the schema is
    bounded in size and nesting before it is parsed.  One small deflated
    array referenced many times cannot hide either.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {}
            for info in archive.infolist():
                limit = MAX_SCHEMA_BYTES if info.filename == "schema.json" else MAX_MODEL_BYTES
                sizes[info.filename] = _inflated_size(archive, info, limit, path)
                if sum(sizes.values()) > MAX_MODEL_BYTES:
                    return sum(sizes.values())
            with archive.open("schema.json") as member:
                text = member.read(MAX_SCHEMA_BYTES + 1)
    except zipfile.BadZipFile as error:  # a pickle, a joblib file, anything but skops
        raise ValueError(f"'{path}' is not a readable skops model file ({error}; only skops "
                         "files are loaded, because a pickle or joblib file can run any code "
                         "when it is loaded).") from None
    except (KeyError, OSError, EOFError) as error:
        raise ValueError(f"'{path}' is not a readable skops model file ({error}).") from None
    depth = _nesting(text)
    if depth > MAX_SCHEMA_DEPTH:
        raise ValueError(f"'{path}' has a schema nested {depth} deep, deeper than the "
                         f"{MAX_SCHEMA_DEPTH} a model's takes; it was not loaded.")
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError) as error:
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
    return max(total, sum(sizes.values()))


def _size(n_bytes):
    """``n_bytes`` for a message: '12 KiB', '3.0 MiB'."""
    return f"{n_bytes / 2**20:.1f} MiB" if n_bytes >= 2**20 else f"{n_bytes / 1024:.0f} KiB"


def _inflated_size(archive, info, limit, path):
    """The bytes ``info``'s member inflates to, read in steps; refused past its declared
    size or ``limit``, whichever comes first."""
    if info.file_size > limit:
        raise ValueError(f"'{path}' would expand to more than {_size(limit)} when loaded (its "
                         f"member {info.filename} alone declares {_size(info.file_size)}); "
                         "it was not loaded.")
    size = 0
    with archive.open(info) as member:
        while chunk := member.read(_STEP):
            size += len(chunk)
            if size > info.file_size:  # zipfile stops here itself; never trust it alone
                raise ValueError(f"'{path}': its member {info.filename} inflates beyond "
                                 "its declared size; it was not loaded.")
    return size


def _nesting(text):
    """How deep the JSON ``text`` nests, read without parsing it (brackets outside strings)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_SCHEMA_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


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


def _networks_in(model, seen=None, depth=0):
    """Every BackpropMLPClassifier in ``model``: pipeline steps, meta-estimators' parts."""
    from sklearn.base import BaseEstimator

    from .estimator import BackpropMLPClassifier

    seen = set() if seen is None else seen
    if id(model) in seen or depth > 50:
        return
    seen.add(id(model))
    if isinstance(model, BackpropMLPClassifier):
        yield model
        return
    if isinstance(model, dict):
        values = list(model.values())
    elif isinstance(model, (list, tuple)):
        values = list(model)
    elif isinstance(model, BaseEstimator) or hasattr(model, "__dict__"):
        values = list(vars(model).values())
    else:
        return
    for value in values:
        if isinstance(value, (BaseEstimator, dict, list, tuple)) or hasattr(value, "estimator"):
            yield from _networks_in(value, seen, depth + 1)


def _check_network(network, path):
    """A loaded BackpropMLPClassifier's parameters and weights, or one error naming the file."""
    from ._compat import validate_params
    from .core import OUTPUTS

    def refuse(problem):
        raise ValueError(f"'{path}' holds a BackpropMLPClassifier that cannot be used: "
                         f"{problem}; it was not loaded.")

    try:
        validate_params(network)
    except ValueError as error:
        refuse(str(error).rstrip("."))
    if not any(name.endswith("_") and not name.startswith("_") for name in vars(network)):
        return  # an unfitted template (a meta-estimator's ``estimator``): nothing to run
    coefs, intercepts = getattr(network, "coefs_", None), getattr(network, "intercepts_", None)
    if not (isinstance(coefs, list) and isinstance(intercepts, list)
            and len(coefs) == len(intercepts) >= 1):
        refuse("coefs_ and intercepts_ must be lists of one array per layer")
    for number, (W, b) in enumerate(zip(coefs, intercepts)):
        if not (isinstance(W, np.ndarray) and isinstance(b, np.ndarray)):
            refuse(f"layer {number}'s weights are not arrays ({type(W).__name__})")
        if W.dtype not in (np.float32, np.float64) or b.dtype != W.dtype:
            refuse(f"layer {number}'s weights are {W.dtype}/{b.dtype}, not float32 or float64")
        if W.ndim != 2 or b.shape != (W.shape[1],):
            refuse(f"layer {number}'s weights have shapes {W.shape} and {b.shape}")
        if number and W.shape[0] != coefs[number - 1].shape[1]:
            refuse(f"layer {number}'s weights {W.shape} do not follow layer {number - 1}'s "
                   f"{coefs[number - 1].shape}")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            refuse(f"layer {number}'s weights hold NaN or infinity")
    if getattr(network, "n_features_in_", None) != coefs[0].shape[0]:
        refuse(f"n_features_in_ is {getattr(network, 'n_features_in_', None)!r} but the first "
               f"layer takes {coefs[0].shape[0]} features")
    if getattr(network, "out_activation_", None) not in OUTPUTS:
        refuse(f"out_activation_ {getattr(network, 'out_activation_', None)!r} is not one of "
               f"{sorted(OUTPUTS)}")
    classes = getattr(network, "classes_", None)
    n_outputs = coefs[-1].shape[1]
    if not isinstance(classes, np.ndarray) or not (
            len(classes) == n_outputs or (n_outputs == 1 and len(classes) == 2)):
        refuse(f"{n_outputs} output units do not fit classes_ {classes!r}")
