"""Model files that are data: a manifest of plain values and arrays of numbers, nothing else.

A pickle, or any format that names the types to rebuild, lets the file
choose code to run, or the state of objects whose methods then do what the
state says (a pipeline's cache folder, a meta-estimator's ``n_jobs``, an
array's strides).  A model file of this package names no module, type or
function.  It is a zip archive of

- ``manifest.json``: the format's name and version, the package version
  that wrote it, the picture contract, and the steps in order, each with a
  *kind* from this module's own vocabulary (:data:`STEP_KINDS`), its
  constructor parameters and its fitted values as plain JSON;
- one ``.npy`` member per array (weights, scaler statistics, class labels),
  each declared in the manifest with its dtype and shape.

:func:`load_model` reads the manifest with :mod:`json` and each array with
numpy's ``.npy`` reader without pickle, after every declared size has been
added up and bounded; it then checks every value (dtypes, shapes that chain
from the first step's features to the network's outputs, finite numbers,
parameters as the estimators' own validation accepts them, label count and
length) and only then builds the objects itself: scikit-learn's scalers, this
package's transformer and network, a :class:`~sklearn.pipeline.Pipeline` of
them.  Nothing a file holds decides which code runs.  What can be saved:

- a :class:`~sknn_digits.BackpropMLPClassifier` or :class:`~sknn_digits.MLPClassifier`;
- a :class:`~sklearn.pipeline.Pipeline` of :class:`~sklearn.preprocessing.MinMaxScaler`,
  :class:`~sklearn.preprocessing.StandardScaler`,
  :class:`~sklearn.preprocessing.MaxAbsScaler`,
  :class:`~sklearn.preprocessing.RobustScaler` and
  :class:`~sknn_digits.preprocessing.DigitImageTransformer` steps ending in
  one (what ``sknn-digits train`` writes);
- a fitted search (:class:`~sklearn.model_selection.GridSearchCV`, ...): its
  ``best_estimator_``, when that is one of the above.

Anything else is refused by :func:`save_model` with the way to save it with
skops under a trust list of one's own.
"""

import json
import re
import zipfile
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np

from ._files import check_readable, write_atomic
from ._memory import format_bytes
from .readers import _read_npy_header

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_LABEL_CHARS",
    "MAX_MANIFEST_BYTES",
    "MAX_MODEL_BYTES",
    "STEP_KINDS",
    "SUFFIX",
    "load_model",
    "save_model",
]

#: The manifest's ``format`` value: what tells this package's model files from any zip.
FORMAT = "sknn_digits model"
#: The manifest's layout; a file of a later version is refused with a sentence saying so.
FORMAT_VERSION = 1
#: The file name ending :func:`save_model` expects (another is accepted, but not a name
#: that says pickle, joblib, skops or ONNX: such a file would be opened with the wrong tool).
SUFFIX = ".sknn"

#: The most the arrays of one model file may add up to, as declared in its manifest and
#: checked before any is read: a digits network takes under 100 KB, a 784-300-100-10 one
#: about 2 MB in float64.
MAX_MODEL_BYTES = 256 * 2**20
#: The most the manifest may take: a network with its loss curve takes a few KB.
MAX_MANIFEST_BYTES = 2**20
#: The longest a class label or a feature name may be, in characters.
MAX_LABEL_CHARS = 256
#: The longest any other text of the manifest may be (step names, the solver's message).
_MAX_TEXT_CHARS = 4096
#: The most steps a pipeline and layers a network may have, and classes a network may tell.
_MAX_STEPS, _MAX_LAYERS, _MAX_CLASSES = 16, 64, 100_000

#: Array dtypes a file may hold: numbers, booleans and text, never objects.
_DTYPE_KINDS = "biufU"
_MEMBER = re.compile(r"^[0-9]{1,3}/[a-z_]{1,40}(/[0-9]{1,3})?\.npy$")
_STEP_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_FOREIGN_SUFFIXES = {".pkl": "a pickle", ".pickle": "a pickle", ".joblib": "a joblib file",
                     ".skops": "a skops file", ".onnx": "an ONNX model"}


# ---------------------------------------------------------------- the step kinds


class StepKind(NamedTuple):
    """How one kind of step is written and rebuilt: this module's vocabulary, not a type name."""

    name: str  #: the kind as the manifest names it
    load_class: object  #: returns the class this module builds (imported only when needed)
    arrays: tuple  #: fitted per-feature arrays (shape ``(n_features_in_,)``)
    optional: tuple = ()  #: those of ``arrays`` that may be null (a StandardScaler without mean)
    divides: bool = False  #: its transform divides by ``scale_``, which must then be positive
    network: bool = False  #: a network, the pipeline's last step


