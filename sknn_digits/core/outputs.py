"""Output layers and their losses, computed from the pre-activations.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax

from .arrays import _astype, namespace

# ---------------------------------------------------------------------------
# Output layers: each loss is computed from the pre-activations z, never from
# log(h), so that a saturated unit gives a finite cost.  Both pair their
# activation with their loss so that dloss/dz = h - y (the "canonical link"),
# and each carries the directional derivative of h for the Hessian.
# ---------------------------------------------------------------------------


def softplus(z):
    """``log(1 + e^z)`` for any finite ``z``, as ``max(z, 0) + log1p(e^-|z|)``.

    Examples
    --------
    >>> from sknn_digits.core import softplus
    >>> softplus(np.array([-1000.0, 0.0, 1000.0])).round(6).tolist()
    [0.0, 0.693147, 1000.0]
    """
    xp = namespace(z)
    return _positive_part(z) + xp.log1p(xp.exp(-xp.abs(z)))


def _positive_part(z):
    """``max(z, 0)``, as a new array."""
    if isinstance(z, np.ndarray):
        return np.maximum(z, 0)
    xp = namespace(z)
    return xp.where(z > 0, z, xp.zeros_like(z))


def _expit(z):
    """The sigmoid ``1 / (1 + e^-z)``: scipy's ``expit`` on numpy."""
    if isinstance(z, np.ndarray):
        return expit(z)
    return 1.0 / (1.0 + namespace(z).exp(-z))


def _log_expit(z):
    """``log g(z) = -softplus(-z)``, exact where ``g(z)`` rounds to 0 or 1."""
    return log_expit(z) if isinstance(z, np.ndarray) else -softplus(-z)


def _log_softmax(z):
    """``log softmax(z)`` along rows, from the largest entry of each row."""
    if isinstance(z, np.ndarray):
        return log_softmax(z, axis=1)
    xp = namespace(z)
    shifted = z - xp.max(z, axis=1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def logistic_loss(z, Y):
    """Per-sample cross-entropy of independent sigmoid units (the course's).

    ``-y log g(z) - (1 - y) log(1 - g(z))`` simplifies to ``log(1 + e^z) - y z``,
    which :func:`softplus` evaluates without overflow.
    """
    return namespace(z).sum(softplus(z) - Y * z, axis=1)


def logistic_h_direction(h, Rz):
    """Change of ``h = g(z)`` along ``Rz``: ``g'(z) Rz = h (1 - h) Rz``."""
    return h * (1.0 - h) * Rz


def logistic_log_proba(z, multilabel=False):
    """Log-probabilities of sigmoid output units, from their pre-activations.

    One unit (binary): ``P(classes_[1]) = g(z)``.  Multilabel: each unit is the
    independent probability of its label.  Otherwise the units are normalised
    per row, as one-vs-rest classifiers are.  ``log g(z)`` is computed as
    ``log_expit(z)``, exact where ``g(z)`` rounds to 0 or 1.
    """
    if multilabel:
        return _log_expit(z)
    if z.shape[1] == 1:
        pair = [_log_expit(-z), _log_expit(z)]
        return np.hstack(pair) if isinstance(z, np.ndarray) else namespace(z).concat(pair, axis=1)
    return _log_softmax(_log_expit(z))


def softmax_loss(z, Y):
    """Per-sample multinomial cross-entropy ``-sum_k y_k log softmax(z)_k``."""
    return -namespace(z).sum(Y * _log_softmax(z), axis=1)


def _softmax(z):
    if isinstance(z, np.ndarray):
        return softmax(z, axis=1)
    return namespace(z).exp(_log_softmax(z))


def softmax_h_direction(h, Rz):
    """Change of ``h = softmax(z)`` along ``Rz``: ``h * (Rz - sum_k h_k Rz_k)``."""
    return h * (Rz - namespace(h).sum(h * Rz, axis=1, keepdims=True))


def softmax_log_proba(z, multilabel=False):
    """``log softmax(z)``: softmax outputs are probabilities already."""
    return _log_softmax(z)


def label_indices(z, multilabel=False):
    """The predicted class of each row as an index into ``classes_``.

    Every output is increasing in ``z`` and its units cross 0.5 at ``z = 0``,
    so the decision is read from ``z``: a threshold at 0 for one unit and
    for each label of a multilabel output (then a 0/1 indicator matrix),
    the largest unit otherwise.

    Examples
    --------
    >>> from sknn_digits.core import label_indices
    >>> label_indices(np.array([[-1.0], [2.0]])).tolist()
    [0, 1]
    >>> label_indices(np.array([[0.1, 3.0, -2.0]])).tolist()
    [1]
    """
    xp = namespace(z)
    if multilabel:
        return _astype(z > 0, xp.int64)
    if z.shape[1] == 1:
        return _astype(z[:, 0] > 0, xp.int64)
    return xp.argmax(z, axis=1)


def true_labels(Y, multilabel=False):
    """The class index (or 0/1 label row) each row of the 0/1 target matrix ``Y`` stands for.

    Examples
    --------
    >>> from sknn_digits.core import true_labels
    >>> true_labels(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])).tolist()
    [1, 0]
    """
    xp = namespace(Y)
    if multilabel:
        return _astype(Y, xp.int64)
    return _astype(Y[:, 0], xp.int64) if Y.shape[1] == 1 else xp.argmax(Y, axis=1)


class Output(NamedTuple):
    """An output layer: what it means, written once.

    ``h(z)`` its activation, ``loss(z, Y)`` the per-sample loss,
    ``h_direction(h, Rz)`` the change of ``h`` along ``Rz`` (for the
    Hessian), ``log_proba(z, multilabel)`` the class log-probabilities and
    ``labels(z, multilabel)`` the predicted class indices.
    """

    h: Callable
    loss: Callable
    h_direction: Callable
    log_proba: Callable
    labels: Callable


#: Output layers by name.
OUTPUTS = {
    "logistic": Output(_expit, logistic_loss, logistic_h_direction, logistic_log_proba,
                       label_indices),
    "softmax": Output(_softmax, softmax_loss, softmax_h_direction, softmax_log_proba,
                      label_indices),
}
