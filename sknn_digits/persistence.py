"""Saving and loading models safely, with skops (never pickle).

A pickle file runs code when it is loaded, so a model file from a stranger
could do anything.  skops' format stores data and the names of the types
that hold them; loading rebuilds only what is trusted.  The trust policy is a
list, not a rule: :data:`~sknn_digits._trusted.TRUSTED_NAMES` names every type
and function a model file may hold, those the compositions this package
supports are made of (its estimators, scikit-learn's pipelines, scalers,
encoders and meta-estimators, linear and naive Bayes classifiers, splitters,
scorers and their metrics), each reviewed.  Every name in the file is
compared with the list as a string before anything is imported or built;
one that is missing refuses the whole file, naming it.  Left off on purpose:
scikit-learn's fit callbacks (:func:`save_model` leaves them out: they belong
to the process that fitted), trees, boosting predictors and neighbour trees
(their Cython state indexes memory by numbers the file would choose), and
anything that starts a thread, binds a socket or opens a file.

Loading is bounded before it starts: every member of the archive is inflated
in small steps and refused as soon as it passes its declared size or
:data:`MAX_MODEL_BYTES`; the schema may take :data:`MAX_SCHEMA_BYTES` and
nest :data:`MAX_SCHEMA_DEPTH` deep.  What is loaded is checked: a fitted
classifier with ``predict_proba``, and every
:class:`~sknn_digits.BackpropMLPClassifier` in it with valid parameters and
weights whose shapes chain, in float32 or float64, finite.  skops is an
optional extra: ``pip install "sknn_digits[persist]"``.
"""

import json
import zipfile

import numpy as np

from ._files import check_readable, write_atomic
from ._memory import format_bytes
from ._trusted import TRUSTED_LOADERS, TRUSTED_NAMES