def _network_class(name):
    def load():
        from . import estimator

        return getattr(estimator, name)
    return load


def _preprocessing(name):
    def load():
        import sklearn.preprocessing

        return getattr(sklearn.preprocessing, name)
    return load


def _digit_transformer():
    from .preprocessing import DigitImageTransformer

    return DigitImageTransformer


#: Every kind of step a model file may hold.
STEP_KINDS = {kind.name: kind for kind in (
    StepKind("network", _network_class("BackpropMLPClassifier"), (), network=True),
    StepKind("mlp-classifier", _network_class("MLPClassifier"), (), network=True),
    StepKind("min-max-scaler", _preprocessing("MinMaxScaler"),
             ("min_", "scale_", "data_min_", "data_max_", "data_range_")),
    StepKind("standard-scaler", _preprocessing("StandardScaler"), ("mean_", "var_", "scale_"),
             optional=("mean_", "var_", "scale_"), divides=True),
    StepKind("max-abs-scaler", _preprocessing("MaxAbsScaler"), ("max_abs_", "scale_"),
             divides=True),
    StepKind("robust-scaler", _preprocessing("RobustScaler"), ("center_", "scale_"),
             optional=("center_", "scale_"), divides=True),
    StepKind("digit-image-transformer", _digit_transformer, ()),
)}

#: The network's fitted values besides its weights and labels: what each must be.
_NETWORK_RECORD = {
    "loss_": Real, "best_loss_": (Real, type(None)), "n_iter_": Integral, "t_": Integral,
    "solver_message_": str, "best_validation_score_": (Real, type(None)),
}
_NETWORK_CURVES = ("loss_curve_", "validation_scores_")
_TARGET_TYPES = ("binary", "multiclass", "multilabel-indicator")


def _kind_of(step):
    """The :data:`STEP_KINDS` entry of ``step`` (its exact class), or None."""
    for kind in STEP_KINDS.values():
        if type(step) is kind.load_class():
            return kind
    return None


# ---------------------------------------------------------------- saving


def save_model(model, path, overwrite=False):
    """Write ``model`` to ``path`` as data: a manifest and arrays, no code.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~sknn_digits.BackpropMLPClassifier`, a pipeline of
        the scalers and transformers in :data:`STEP_KINDS` ending in one, or
        a fitted search whose ``best_estimator_`` is one of those.
    path : str or Path
        Where to write (``.sknn`` by convention).
    overwrite : bool, default=False
        Replace an existing file; without it an existing file is an error and
        is left untouched.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        If ``model`` is not one of the compositions above (the message says
        how to save it with skops instead), is not fitted, or ``path`` ends
        in a suffix of another format (``.pkl``, ``.joblib``, ``.skops``, ``.onnx``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.persistence import load_model, save_model
    >>> model = BackpropMLPClassifier(hidden_layer_sizes=2, alpha=1e-3, random_state=0)
    >>> model = model.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> path = save_model(model, Path(tempfile.mkdtemp()) / "model.sknn")
    >>> load_model(path).predict([[0.0], [3.0]]).tolist()
    [0, 1]
    """
    from pathlib import Path

    foreign = _FOREIGN_SUFFIXES.get(Path(path).suffix.lower())
    if foreign is not None:
        raise ValueError(f"'{path}' is named like {foreign}, but save_model writes this "
                         f"package's own model format: name it '{Path(path).stem}{SUFFIX}'.")
    manifest, arrays = describe(model)

    def write(temporary):
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest, indent=1, allow_nan=False))
            for member, array in arrays.items():
                with archive.open(member, "w") as file:
                    np.lib.format.write_array(file, np.ascontiguousarray(array),
                                              allow_pickle=False)

    return write_atomic(path, write, overwrite)


def describe(model):
    """``(manifest, arrays)``: what :func:`save_model` writes for ``model``.

    ``manifest`` is plain JSON values; ``arrays`` maps each ``.npy`` member's
    name to its array.  Raises ValueError for what cannot be saved.
    """
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from . import __version__

    if hasattr(model, "best_estimator_") and hasattr(model, "cv_results_"):
        model = model.best_estimator_  # a search: the model it chose, refitted
    steps = (list(model.steps) if type(model) is Pipeline
             else [(None, model)])
    kinds = [_kind_of(step) for _, step in steps]
    if (None in kinds or not kinds[-1].network or len(steps) > _MAX_STEPS
            or any(kind.network for kind in kinds[:-1])):
        raise ValueError(_unsupported(model))
    for _, step in steps:
        check_is_fitted(step)
    arrays, described = {}, []
    for number, ((name, step), kind) in enumerate(zip(steps, kinds)):
        fitted = (_network_values(step, number, arrays) if kind.network
                  else _step_values(step, kind, number, arrays))
        described.append({"name": name or "network", "kind": kind.name,
                          "params": {key: _to_json(value)
                                     for key, value in step.get_params(deep=False).items()},
                          "fitted": fitted})
    total = sum(array.nbytes for array in arrays.values())
    if total > MAX_MODEL_BYTES:  # a file load_model would refuse is not written
        raise ValueError(f"this model's arrays take {format_bytes(total)}, more than the "
                         f"{format_bytes(MAX_MODEL_BYTES)} a model file may hold; it was not "
                         "saved.")
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "written_by": f"sknn_digits {__version__}", "pipeline": type(model) is Pipeline,
                "steps": described, "picture": _picture_contract(model)}
    return manifest, arrays


