"""BackpropMLPClassifier: the course's network as a scikit-learn classifier.

The estimator is glue: it validates its input, encodes the labels as 0/1
columns, hands :func:`sknn_digits.core.loss_and_gradient` to
:func:`scipy.optimize.minimize` and keeps what comes back.
"""

import hashlib
import warnings
from contextlib import nullcontext
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import log_expit, log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from threadpoolctl import ThreadpoolController

try:  # scikit-learn 1.9 and later: fit callbacks (ProgressBar, ScoringMonitor, ...)
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # older scikit-learn has no callbacks

    class CallbackSupportMixin:
        """Stands in for scikit-learn's callback mixin, which came with 1.9."""


from .core import (
    ACTIVATIONS,
    forward,
    hessian_vector_product,
    loss_and_gradient,
    roll,
    unpack,
    unroll,
)
from .initialization import initial_params

__all__ = ["BackpropMLPClassifier", "SOLVERS"]

#: ``scipy.optimize.minimize`` methods that use the gradient and no Hessian.
FIRST_ORDER_SOLVERS = ("L-BFGS-B", "CG", "BFGS", "TNC")
#: Methods that also use exact Hessian-vector products.
SECOND_ORDER_SOLVERS = ("Newton-CG", "trust-ncg", "trust-krylov")
SOLVERS = FIRST_ORDER_SOLVERS + SECOND_ORDER_SOLVERS


class BackpropMLPClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron trained by backpropagation and ``scipy.optimize``.

    The handwritten-digits network of the classic machine-learning course
    (400-25-10 sigmoid units, cross-entropy cost, L2 penalty ``lambda``),
    generalised to any layer sizes, activations and labels.  The whole
    training set is used at every step, and the cost and its exact gradient
    are handed to a full-batch optimiser from :func:`scipy.optimize.minimize`.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=25
        Units in each hidden layer.
    activation : {"logistic", "tanh", "relu"}, default="logistic"
        Hidden-layer activation.
    output_activation : {"logistic", "softmax"}, default="logistic"
        ``"logistic"``: one sigmoid unit per class with binary cross-entropy
        summed over units (the course's network; also fits multilabel
        targets).  ``"softmax"``: multinomial cross-entropy, as
        :class:`~sklearn.neural_network.MLPClassifier`.  Binary targets always
        use a single sigmoid unit (two-class softmax is the same model).
    alpha : float, default=1.0
        The course's ``lambda``: the cost gains ``alpha / (2 m)`` times the
        sum of the squared weights, biases excluded (the scaling of
        ``MLPClassifier``'s ``alpha``).
    solver : {"L-BFGS-B", "CG", "BFGS", "TNC", "Newton-CG", "trust-ncg", \
"trust-krylov"}, default="L-BFGS-B"
        The :func:`scipy.optimize.minimize` method.  ``"CG"`` is the closest
        to the course's ``fmincg``.  The last three also use exact
        Hessian-vector products (Pearlmutter's R-operator).
    max_iter : int, default=400
        Maximum number of solver iterations (function evaluations for
        ``"TNC"``).
    tol : float or None, default=None
        Passed to :func:`~scipy.optimize.minimize` as ``tol``; ``None`` keeps
        the solver's own defaults.
    init_epsilon : float or "auto", default=0.12
        Initial weights are uniform in ``[-init_epsilon, init_epsilon]``;
        ``"auto"`` uses ``sqrt(6) / sqrt(L_in + L_out)`` per layer.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights.
    verbose : int, default=0
        If positive, print the cost after every iteration.
    warm_start : bool, default=False
        Start from the previous fit's weights instead of random ones.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.
    n_threads : int or None, default=None
        BLAS threads for the cost evaluations while fitting.  ``None``
        chooses by problem size: one thread where the products are too small
        to gain from more, all of them otherwise.  Never more than the limit
        in force when ``fit`` starts (so a fit inside a parallel grid search
        keeps to its share of the cores).  The solver's own vector work always
        runs on one thread: on vectors of ``n_params`` more threads only
        cost time.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        score its accuracy after every iteration, stop when it has not
        improved by ``tol`` (1e-4 when ``tol`` is None) for
        ``n_iter_no_change`` iterations, and keep the best weights seen.
        (The TNC solver cannot be stopped early; it still returns the best
        weights.)
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Iterations without improvement before early stopping.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, or output indices for multilabel targets.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features, when ``X`` has string column names.
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape ``(n_in, n_out)``: the weights of layer ``i``
        in :class:`~sklearn.neural_network.MLPClassifier`'s layout.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape ``(n_out,)``: the biases of layer ``i``.
    thetas_ : list of ndarray
        The same weights in the course's layout, ``(n_out, 1 + n_in)`` with
        the bias column first.  ``coefs_``, ``intercepts_`` and ``thetas_``
        share memory.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        ``"logistic"`` or ``"softmax"``: the output layer actually used.
    loss_ : float
        The cost ``J`` (data term plus penalty) at the returned weights.
    loss_curve_ : list of float
        ``J`` after each solver iteration.
    n_iter_ : int
        Number of solver iterations.
    solver_message_ : str
        The solver's final message.
    validation_scores_ : list of float
        With ``early_stopping``: held-out accuracy at the start and after
        each iteration.
    best_validation_score_ : float
        With ``early_stopping``: the best of ``validation_scores_``, whose
        weights were kept.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : the same model family, trained by
        stochastic or L-BFGS solvers.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sknn_digits import BackpropMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, random_state=0, stratify=y)
    >>> clf = BackpropMLPClassifier(random_state=0).fit(X_train, y_train)
    >>> bool(clf.score(X_test, y_test) > 0.95)
    True
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "output_activation": [StrOptions({"logistic", "softmax"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "init_epsilon": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=25,
        activation="logistic",
        output_activation="logistic",
        *,
        alpha=1.0,
        solver="L-BFGS-B",
        max_iter=400,
        tol=None,
        init_epsilon=0.12,
        random_state=None,
        verbose=0,
        warm_start=False,
        class_weight=None,
        n_threads=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.init_epsilon = init_epsilon
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.n_threads = n_threads
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data is trained in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a 0/1 indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights act as repeated samples.

        Returns
        -------
        self : BackpropMLPClassifier
            The fitted estimator.
        """
        keep_previous = self.warm_start and hasattr(self, "coefs_")
        X, Y, sample_weight = self._training_data(X, y, sample_weight, keep_previous)
        layer_sizes = (X.shape[1], *self._hidden_sizes(), Y.shape[1])
        callbacks = _FitCallbacks.begin(self, X, y, sample_weight, layer_sizes)
        observers = [] if callbacks is None else [callbacks]
        if self.early_stopping:
            X, Y, sample_weight, X_val, Y_val = self._validation_split(X, Y, sample_weight)
        X, Y, sample_weight = _merge_duplicate_samples(X, Y, sample_weight)
        if self.early_stopping:
            monitor = _EarlyStopping(X_val, Y_val, self._label_binarizer, layer_sizes,
                                     self.activation, self.n_iter_no_change,
                                     1e-4 if self.tol is None else self.tol)
            observers.append(monitor)
        objective = _Objective(
            dict(layer_sizes=layer_sizes, X=X, Y=Y, alpha=self.alpha,
                 activation=self.activation, output=self.out_activation_,
                 sample_weight=sample_weight),
            self.n_threads,
        )
        x0 = self._starting_params(layer_sizes, keep_previous)
        _warn_if_saturated(X, x0, layer_sizes, self.activation)
        # The solver's own work is on vectors of n_params: one thread does it best.
        with objective.blas.limit(limits=1):
            initial_loss = objective(x0)[0]
            result, self.loss_curve_ = _run_solver(
                objective, x0, self.solver, self.max_iter, self.tol, self.verbose,
                objective.hessp if self.solver in SECOND_ORDER_SOLVERS else None, observers,
            )
            params, self.loss_ = result.x, float(result.fun)
            if self.early_stopping:  # keep the weights that scored best
                params, self.loss_ = monitor.best_params, float(objective(monitor.best_params)[0])
                self.validation_scores_ = monitor.scores
                self.best_validation_score_ = monitor.best_score
        self._set_weights(params, layer_sizes)
        self.n_iter_ = len(self.loss_curve_)
        self.solver_message_ = str(result.message)
        if callbacks is not None:
            callbacks.end()
        self._warn_if_not_converged(result, None if keep_previous else initial_loss)
        return self

    def _training_data(self, X, y, sample_weight, keep_previous):
        """Validated ``X``, 0/1 targets ``Y`` in ``X``'s dtype, and sample weights."""
        X, y = validate_data(
            self, X, y, reset=not keep_previous, accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32), multi_output=True,
        )
        Y = self._encode_targets(y, keep_previous).astype(X.dtype)
        if self.output_activation == "softmax" and self._multilabel:
            raise ValueError(
                "output_activation='softmax' cannot fit multilabel targets: each "
                "sample may belong to several classes. Use output_activation='logistic'."
            )
        self.out_activation_ = (
            "softmax" if self.output_activation == "softmax" and Y.shape[1] > 1 else "logistic"
        )
        return X, Y, self._sample_weight(sample_weight, y, X)

    def _warn_if_not_converged(self, result, initial_loss):
        """ConvergenceWarning when a fresh fit made no progress or max_iter stopped it."""
        if initial_loss is not None and not self.loss_ < initial_loss * (1 - 1e-9):
            warnings.warn(
                f"The fit made no progress: J stayed at {initial_loss:.6g}. The hidden "
                "units are probably saturated or the gradient vanishes; scale the "
                "features (e.g. with MinMaxScaler or StandardScaler) or lower init_epsilon.",
                ConvergenceWarning,
                stacklevel=3,  # the caller's fit
            )
        elif _hit_iteration_limit(result, self.solver, self.max_iter):
            warnings.warn(
                f"{self.solver} reached max_iter={self.max_iter} iterations before "
                f"converging ({self.solver_message_}). Increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,  # the caller's fit
            )

    def _validation_split(self, X, Y, sample_weight):
        """Hold out ``validation_fraction`` of the samples, stratified by class."""
        stratify = None if self._multilabel else Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]
        n_val = int(np.ceil(self.validation_fraction * X.shape[0]))
        if n_val < 1 or X.shape[0] - n_val < 2:
            raise ValueError(
                f"early_stopping needs a validation set and a training set: "
                f"validation_fraction={self.validation_fraction} of {X.shape[0]} samples "
                "leaves one of them (nearly) empty."
            )
        weights = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        X, X_val, Y, Y_val, weights, _ = train_test_split(
            X, Y, weights, test_size=n_val, stratify=stratify, random_state=self.random_state
        )
        return X, Y, None if sample_weight is None else weights, X_val, Y_val

    def _hidden_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))
        if (
            sizes.ndim != 1
            or sizes.size == 0
            or not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0
                       for s in sizes)
        ):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a non-empty tuple of "
                f"positive ints, got {self.hidden_layer_sizes!r}."
            )
        return tuple(int(s) for s in sizes)

    def _encode_targets(self, y, keep_previous):
        """0/1 columns for the output units; sets ``classes_`` on a fresh fit."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(
                f"{type(self).__name__} fits binary, multiclass or multilabel-"
                f"indicator targets; got {kind!r} targets."
            )
        binarizer = LabelBinarizer().fit(y)
        if binarizer.classes_.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; y "
                f"holds one class only: {binarizer.classes_[0]!r}."
            )
        if keep_previous and (
            binarizer.y_type_ != self._label_binarizer.y_type_
            or not np.array_equal(binarizer.classes_, self.classes_)
        ):
            raise ValueError(
                "warm_start needs y with the same classes as the previous fit "
                f"({self.classes_.tolist()}), got {binarizer.classes_.tolist()}."
            )
        self._label_binarizer, self.classes_ = binarizer, binarizer.classes_
        return self._label_binarizer.transform(y)

    @property
    def _multilabel(self):
        return self._label_binarizer.y_type_ == "multilabel-indicator"

    def _sample_weight(self, sample_weight, y, X):
        """Validated sample weights times class weights, or None."""
        if sample_weight is not None:
            sample_weight = check_array(
                sample_weight, ensure_2d=False, dtype=X.dtype, input_name="sample_weight"
            )
            if sample_weight.ndim != 1:
                raise ValueError(
                    f"sample_weight must be 1-D, got shape {sample_weight.shape}."
                )
            check_consistent_length(X, sample_weight)
            if (sample_weight < 0).any():
                raise ValueError("sample_weight must be non-negative.")
        if self.class_weight is not None:
            if self._multilabel:
                raise ValueError("class_weight is not supported for multilabel targets.")
            class_factors = compute_sample_weight(self.class_weight, y)
            sample_weight = (
                class_factors if sample_weight is None else sample_weight * class_factors
            )
        if sample_weight is not None and not sample_weight.any():
            raise ValueError(
                "sample_weight is zero for every sample: at least one weight must "
                "be positive."
            )
        return sample_weight

    def _starting_params(self, layer_sizes, keep_previous):
        if keep_previous:
            previous = (self.n_features_in_, *(W.shape[1] for W in self.coefs_))
            if previous != layer_sizes:
                raise ValueError(
                    f"warm_start needs the same layer sizes as the previous fit: "
                    f"{previous} before, {layer_sizes} now."
                )
            return unroll(*self.thetas_)
        return initial_params(layer_sizes, self.init_epsilon, self.random_state)

    def _set_weights(self, params, layer_sizes):
        """Store ``params`` as ``thetas_``, ``coefs_`` and ``intercepts_`` (shared memory)."""
        for name, value in _weight_attributes(params, layer_sizes).items():
            setattr(self, name, value)

    @classmethod
    def from_thetas(cls, thetas, classes, **params):
        """A fitted classifier made from the course's weight matrices.

        Parameters
        ----------
        thetas : sequence of array-like
            ``Theta_l`` of shape ``(n_out, 1 + n_in)``, bias column first, from
            the first layer to the output layer.
        classes : array-like of shape (n_output_units,)
            What each output unit means, in unit order (for the course's
            weights, ``[1, 2, ..., 9, 0]``: unit 10 stands for digit 0).  The
            units are reordered so that ``classes_`` comes out sorted.  A
            single output unit with two classes is a binary model whose unit
            answers ``classes[1]``.
        **params
            Other constructor parameters (``activation``, ...).

        Returns
        -------
        BackpropMLPClassifier
            Ready to ``predict``; ``fit`` would train it anew.

        Examples
        --------
        >>> import numpy as np
        >>> from sknn_digits import BackpropMLPClassifier
        >>> theta_1 = np.array([[0.0, 1.0]])
        >>> theta_2 = np.array([[-2.0, 4.0], [2.0, -4.0]])   # units: "b", "a"
        >>> clf = BackpropMLPClassifier.from_thetas([theta_1, theta_2], ["b", "a"])
        >>> clf.classes_.tolist(), clf.predict([[-5.0], [5.0]]).tolist()
        (['a', 'b'], ['a', 'b'])
        """
        thetas = [np.asarray(t, dtype=np.float64) for t in thetas]
        classes = np.asarray(classes)
        if not thetas or any(t.ndim != 2 for t in thetas):
            raise ValueError("thetas must be a non-empty list of 2-D weight matrices.")
        for below, above in zip(thetas, thetas[1:]):
            if above.shape[1] != below.shape[0] + 1:
                raise ValueError(
                    f"Theta of shape {above.shape} cannot follow one of shape "
                    f"{below.shape}: it needs 1 + {below.shape[0]} columns."
                )
        n_units = thetas[-1].shape[0]
        if classes.ndim != 1 or np.unique(classes).size != classes.size or not (
            classes.size == n_units >= 2 or (classes.size == 2 and n_units == 1)
        ):
            raise ValueError(
                f"classes must name each of the {n_units} output units once (or two "
                f"classes for one unit), got {classes.tolist()}."
            )
        if n_units > 1:
            thetas[-1] = thetas[-1][np.argsort(classes)]
        elif classes[0] > classes[1]:  # the unit must answer the larger label
            thetas[-1] = -thetas[-1]
        estimator = cls(hidden_layer_sizes=tuple(t.shape[0] for t in thetas[:-1]), **params)
        estimator._label_binarizer = LabelBinarizer().fit(classes)
        estimator.classes_ = estimator._label_binarizer.classes_
        estimator.n_features_in_ = thetas[0].shape[1] - 1
        estimator.out_activation_ = "logistic"
        layer_sizes = (estimator.n_features_in_, *(t.shape[0] for t in thetas))
        estimator._set_weights(unroll(*thetas), layer_sizes)
        return estimator

    # -------------------------------------------------------------- predict

    def _output_preactivation(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
        )
        coefs = [W.astype(X.dtype, copy=False) for W in self.coefs_]
        intercepts = [b.astype(X.dtype, copy=False) for b in self.intercepts_]
        return forward(X, coefs, intercepts, self.activation)[1]

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted labels; an indicator matrix for multilabel targets.
        """
        z = self._output_preactivation(X)
        # Every output is monotone in z, so thresholds and argmax apply to z.
        return self._label_binarizer.inverse_transform(z, threshold=0.0)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed without taking log of 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        z = self._output_preactivation(X)
        if self.n_outputs_ == 1:  # one sigmoid unit: P(classes_[1]) = g(z)
            return np.hstack([log_expit(-z), log_expit(z)])
        if self._multilabel:  # independent units: P(label k) = g(z_k)
            return log_expit(z)
        if self.out_activation_ == "logistic":  # units normalised per row
            return log_softmax(log_expit(z), axis=1)
        return log_softmax(z, axis=1)

    def predict_proba(self, X):
        """Class probabilities.

        For the course's sigmoid outputs the unit activations are normalised
        to sum to 1 per row (as one-vs-rest classifiers do); softmax outputs
        are probabilities already.  For multilabel targets each column is the
        independent probability of its label.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return np.exp(self.predict_log_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags


#: From this many multiply-adds per cost evaluation on, more BLAS threads pay
#: off (measured by ``benchmarks/run.py``; see the performance page).
PARALLEL_FLOPS = 3e7


def _blas_threads(n_threads, X, layer_sizes, blas):
    """BLAS threads for the cost evaluations of a fit.

    The user's ``n_threads``, else 1 for small problems and all for large ones;
    never more than the limit in force when the fit starts, so a fit inside a
    parallel grid search keeps to its share of the cores.
    """
    available = max((c.num_threads for c in blas.lib_controllers), default=1)
    if n_threads is None:
        per_sample = sum(n_in * n_out for n_in, n_out in zip(layer_sizes, layer_sizes[1:]))
        n_threads = available if 3 * X.shape[0] * per_sample >= PARALLEL_FLOPS else 1
    return max(1, min(n_threads, available))


def _merge_duplicate_samples(X, Y, sample_weight):
    """Merge repeated ``(x, y)`` rows into weights, and drop rows of weight zero.

    A row repeated ``k`` times becomes one row of weight ``k``: the cost is the
    same and cheaper to evaluate.  When anything is merged or dropped, the
    remaining rows are put in an order that depends only on their contents,
    so trading repeated rows for integer weights, in any order, gives
    bit-for-bit the same fit.  Otherwise the data are returned as they are,
    without a copy.

    Returns
    -------
    X, Y : the distinct rows of positive weight
    weights : ndarray of shape (n_rows,) in ``X``'s dtype, or None
    """
    keys = _row_keys(X, Y)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    has_zero = sample_weight is not None and not np.all(sample_weight > 0)
    if first.size == X.shape[0] and not has_zero:
        return X, Y, sample_weight
    weights = np.ones(X.shape[0], dtype=X.dtype) if sample_weight is None else sample_weight
    merged = np.bincount(inverse.ravel(), weights=weights).astype(X.dtype)
    keep = merged > 0
    return X[first[keep]], Y[first[keep]], merged[keep]


def _row_keys(X, Y):
    """A 16-byte digest per sample, equal exactly when the ``(x, y)`` rows are equal.

    Hashing row by row reads ``X`` once and copies nothing of its size.
    """
    if sparse.issparse(X):
        X = sparse.csr_matrix(X)  # a copy when X is CSC
        X.sum_duplicates()
        X.sort_indices()
        rows = (
            (X.indices[start:stop], X.data[start:stop])
            for start, stop in zip(X.indptr[:-1], X.indptr[1:])
        )
    else:
        rows = ((row,) for row in X)
    keys = np.empty(X.shape[0], dtype="V16")
    for i, (parts, y) in enumerate(zip(rows, Y)):
        digest = hashlib.blake2b(y.tobytes(), digest_size=16)
        for part in parts:
            digest.update(np.ascontiguousarray(part).tobytes())
        keys[i] = digest.digest()
    return keys


class _Objective:
    """``J`` and its gradient (and Hessian products) for the solver, on reused buffers.

    Evaluations run with the BLAS threads chosen for the problem size; the
    solver calls it with a float64 vector and gets float64 back whatever the
    data's dtype.
    """

    def __init__(self, problem, n_threads):
        self.problem = problem
        self.workspace = {}  # activation-sized arrays reused by every evaluation
        self.blas = ThreadpoolController().select(user_api="blas")
        self.threads = _blas_threads(n_threads, problem["X"], problem["layer_sizes"], self.blas)

    def _threads(self):
        return self.blas.limit(limits=self.threads) if self.threads > 1 else nullcontext()

    def __call__(self, params):
        with self._threads():
            J, grad = loss_and_gradient(params, workspace=self.workspace, **self.problem)
        return J, grad.astype(np.float64, copy=False)

    def hessp(self, params, vector):
        with self._threads():
            return hessian_vector_product(params, vector, **self.problem).astype(np.float64)


def _weight_attributes(params, layer_sizes):
    """The fitted attributes that hold the weights ``params``."""
    params = np.array(params, dtype=np.float64)
    coefs, intercepts = unpack(params, layer_sizes)
    return {"thetas_": roll(params, layer_sizes), "coefs_": coefs, "intercepts_": intercepts,
            "n_layers_": len(layer_sizes), "n_outputs_": layer_sizes[-1]}


class _FitCallbacks:
    """scikit-learn's fit callbacks (1.9 and later), with one task per solver iteration.

    scipy reports the end of each iteration; that ends the iteration's task and
    begins the next one, as scikit-learn's own L-BFGS estimators do.  Each task
    carries the weights, so a callback can score the model as it was then.
    """

    @classmethod
    def begin(cls, estimator, X, y, sample_weight, layer_sizes):
        """The bridge for this fit, or None when scikit-learn has no callbacks."""
        if not hasattr(estimator, "_init_callback_context"):
            return None
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        return cls(estimator, X, y, metadata, layer_sizes)

    def __init__(self, estimator, X, y, metadata, layer_sizes):
        self.estimator, self.X, self.y, self.metadata = estimator, X, y, metadata
        self.layer_sizes, self.iteration = layer_sizes, None
        self.per_iteration = hasattr(estimator, "_skl_callbacks")
        # Up to max_iter iterations, plus the task begun after the last one.
        self.context = estimator._init_callback_context(max_subtasks=estimator.max_iter + 1)
        self.context.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)

    def _hook(self, context, hook, params):
        return getattr(context, hook)(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes=_weight_attributes(params, self.layer_sizes),
        )

    def start(self, params):
        if self.per_iteration:
            self.iteration = self.context.subcontext(task_name="iteration")
            self._hook(self.iteration, "call_on_fit_task_begin", params)

    def __call__(self, params):
        if not self.per_iteration:
            return False
        stop = self._hook(self.iteration, "call_on_fit_task_end", params)
        self.start(params)
        return stop is True  # a callback may ask the fit to stop

    def close(self):
        if self.per_iteration:  # the task begun after the last iteration never ran
            self.iteration.call_on_fit_task_end(estimator=self.estimator)

    def end(self):
        self.context.call_on_fit_task_end(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes={},
        )


class _EarlyStopping:
    """Scores held-out data after each iteration; says when to stop; keeps the best weights."""

    def __init__(self, X_val, Y_val, binarizer, layer_sizes, activation, patience, tol):
        self.X_val, self.binarizer = X_val, binarizer
        self.y_val = binarizer.inverse_transform(Y_val)
        self.layer_sizes, self.activation = layer_sizes, activation
        self.patience, self.tol = patience, tol
        self.scores, self.best_score, self.best_params, self.stale = [], -np.inf, None, 0

    def accuracy(self, params):
        """Accuracy on the held-out samples, decoded as ``predict`` decodes them."""
        coefs, intercepts = unpack(params.astype(self.X_val.dtype), self.layer_sizes)
        z = forward(self.X_val, coefs, intercepts, self.activation)[1]
        return float(accuracy_score(self.y_val, self.binarizer.inverse_transform(z, threshold=0.0)))

    def start(self, params):
        """The starting point is a candidate too."""
        self(params)

    def close(self):
        pass

    def __call__(self, params):
        """Record the score at ``params``; True when it has stopped improving."""
        score = self.accuracy(params)
        self.scores.append(score)
        if score > self.best_score + self.tol:
            self.stale = 0
        else:
            self.stale += 1
        if score > self.best_score:
            self.best_score, self.best_params = score, params.copy()
        return self.stale >= self.patience


def _run_solver(objective, x0, solver, max_iter, tol, verbose, hessp=None, observers=()):
    """Minimise ``objective`` (returning ``(J, grad)``) and record J per iteration.

    scipy's callback sees the accepted point but not its cost; the cost was
    computed there already, so the last evaluation is remembered instead of
    evaluating again.  Each observer is told the start (``start(x0)``), every
    iteration (``observer(xk)``, True asks to stop) and the end (``close()``).
    """
    last = {}
    loss_curve = []

    def remembered(params):
        J, grad = objective(params)
        last["x"], last["J"] = params.copy(), J
        return J, grad

    def callback(xk):
        J = last["J"] if np.array_equal(xk, last.get("x")) else objective(xk)[0]
        loss_curve.append(J)
        if verbose:
            print(f"Iteration {len(loss_curve)}, loss = {J:.8f}")
        stop = [observer(xk) for observer in observers]  # every observer sees every step
        if any(stop) and solver != "TNC":
            raise StopIteration  # scipy ends the solve (TNC cannot be stopped this way)

    for observer in observers:
        observer.start(np.asarray(x0, dtype=np.float64))
    limit = {"maxfun": max_iter} if solver == "TNC" else {"maxiter": max_iter}
    result = minimize(
        remembered, x0, jac=True, hessp=hessp, method=solver, tol=tol, callback=callback,
        options=limit,
    )
    for observer in observers:
        observer.close()
    return result, loss_curve


def _warn_if_saturated(X, params, layer_sizes, activation):
    """Warn when the starting weights already saturate most first-layer units.

    A saturated sigmoid or tanh has a gradient of about zero, so the fit
    cannot move those units: usually the features are far from unit scale.
    """
    if activation == "relu":
        return
    coefs, intercepts = unpack(params.astype(X.dtype), layer_sizes)
    _, z = forward(X, coefs[:1], intercepts[:1], activation)
    saturated = float(np.mean(np.abs(z) > 20))
    if saturated > 0.9:
        warnings.warn(
            f"{saturated:.0%} of the first hidden layer's units are saturated at the "
            "starting weights, so their gradients vanish and the fit cannot learn: "
            "scale the features (e.g. with MinMaxScaler or StandardScaler) or lower "
            "init_epsilon.",
            ConvergenceWarning,
            stacklevel=3,  # the caller's fit
        )


def _hit_iteration_limit(result, solver, max_iter):
    """Did ``max_iter`` (function evaluations for TNC) stop the solver?"""
    used = result.nfev if solver == "TNC" else result.nit
    return not result.success and used >= max_iter
