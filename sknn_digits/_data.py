"""Training data made ready for a fit, wherever they are: validated, encoded, weighed.

The estimator's ``fit`` calls :func:`prepare` once.  What differs between data
in memory and data on a cluster (how to validate, count or look up labels
and read weights) is a small *placement*: :class:`InMemory` here, and
:class:`sknn_digits._dask.OnDask` for dask collections.  The rules (which
targets are accepted, how class weights are computed and combined with
sample weights, which weights are refused) are written once, below, over
those few operations.  Each placement also names the
:class:`~sknn_digits._training.Objective` that evaluates the network where
its data are.
"""

import copy
from numbers import Real
from typing import NamedTuple

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from . import _dask
from ._compat import _check_sample_weight, device, get_namespace_and_device
from ._training import Objective, WeightFacts, check_fit_memory
from .core import host_dtype, namespace, to_numpy

__all__ = ["InMemory", "Prepared", "fit_encoder", "prepare", "sample_weights"]


class InMemory:
    """Data in this process: numpy arrays, array-likes and scipy sparse matrices, or, under
    scikit-learn's ``array_api_dispatch``, arrays of any array-API namespace on any device.

    Labels are read on the host (they are small); targets and weights are
    made in ``X``'s namespace, on its device, in its dtype.
    """

    objective = Objective
    #: Every row, target and activation of a fit is allocated in this process.
    rows_here = True

    @staticmethod
    def validate(estimator, X, y, sample_weight, warm):
        """``X`` (float, 2-D), ``y``, the weights, and the input attributes ``fit`` records."""
        xp = get_namespace_and_device(X)[0]
        layout = getattr(X, "layout", None)  # torch's sparse tensors are not strided
        if layout is not None and "strided" not in str(layout):
            raise TypeError(f"Sparse X of the {xp.__name__} namespace is not supported: pass "
                            "a dense array, or a scipy.sparse matrix for the numpy path.")
        kind = getattr(getattr(X, "dtype", None), "kind", None)
        if kind in ("M", "m", "U", "S", "V"):  # numpy would make floats of dates and text
            raise ValueError(f"X must hold numbers, got dtype {X.dtype}: convert them to "
                             "numeric features first.")
        # validate_data records the input's shape and names on the estimator it
        # is given: on a copy, so that nothing is assigned before the fit succeeds.
        shell = copy.copy(estimator)
        X, y = validate_data(shell, X, y, reset=not warm, accept_sparse=("csr", "csc"),
                             dtype=[xp.float64, xp.float32], multi_output=True)
        if sample_weight is not None:
            if namespace(X) is np and np.asarray(sample_weight).dtype.kind not in "biuf":
                raise TypeError("sample_weight must hold numbers, got "
                                f"{np.asarray(sample_weight).dtype} values: convert the "
                                "weights to floats first.")
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                                 ensure_non_negative=True)
        fitted = {"n_features_in_": shell.n_features_in_}
        if hasattr(shell, "feature_names_in_"):
            fitted["feature_names_in_"] = shell.feature_names_in_
        return X, y, sample_weight, fitted

    @staticmethod
    def label_sample(y):
        """Labels holding every class of ``y``, to fit the encoder to (on the host)."""
        return to_numpy(y)

    @staticmethod
    def encode(y, binarizer, X):
        """The 0/1 targets, in ``X``'s namespace, device and dtype."""
        Y = binarizer.transform(to_numpy(y))
        if namespace(X) is np:
            return Y.astype(X.dtype)
        return namespace(X).asarray(Y, dtype=X.dtype, device=device(X))

    @staticmethod
    def class_counts(y):
        return np.unique(to_numpy(y), return_counts=True)

    @staticmethod
    def per_sample(y, classes, factors, X):
        """``factors[k]`` for each sample of class ``classes[k]``, in ``X``'s namespace."""
        weights = factors[np.searchsorted(classes, to_numpy(y))]
        if namespace(X) is np:
            return weights
        return namespace(X).asarray(weights, dtype=X.dtype, device=device(X))

    @staticmethod
    def weight_facts(weights):
        """The weights' :class:`~sknn_digits._training.WeightFacts`."""
        xp = namespace(weights)
        with np.errstate(over="ignore"):
            total = float(xp.sum(weights))
        return WeightFacts(bool(xp.any(weights < 0)), bool(xp.all(xp.isfinite(weights))),
                           bool(xp.any(weights > 0)), total)

    @staticmethod
    def classes(binarizer, y):
        """``classes_`` as scikit-learn keeps them: in ``y``'s namespace and on its device."""
        if namespace(y) is np:
            return binarizer.classes_
        return namespace(y).asarray(binarizer.classes_, device=device(y))