def _unsupported(model):
    return (f"save_model writes a BackpropMLPClassifier or MLPClassifier, or a Pipeline of "
            f"{', '.join(sorted(k for k, kind in STEP_KINDS.items() if not kind.network))} "
            "steps ending in "
            f"one, or a search's best_estimator_ of those; a {type(model).__name__} is none "
            "of these, so it was not saved.  To save it anyway use skops.io.dump(model, path) "
            "and load it with skops.io.load(path, trusted=[...]) naming the types you have "
            "reviewed: that trusts their code and every value the file gives them.")


def _array(arrays, member, value):
    """Record ``value`` as the ``.npy`` member ``member``; the manifest's reference to it.

    Arrays of another namespace (a model fitted on a GPU through the array API)
    are brought to the host: the file holds numpy arrays, and loads as a numpy model.
    """
    from .core import to_numpy

    value = np.asarray(to_numpy(value) if not isinstance(value, (list, tuple)) else value)
    if value.dtype.kind == "O" and all(isinstance(v, str) for v in value.ravel()):
        value = value.astype(str)  # labels and feature names of strings: text, not objects
    if value.dtype.kind not in _DTYPE_KINDS:
        raise ValueError(f"{member[:-4]} holds {value.dtype} values; a model file holds "
                         "numbers, booleans and text only.")
    if value.dtype.kind == "U" and value.dtype.itemsize > 4 * MAX_LABEL_CHARS:
        raise ValueError(f"{member[:-4]} holds text longer than the {MAX_LABEL_CHARS} "
                         "characters a model file's labels and names may have.")
    arrays[member] = value
    return {"array": member, "dtype": value.dtype.str, "shape": list(value.shape)}


def _step_values(step, kind, number, arrays):
    fitted = {}
    for name, value in vars(step).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        if name in kind.arrays or name == "feature_names_in_" or isinstance(value, np.ndarray):
            fitted[name] = None if value is None else _array(arrays, f"{number}/{name}.npy",
                                                              value)
        else:
            fitted[name] = _to_json(value)
    return fitted


def _network_values(network, number, arrays):
    fitted = {
        "coefs_": [_array(arrays, f"{number}/coefs_/{i}.npy", W)
                   for i, W in enumerate(network.coefs_)],
        "intercepts_": [_array(arrays, f"{number}/intercepts_/{i}.npy", b)
                        for i, b in enumerate(network.intercepts_)],
        "classes_": _array(arrays, f"{number}/classes_.npy", network.classes_),
        "target_type": network._label_binarizer.y_type_,
        "n_features_in_": int(network.n_features_in_),
        "out_activation_": network.out_activation_,
    }
    if hasattr(network, "feature_names_in_"):
        fitted["feature_names_in_"] = _array(arrays, f"{number}/feature_names_in_.npy",
                                             network.feature_names_in_)
    for name in _NETWORK_RECORD:
        if hasattr(network, name):
            fitted[name] = _to_json(getattr(network, name))
    for name in _NETWORK_CURVES:
        if getattr(network, name, None) is not None:
            fitted[name] = _array(arrays, f"{number}/{name}.npy",
                                  np.asarray(getattr(network, name), dtype=np.float64))
    return fitted


def _picture_contract(model):
    from .preprocessing import picture_input

    try:
        contract = picture_input(model)
    except ValueError:
        return None
    return {"layout": contract.layout, "paper": contract.paper, "ink": contract.ink}