__all__ = [
    "MAX_MODEL_BYTES",
    "MAX_SCHEMA_BYTES",
    "MAX_SCHEMA_DEPTH",
    "TRUSTED_TYPES",
    "is_trusted",
    "load_model",
    "named_in",
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
    >>> trusted_types()  # doctest: +NORMALIZE_WHITESPACE
    ['sknn_digits.estimator.BackpropMLPClassifier',
     'sknn_digits.preprocessing.DigitImageTransformer']
    """
    return list(TRUSTED_TYPES)


def is_trusted(type_name):
    """Whether ``type_name`` is on the reviewed list of what a model file may name.

    Compared as a string: nothing is imported to decide.

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
    >>> is_trusted("sklearn.tree._tree.Tree")
    False
    """
    return type_name in TRUSTED_NAMES


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
    model = _without_callbacks(model)
    return write_atomic(path, lambda temporary: sio.dump(model, temporary), overwrite)


#: Where scikit-learn's estimators keep their fit callbacks (1.9 and later).
_CALLBACK_ATTRIBUTES = ("_skl_callbacks", "_skl_callbacks_to_teardown")


def _without_callbacks(obj, memo=None):
    """``obj`` with every estimator's fit callbacks left out; the caller's objects untouched.

    A callback belongs to the process that fitted (a progress bar, a monitor
    sending scores to a listener), not to the model.  The containers and
    objects on the way to a callback are copied shallowly; all else is shared.
    """
    import copy
    import types

    memo = {} if memo is None else memo
    if id(obj) in memo:
        return memo[id(obj)]
    memo[id(obj)] = obj  # a cycle leads back to the original
    if isinstance(obj, (list, tuple)):
        items = [_without_callbacks(item, memo) for item in obj]
        changed = any(new is not old for new, old in zip(items, obj))
        if changed and isinstance(obj, list):
            result = copy.copy(obj)
            result[:] = items
        elif changed:
            result = type(obj)._make(items) if hasattr(obj, "_fields") else type(obj)(items)
    elif isinstance(obj, dict):
        items = {key: _without_callbacks(value, memo) for key, value in obj.items()}
        changed = any(items[key] is not value for key, value in obj.items())
        if changed:
            result = copy.copy(obj)
            result.clear()
            result.update(items)
    elif hasattr(obj, "__dict__") and not isinstance(
            obj, (type, types.FunctionType, types.ModuleType, np.ndarray)):
        state = vars(obj)
        kept = {key: _without_callbacks(value, memo) for key, value in state.items()
                if key not in _CALLBACK_ATTRIBUTES}
        changed = len(kept) != len(state) or any(kept[k] is not state[k] for k in kept)
        if changed:
            result = copy.copy(obj)
            vars(result).clear()
            vars(result).update(kept)
    else:
        changed = False
    if not changed:
        return obj
    memo[id(obj)] = result
    return result


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
    schema, expanded = _read_schema(path)
    if expanded > MAX_MODEL_BYTES:
        raise ValueError(f"'{path}' would expand to {format_bytes(expanded)} when loaded, more "
                         f"than the {format_bytes(MAX_MODEL_BYTES)} a model may take; it was "
                         "not loaded.")
    names, loaders = named_in(schema)
    untrusted = sorted(name for name in names if not is_trusted(name))
    untrusted += sorted(f"skops' {loader}" for loader in loaders - TRUSTED_LOADERS)
    if untrusted:
        raise ValueError(
            f"'{path}' holds types that are not trusted, so nothing of it was loaded: "
            f"{', '.join(untrusted)}.  Only the types of the compositions this package "
            "supports are trusted (see sknn_digits._trusted); to load this file anyway, "
            "at your own risk (its types run their code when rebuilt), call "
            "skops.io.load(path, trusted=[...]) naming the types you have reviewed."
        )
    try:  # skops' own audit, to the same list: a second opinion, which imports nothing
        found = sio.get_untrusted_types(file=path)
    except Exception as error:  # zipfile, json and skops errors for a damaged file
        raise ValueError(f"'{path}' is not a readable skops model file ({error}).") from None
    beyond = [name for name in found if not is_trusted(name)]
    if beyond:
        raise ValueError(f"'{path}' holds types that are not trusted, so nothing of it was "
                         f"loaded: {', '.join(beyond)}.")
    try:
        model = sio.load(path, trusted=found)
    except Exception as error:
        raise ValueError(f"'{path}' could not be loaded as a model ({error}).") from None
    _check_classifier(model, path)
    for network in _networks_in(model):
        _check_network(network, path)
    return model


def named_in(schema):
    """The ``module.name`` of every type and function a skops schema names, and its loaders.

    Read as text from the parsed schema: nothing it names is imported.  Every
    object skops rebuilds is a node with ``__module__``, ``__class__`` and
    ``__loader__`` (a function's node names the function there).

    Examples
    --------
    >>> from sknn_digits.persistence import named_in
    >>> names, loaders = named_in(
    ...     {"__module__": "os", "__class__": "system", "__loader__": "FunctionNode",
    ...      "content": [{"__module__": "builtins", "__class__": "str",
    ...                   "__loader__": "JsonNode", "content": "1"}]})
    >>> sorted(names), sorted(loaders)
    (['builtins.str', 'os.system'], ['FunctionNode', 'JsonNode'])
    """
    names, loaders, stack = set(), set(), [schema]
    while stack:  # no recursion: a crafted schema may nest deeply
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node or "__module__" in node or "__class__" in node:
                names.add(f"{node.get('__module__')}.{node.get('__class__')}")
                loaders.add(str(node.get("__loader__")))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names, loaders


def _read_schema(path):
    """The parsed schema of a skops file, and the bytes its members inflate to (the
    arrays counted once per reference).

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
                    return None, sum(sizes.values())
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
    return schema, max(total, sum(sizes.values()))


def _inflated_size(archive, info, limit, path):
    """The bytes ``info``'s member inflates to, read in steps; refused past its declared
    size or ``limit``, whichever comes first."""
    if info.file_size > limit:
        raise ValueError(f"'{path}' would expand to more than {format_bytes(limit)} when "
                         "loaded (its "
                         f"member {info.filename} alone declares {format_bytes(info.file_size)}); "
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