class Prepared(NamedTuple):
    """Training data ready for a fit, and what the estimator records of them."""

    X: object
    y: object  # the labels as validated (scikit-learn's callbacks are shown them)
    Y: object  # 0/1 targets, one column per output unit
    sample_weight: object  # None or per-sample weights, class weights included
    multilabel: bool
    objective: type  # where the network is evaluated
    fitted: dict  # attributes known before training: classes_, n_features_in_, ...


def prepare(estimator, X, y, sample_weight, warm, hidden_sizes=(), classes=None,
            partial=False):
    """Validate, find the classes, encode and weigh ``(X, y)`` for ``estimator.fit``.

    A fit whose arrays (for ``hidden_sizes`` and the classes found) cannot
    fit in memory is refused before the targets are made.  ``partial`` is a
    ``partial_fit`` call: its first takes the ``classes`` of all the calls,
    the later ones labels among them.
    """
    placement = _dask.OnDask if _dask.is_dask(X) else InMemory
    X, y, sample_weight, fitted = placement.validate(estimator, X, y, sample_weight, warm)
    previous = estimator._label_binarizer if warm else None
    binarizer = fit_encoder(placement.label_sample(y), previous, type(estimator).__name__,
                            classes, partial)
    multilabel = binarizer.y_type_ == "multilabel-indicator"
    if placement.rows_here:
        n_outputs = 1 if binarizer.classes_.size == 2 and not multilabel else \
            binarizer.classes_.size
        check_fit_memory((X.shape[1], *hidden_sizes, n_outputs), X.shape[0],
                         host_dtype(X).itemsize, estimator.solver)
    weights = sample_weights(placement, sample_weight, estimator.class_weight, y,
                             binarizer.classes_, multilabel, X)
    fitted.update(_label_binarizer=binarizer, classes_=placement.classes(binarizer, y))
    return Prepared(X, y, placement.encode(y, binarizer, X), weights, multilabel,
                    placement.objective, fitted)


def fit_encoder(y, previous=None, name="BackpropMLPClassifier", classes=None, partial=False):
    """A LabelBinarizer fitted to ``y``'s classes; for a warm start, the same as ``previous``.

    For ``partial_fit``: fitted to ``classes`` (the first call), or ``previous``
    when ``y``'s labels are among its classes (the later ones).
    """
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    kind = type_of_target(y)
    if kind not in ("binary", "multiclass", "multilabel-indicator"):
        raise ValueError(f"{name} fits binary, multiclass or multilabel-indicator targets; "
                         f"got {kind!r} targets.")
    if partial and previous is not None:
        if classes is not None and previous.y_type_ != "multilabel-indicator" and not (
                np.array_equal(np.unique(np.asarray(classes)), previous.classes_)):
            raise ValueError(f"classes={np.asarray(classes).tolist()} is not the classes of "
                             f"the first call to partial_fit: {previous.classes_.tolist()}.")
        _check_among(y, kind, previous.classes_, previous.y_type_)
        return previous
    if partial and classes is None and kind != "multilabel-indicator":
        raise ValueError(f"{name}.partial_fit needs classes=... on its first call: the "
                         "classes of every call's labels, so that the output units are made "
                         "once.")
    if partial and kind != "multilabel-indicator":
        binarizer = LabelBinarizer().fit(column_or_1d(np.asarray(classes)))
        _check_among(y, kind, binarizer.classes_, binarizer.y_type_)
    else:
        binarizer = LabelBinarizer().fit(y)
    if binarizer.classes_.size < 2:
        raise ValueError(f"{name} needs samples of at least 2 classes; "
                         f"y holds one class only: {json_label(binarizer.classes_[0])!r}.")
    if previous is not None and (binarizer.y_type_ != previous.y_type_
                                 or not np.array_equal(binarizer.classes_, previous.classes_)):
        raise ValueError("warm_start needs y with the same classes as the previous fit "
                         f"({previous.classes_.tolist()}), got {binarizer.classes_.tolist()}.")
    return binarizer