def _to_json(value):
    """A parameter or fitted value as plain JSON: tuples as lists, a dict as its pairs,
    infinities as text; anything else (an object, a function, a random generator) is None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray) and value.ndim == 1:  # hidden_layer_sizes=np.array(...)
        value = value.tolist()
    if value is None or isinstance(value, (bool, str, Integral)):
        return value
    if isinstance(value, Real):
        return float(value) if np.isfinite(value) else {"float": str(float(value))}
    if isinstance(value, (list, tuple)) and all(
            v is None or isinstance(v, (bool, str, Real, np.generic)) for v in value):
        return [_to_json(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, (str, Real, np.generic)) for k in value):
        return {"pairs": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    return None  # a RandomState instance, a callback: not part of the model


# ---------------------------------------------------------------- loading


def load_model(path):
    """Build the model a file written by :func:`save_model` describes, after checking all of it.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    BackpropMLPClassifier or Pipeline

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        One sentence naming the file and the problem: not this package's
        model format (a pickle, a skops file, an ONNX model, anything else),
        a format version this package does not know, more than
        :data:`MAX_MODEL_BYTES` of arrays or :data:`MAX_MANIFEST_BYTES` of
        manifest, a step kind or a value it does not accept, weights that are
        not finite or whose shapes do not chain, labels that do not fit the
        outputs.  Nothing of a refused file is built.

    Examples
    --------
    See :func:`save_model`; a file that is not a model is refused:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits.persistence import load_model
    >>> path = Path(tempfile.mkdtemp()) / "notes.sknn"
    >>> _ = path.write_text("not a model")
    >>> load_model(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '...notes.sknn' is not a model file of this package ...
    """
    path = check_readable(path, "model file")
    try:
        return _Reader(path).model()
    except _Refused as refusal:
        message = str(refusal)
        if "not loaded" not in message and "upgrade" not in message:
            message = f"{message.rstrip('.')}; it was not loaded."
        raise ValueError(f"'{path}' {message}") from None


class _Refused(Exception):
    """A file refused: the message continues "'<path>' ..."."""


def _refuse(message):
    raise _Refused(message)


class _Reader:
    """One model file, read and checked in order: the container, the manifest, the arrays,
    the steps and how they chain; then built."""

    def __init__(self, path):
        self.path = path

    def model(self):
        suffix = self.path.suffix.lower()
        if suffix == ".mat":
            _refuse("is a MATLAB/Octave file, not a saved model: the course's weights go with "
                    "--ex4-weights (or datasets.load_ex4_model); it was not loaded.")
        size = self.path.stat().st_size
        if size > MAX_MODEL_BYTES + MAX_MANIFEST_BYTES:
            _refuse(f"takes {format_bytes(size)}, more than the "
                    f"{format_bytes(MAX_MODEL_BYTES)} a model file may hold; it was not loaded.")
        try:
            with zipfile.ZipFile(self.path) as archive:
                manifest = self._manifest(archive)
                steps = self._steps(manifest)
                arrays = self._arrays(archive, manifest)
        except zipfile.BadZipFile:
            self._not_a_model(suffix)
        except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as error:
            _refuse(f"is damaged ({error}); it was not loaded.")
        built = [self._build(number, step, arrays) for number, step in enumerate(steps)]
        model = (self._pipeline([step["name"] for step in steps], built) if manifest["pipeline"]
                 else built[0][1])
        self._check_chain(built)
        self._check_picture(model, manifest["picture"])
        return model

    def _not_a_model(self, suffix):
        with open(self.path, "rb") as file:
            start = file.read(2)
        if start[:1] == b"\x80" or suffix in (".pkl", ".pickle", ".joblib"):
            _refuse("is a pickle or joblib file, which runs any code it holds when it is "
                    "loaded; only model files written by save_model (data, no code) are "
                    "loaded.")
        if suffix == ".onnx":
            _refuse("is an ONNX model, for onnxruntime; this package loads the model files "
                    "save_model and sknn-digits train --out write.")
        _refuse("is not a model file of this package (not a zip archive with a manifest); "
                "it was not loaded.")

    # -- the container and the manifest

    def _manifest(self, archive):
        names = archive.namelist()
        if "manifest.json" not in names:
            if "schema.json" in names:
                _refuse("is a skops file (an earlier version of this package wrote models so); "
                        "this version loads only its own data format.  If you trust the file, "
                        "load it with skops.io.load(path, trusted=[...]) and save it again "
                        "with save_model.")
            _refuse("is not a model file of this package (not a zip archive with a "
                    "manifest); it was not loaded.")
        if len(names) != len(set(names)):
            _refuse("holds two members of one name; it was not loaded.")
        with archive.open("manifest.json") as member:
            text = member.read(MAX_MANIFEST_BYTES + 1)
        if len(text) > MAX_MANIFEST_BYTES:
            _refuse(f"has a manifest larger than the {format_bytes(MAX_MANIFEST_BYTES)} a "
                    "model's takes; it was not loaded.")
        try:
            manifest = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as error:
            _refuse(f"has a manifest that is not JSON ({str(error)[:200]}); it was not loaded.")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            _refuse("is not a model file of this package (its manifest does not name the "
                    "format); it was not loaded.")
        version = manifest.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            _refuse(f"declares format version {version!r}; it was not loaded.")
        if version > FORMAT_VERSION:
            _refuse(f"is in format version {version}, written by "
                    f"{_text(manifest.get('written_by'), 'written_by')}; this version of "
                    f"sknn_digits reads version {FORMAT_VERSION}: upgrade it.")
        expected = {"format", "format_version", "written_by", "pipeline", "steps", "picture"}
        if set(manifest) != expected:
            _refuse(f"has a manifest with the keys {sorted(manifest)[:20]}, not "
                    f"{sorted(expected)}; it was not loaded.")
        if not isinstance(manifest["pipeline"], bool):
            _refuse("has a manifest whose 'pipeline' is not true or false.")
        return manifest

    def _steps(self, manifest):
        steps = manifest["steps"]
        if not isinstance(steps, list) or not 1 <= len(steps) <= _MAX_STEPS:
            _refuse(f"must hold 1 to {_MAX_STEPS} steps; it was not loaded.")
        if not manifest["pipeline"] and len(steps) != 1:
            _refuse("holds several steps but is not a pipeline; it was not loaded.")
        names = set()
        for number, step in enumerate(steps):
            if not (isinstance(step, dict) and set(step) == {"name", "kind", "params", "fitted"}):
                _refuse(f"has a step {number} that is not a name, a kind, parameters and "
                        "fitted values; it was not loaded.")
            if step["kind"] not in STEP_KINDS:
                _refuse(f"has a step of kind {_text(step['kind'], 'kind')[:80]!r}; a model file "
                        f"may hold {', '.join(sorted(STEP_KINDS))}; it was not loaded.")
            if STEP_KINDS[step["kind"]].network != (number == len(steps) - 1):
                _refuse("must end in its one network step; it was not loaded.")
            if not (isinstance(step["name"], str) and _STEP_NAME.match(step["name"])
                    and step["name"] not in names):
                _refuse(f"has a step named {_text(step['name'], 'name')[:80]!r} (names are "
                        "distinct words of letters, digits, '-' and '_'); it was not loaded.")
            names.add(step["name"])
            if not (isinstance(step["params"], dict) and isinstance(step["fitted"], dict)):
                _refuse(f"has step {number}'s parameters or fitted values not as objects.")
        return steps

    def _arrays(self, archive, manifest):
        """Every array the manifest declares: the sizes added up and bounded first, then each
        member read with numpy's reader without pickle and held to its declaration."""
        declared = {}
        for step in manifest["steps"]:
            for value in step["fitted"].values():
                for reference in (value if isinstance(value, list) else [value]):
                    if isinstance(reference, dict) and "array" in reference:
                        member, dtype, shape = self._declaration(reference)
                        if member in declared:
                            _refuse(f"declares the array {member} twice; it was not loaded.")
                        declared[member] = (dtype, shape)
        total = sum(dtype.itemsize * int(np.prod(shape, dtype=object))
                    for dtype, shape in declared.values())
        if total > MAX_MODEL_BYTES:
            _refuse(f"declares {format_bytes(total)} of arrays, more than the "
                    f"{format_bytes(MAX_MODEL_BYTES)} a model may hold; it was not loaded.")
        members = set(archive.namelist()) - {"manifest.json"}
        if members != set(declared):
            stray = sorted(members ^ set(declared))[:5]
            _refuse(f"has members the manifest does not declare, or lacks declared ones "
                    f"({', '.join(stray)}); it was not loaded.")
        return {member: self._read(archive, member, *declared[member]) for member in declared}

    def _declaration(self, reference):
        if set(reference) != {"array", "dtype", "shape"}:
            _refuse("has an array reference that is not a member, a dtype and a shape.")
        member, dtype, shape = reference["array"], reference["dtype"], reference["shape"]
        if not (isinstance(member, str) and _MEMBER.match(member)):
            _refuse(f"names an array member {_text(member, 'member')[:80]!r} outside the "
                    "format's names; it was not loaded.")
        try:
            dtype = np.dtype(dtype) if isinstance(dtype, str) and len(dtype) <= 8 else None
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind not in _DTYPE_KINDS or dtype.fields is not None or (
                dtype.kind == "U" and dtype.itemsize > 4 * MAX_LABEL_CHARS):
            _refuse(f"declares the array {member} of dtype {reference['dtype']!r}: a model "
                    f"file holds numbers, booleans and text of at most {MAX_LABEL_CHARS} "
                    "characters; it was not loaded.")
        if not (isinstance(shape, list) and len(shape) <= 2 and all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**40
                for n in shape)):
            _refuse(f"declares the array {member} of shape {str(shape)[:80]}; it was not "
                    "loaded.")
        return member, dtype, tuple(shape)

    def _read(self, archive, member, dtype, shape):
        with archive.open(member) as file:
            try:
                found, found_dtype, _, fortran_order = _read_npy_header(file, member)
            except ValueError as error:
                _refuse(f"has an array member that is not a .npy array of numbers ({error}).")
            if (found, found_dtype, fortran_order) != (shape, dtype, False):
                order = "Fortran order, " if fortran_order else ""
                _refuse(f"has an array member {member} whose header ({order}{found}, "
                        f"{found_dtype}) is not its declaration ({shape}, {dtype}); it was not "
                        "loaded.")
            size = dtype.itemsize * int(np.prod(shape, dtype=object))
            data = bytearray(file.read(size))
            if len(data) != size or file.read(1):
                _refuse(f"has an array member {member} of another length than its shape "
                        "says; it was not loaded.")
        return np.frombuffer(data, dtype=dtype).reshape(shape)

    # -- the steps

    def _build(self, number, step, arrays):
        """``(kind, estimator)`` for the manifest's step ``number``, every value checked."""
        from ._compat import validate_params

        kind = STEP_KINDS[step["kind"]]
        cls = kind.load_class()
        where = f"step {number} ({kind.name})"
        allowed = set(cls().get_params(deep=False))
        unknown = sorted(set(step["params"]) - allowed)
        if unknown:
            _refuse(f"gives {where} the parameters {', '.join(map(str, unknown[:5]))}, which it "
                    "does not have; it was not loaded.")
        params = {name: _from_json(value, f"{where}'s {name}")
                  for name, value in step["params"].items()}
        estimator = cls(**params)
        try:
            validate_params(estimator)
        except (ValueError, TypeError) as error:
            _refuse(f"gives {where} a parameter it does not accept ({str(error)[:300]}); it "
                    "was not loaded.")
        fitted = {name: self._value(value, arrays, f"{where}'s {name}")
                  for name, value in step["fitted"].items()}
        try:
            attributes = (_network_attributes(estimator, fitted, where) if kind.network
                          else _step_attributes(kind, estimator, fitted, where))
        except (ValueError, TypeError) as error:  # a rule of the estimator's own, broken
            _refuse(f"gives {where} values it cannot take ({str(error)[:300]}); it was not "
                    "loaded.")
        vars(estimator).update(attributes)
        return kind, estimator

    @staticmethod
    def _value(value, arrays, what):
        if isinstance(value, dict) and "array" in value:
            return arrays[value["array"]]
        if isinstance(value, list) and value and all(
                isinstance(v, dict) and "array" in v for v in value):
            return [arrays[v["array"]] for v in value]
        return _from_json(value, what)

    @staticmethod
    def _pipeline(names, built):
        from sklearn.pipeline import Pipeline

        return Pipeline([(name, estimator) for name, (_, estimator) in zip(names, built)])

    def _check_chain(self, built):
        """Each step's output width is the next one's input width."""
        from .preprocessing import LAYOUTS

        width = None
        for number, (kind, estimator) in enumerate(built):
            if kind.name == "digit-image-transformer":
                width = LAYOUTS[estimator.layout].side ** 2  # pictures in, a layout's row out
                continue
            if width is not None and estimator.n_features_in_ != width:
                _refuse(f"has step {number} taking {estimator.n_features_in_} features where "
                        f"the step before it gives {width}; it was not loaded.")
            width = estimator.n_features_in_

    def _check_picture(self, model, recorded):
        contract = _picture_contract(model)
        if recorded != contract:
            _refuse(f"records the picture contract {str(recorded)[:200]}, but its steps "
                    f"give {contract}; it was not loaded.")