def _check_among(y, kind, classes, y_type):
    """Refuse labels that are not among ``classes`` (``partial_fit``'s later calls)."""
    if (kind == "multilabel-indicator") != (y_type == "multilabel-indicator"):
        raise ValueError(f"y holds {kind} targets where the first call's were {y_type}.")
    if kind == "multilabel-indicator":
        if y.shape[1] != len(classes):
            raise ValueError(f"y has {y.shape[1]} label columns where the first call's had "
                             f"{len(classes)}.")
        return
    unknown = np.setdiff1d(np.unique(y), classes)
    if unknown.size:
        raise ValueError(f"y holds labels that are not among the classes "
                         f"{classes.tolist()}: {unknown.tolist()[:10]}.")


def sample_weights(placement, sample_weight, class_weight, y, classes, multilabel, X):
    """Sample weights times class weights, or None; refused unless usable.

    ``"balanced"`` weighs class ``k`` by ``n_samples / (n_classes * count_k)``;
    a dict by its values, with scikit-learn's rules for its keys.  The
    product must be finite and non-negative, and positive somewhere.
    """
    if class_weight is not None:
        if multilabel:
            raise ValueError("class_weight is not supported for multilabel targets.")
        if class_weight == "balanced":
            values, counts = placement.class_counts(y)
            factors = sum(counts) / (len(values) * np.asarray(counts, dtype=np.float64))
        else:
            bad = {k: w for k, w in class_weight.items()
                   if not (isinstance(w, Real) and np.isfinite(w) and w >= 0)}
            if bad:
                raise ValueError("class_weight must map classes to finite, non-negative "
                                 f"numbers; got {bad}.")
            known = set(np.asarray(to_numpy(classes)).tolist())
            unknown = [key for key in class_weight if key not in known]
            if unknown:  # scikit-learn names the classes missing, never the stray keys
                raise ValueError(
                    f"class_weight has keys that are no class of y: "
                    f"{', '.join(map(repr, unknown))}; y's classes are "
                    f"{', '.join(map(repr, sorted(known, key=str)))}. Use those as keys "
                    "(a class missing from the dict weighs 1).")
            factors = compute_class_weight(class_weight, classes=classes, y=classes)
        factors = placement.per_sample(y, classes, np.asarray(factors, dtype=host_dtype(X)), X)
        sample_weight = factors if sample_weight is None else sample_weight * factors
    if sample_weight is None:
        return None
    facts = placement.weight_facts(sample_weight)
    negative, finite, positive, total = facts.negative, facts.finite, facts.positive, facts.total
    if negative or not finite:
        raise ValueError("sample_weight must be finite and non-negative.")
    if not positive:
        raise ValueError("sample_weight (times class_weight) is zero for every sample: "
                         "at least one weight must be positive.")
    if 0 < total < np.finfo(np.float64).tiny * 2**52:  # 1/total would overflow
        raise ValueError(f"sample_weight (times class_weight) sums to {total:g}, too small "
                         "to divide the cost by; scale the weights up (only their ratios "
                         "matter to the data term).")
    if not np.isfinite(total):  # the cost divides by the sum: it would be 0 everywhere
        raise ValueError("sample_weight (times class_weight) sums to more than floating "
                         "point holds; scale the weights down (only their ratios matter "
                         "to the data term).")
    return sample_weight


def json_label(label):
    """A class label as a plain Python value (``numpy.int64(3)`` -> ``3``), for JSON.

    Examples
    --------
    >>> json_label(np.int64(3)), json_label("seven")
    (3, 'seven')
    """
    return label.item() if isinstance(label, np.generic) else label