def _names(value, what):
    """``n_features_in_``-many feature names (text), or a refusal."""
    if value.ndim != 1 or value.dtype.kind != "U":
        _refuse(f"gives {what} as {value.dtype} of shape {value.shape}, not names.")
    return value.astype(object)


def _step_attributes(kind, estimator, fitted, where):
    """A scaler's or transformer's fitted attributes, checked against its kind."""
    allowed = {*kind.arrays, "n_features_in_", "n_samples_seen_", "feature_names_in_"}
    if kind.name == "digit-image-transformer":
        allowed = set()
    unknown = sorted(set(fitted) - allowed)
    if unknown:
        _refuse(f"gives {where} the fitted values {', '.join(unknown[:5])}, which it does not "
                "have; it was not loaded.")
    if not allowed:
        return {}
    n_features = fitted.get("n_features_in_")
    if not (isinstance(n_features, int) and n_features >= 1):
        _refuse(f"gives {where} n_features_in_ = {str(n_features)[:40]}; it was not loaded.")
    attributes = {"n_features_in_": n_features}
    for name in kind.arrays:
        value = fitted.get(name)
        if value is None and name in kind.optional:
            attributes[name] = None
            continue
        if not (isinstance(value, np.ndarray) and value.shape == (n_features,)
                and value.dtype.kind == "f" and np.isfinite(value).all()):
            _refuse(f"gives {where} {name} that is not {n_features} finite numbers; it was not "
                    "loaded.")
        attributes[name] = value
    # What transform reads must be there.
    used = {"standard-scaler": (("with_mean", "mean_"), ("with_std", "scale_")),
            "robust-scaler": (("with_centering", "center_"), ("with_scaling", "scale_"))}
    for switch, name in used.get(kind.name, ()):
        if getattr(estimator, switch) and attributes[name] is None:
            _refuse(f"gives {where} no {name} where its parameter {switch} uses it.")
    if kind.divides and attributes["scale_"] is not None and not (attributes["scale_"] > 0).all():
        # scikit-learn's fit makes every scale positive (a constant feature's 1): a zero
        # or negative one divides features into infinities or mirrors them.
        _refuse(f"gives {where} a scale_ that is not positive; it was not loaded.")
    seen = fitted.get("n_samples_seen_")
    if "n_samples_seen_" in fitted:
        if isinstance(seen, np.ndarray):
            if not (seen.shape == (n_features,) and seen.dtype.kind in "iu" and seen.min() >= 0):
                _refuse(f"gives {where} n_samples_seen_ that are not counts.")
        elif not (isinstance(seen, (int, float)) and not isinstance(seen, bool) and seen >= 0):
            _refuse(f"gives {where} n_samples_seen_ = {str(seen)[:40]}.")
        attributes["n_samples_seen_"] = seen
    if "feature_names_in_" in fitted:
        names = _names(fitted["feature_names_in_"], f"{where}'s feature_names_in_")
        if names.shape != (n_features,):
            _refuse(f"gives {where} {names.shape[0]} feature names for {n_features} features.")
        attributes["feature_names_in_"] = names
    return attributes


def _network_attributes(network, fitted, where):
    """A network's fitted attributes, every value checked: the weights chain, are finite and
    of the declared hidden sizes; the labels fit the outputs."""
    from sklearn.preprocessing import LabelBinarizer

    from .core import OUTPUTS

    required = {"coefs_", "intercepts_", "classes_", "target_type", "n_features_in_",
                "out_activation_"}
    allowed = {*required, "feature_names_in_", *_NETWORK_RECORD, *_NETWORK_CURVES}
    if not required <= set(fitted) <= allowed:
        odd = sorted((required - set(fitted)) | (set(fitted) - allowed))
        _refuse(f"gives {where} fitted values that do not make a network (missing or unknown: "
                f"{', '.join(odd[:5])}); it was not loaded.")
    coefs, intercepts = fitted["coefs_"], fitted["intercepts_"]
    if not (isinstance(coefs, list) and isinstance(intercepts, list)
            and 1 <= len(coefs) == len(intercepts) <= _MAX_LAYERS
            and all(isinstance(a, np.ndarray) for a in coefs + intercepts)):
        _refuse(f"gives {where} coefs_ and intercepts_ that are not one array per layer.")
    for number, (W, b) in enumerate(zip(coefs, intercepts)):
        if W.dtype not in (np.float32, np.float64) or b.dtype != W.dtype:
            _refuse(f"gives {where} layer {number}'s weights as {W.dtype}/{b.dtype}, not "
                    "float32 or float64.")
        if W.ndim != 2 or b.shape != (W.shape[1],) or 0 in W.shape:
            _refuse(f"gives {where} layer {number}'s weights the shapes {W.shape} and "
                    f"{b.shape}.")
        if number and W.shape[0] != coefs[number - 1].shape[1]:
            _refuse(f"gives {where} layer {number}'s weights {W.shape}, which do not follow "
                    f"layer {number - 1}'s {coefs[number - 1].shape}.")
        if W.dtype != coefs[0].dtype:
            _refuse(f"gives {where} layers of different dtypes.")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            _refuse(f"gives {where} layer {number}'s weights that hold NaN or infinity; it was "
                    "not loaded.")
    layer_sizes = (coefs[0].shape[0], *(W.shape[1] for W in coefs))
    if network._hidden_sizes() != layer_sizes[1:-1]:
        _refuse(f"gives {where} hidden_layer_sizes={network.hidden_layer_sizes!r} but weights "
                f"of the layers {layer_sizes}; it was not loaded.")
    if fitted["n_features_in_"] != layer_sizes[0]:
        _refuse(f"gives {where} n_features_in_ = {str(fitted['n_features_in_'])[:40]} but a "
                f"first layer of {layer_sizes[0]} inputs; it was not loaded.")
    output, target_type = fitted["out_activation_"], fitted["target_type"]
    if output not in OUTPUTS or target_type not in _TARGET_TYPES:
        _refuse(f"gives {where} the output {str(output)[:40]!r} for {str(target_type)[:40]!r} "
                f"targets; outputs are {sorted(OUTPUTS)}, targets {list(_TARGET_TYPES)}.")
    classes, n_outputs = fitted["classes_"], layer_sizes[-1]
    if not (isinstance(classes, np.ndarray) and classes.ndim == 1
            and 2 <= len(classes) <= _MAX_CLASSES):
        _refuse(f"gives {where} classes_ that are not a list of 2 to {_MAX_CLASSES} labels.")
    expected_outputs = 1 if len(classes) == 2 and target_type == "binary" else len(classes)
    if n_outputs != expected_outputs or (target_type == "binary") != (len(classes) == 2 and
                                                                      n_outputs == 1):
        _refuse(f"gives {where} {n_outputs} output units for the {len(classes)} classes of "
                f"{target_type} targets; it was not loaded.")
    if output == "softmax" and (n_outputs == 1 or target_type == "multilabel-indicator"):
        _refuse(f"gives {where} a softmax output for {target_type} targets.")
    if len(np.unique(classes)) != len(classes) or not np.array_equal(np.sort(classes), classes):
        _refuse(f"gives {where} classes_ that are not sorted and distinct.")
    if classes.dtype.kind == "f" and not np.isfinite(classes).all():
        _refuse(f"gives {where} classes_ that are not finite.")
    if target_type == "multilabel-indicator":
        if not np.array_equal(classes, np.arange(len(classes))):
            _refuse(f"gives {where} multilabel classes_ other than the output indices.")
        binarizer = LabelBinarizer().fit(np.eye(len(classes), dtype=int))
    else:
        binarizer = LabelBinarizer().fit(classes)
    if binarizer.y_type_ != target_type:
        _refuse(f"gives {where} classes_ that make {binarizer.y_type_} targets, not "
                f"{target_type}.")
    attributes = {"_label_binarizer": binarizer, "classes_": binarizer.classes_,
                  "n_features_in_": layer_sizes[0], "out_activation_": output,
                  **network._weights(_packed(coefs, intercepts, layer_sizes), layer_sizes)}
    if "feature_names_in_" in fitted:
        names = _names(fitted["feature_names_in_"], f"{where}'s feature_names_in_")
        if names.shape != (layer_sizes[0],):
            _refuse(f"gives {where} {names.shape[0]} feature names for {layer_sizes[0]} "
                    "features.")
        attributes["feature_names_in_"] = names
    for name, kinds in _NETWORK_RECORD.items():
        if name in fitted:
            value = fitted[name]
            if not isinstance(value, kinds) or isinstance(value, bool):
                _refuse(f"gives {where} {name} = {str(value)[:40]}, not a {kinds}.")
            attributes[name] = value
    for name in _NETWORK_CURVES:
        if name in fitted:
            curve = fitted[name]
            if not (isinstance(curve, np.ndarray) and curve.ndim == 1 and curve.dtype.kind == "f"):
                _refuse(f"gives {where} {name} that is not a list of numbers.")
            attributes[name] = curve.tolist()
    attributes.setdefault("validation_scores_", None)
    return attributes


def _packed(coefs, intercepts, layer_sizes):
    from .core import Network

    return Network(layer_sizes).pack(coefs, intercepts)


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def _text(value, what):
    if not isinstance(value, str):
        return repr(value)[:80]
    return value[:_MAX_TEXT_CHARS]


def _from_json(value, what):
    """A manifest's value as Python: :func:`_to_json`'s inverse, bounded in size and depth."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if len(value) > _MAX_TEXT_CHARS:
            _refuse(f"gives {what} a text of {len(value)} characters; it was not loaded.")
        return value
    if isinstance(value, list) and len(value) <= _MAX_LAYERS and all(
            v is None or isinstance(v, (bool, int, float, str)) for v in value):
        return tuple(_from_json(v, what) for v in value)
    if isinstance(value, dict) and set(value) == {"float"} and value["float"] in (
            "inf", "-inf", "nan"):
        return float(value["float"])
    if isinstance(value, dict) and set(value) == {"pairs"} and isinstance(
            value["pairs"], list) and len(value["pairs"]) <= _MAX_CLASSES and all(
            isinstance(p, list) and len(p) == 2 and all(
                isinstance(v, (bool, int, float, str)) for v in p) for p in value["pairs"]):
        return {_from_json(k, what): _from_json(v, what) for k, v in value["pairs"]}
    _refuse(f"gives {what} a value this format does not hold ({str(value)[:80]}); it was not "
            "loaded.")
