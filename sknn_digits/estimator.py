"""BackpropMLPClassifier: the course's network as a scikit-learn classifier.

The estimator is glue: it validates its input, encodes the labels as 0/1
columns, builds a :class:`~sknn_digits._training.Problem`, hands it to the
trainer and assigns what comes back, all fitted attributes together at the
end, so a fit that raises leaves the estimator as it was.  What an output
means (probabilities, decisions) is read from :data:`sknn_digits.core.OUTPUTS`.
"""

import copy
import functools
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import _dask
from . import _training as training
from ._compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
    _fit_context,
)
from .core import ACTIVATIONS, OUTPUTS, check_thetas, forward, roll, unpack, unroll
from .initialization import initial_params

__all__ = ["BackpropMLPClassifier"]


def _blockwise(outputs):
    """On a dask array, the method runs on each chunk of rows on the workers, lazily.

    ``outputs(estimator)`` gives the result's number of columns (None for one
    value per row) and dtype.
    """
    def decorate(method):
        @functools.wraps(method)
        def run(self, X):
            if not _dask.is_dask(X):
                return method(self, X)
            check_is_fitted(self)
            return _dask.map_rows(functools.partial(method, self), X, self.n_features_in_,
                                  *outputs(self))
        return run
    return decorate


def _labels(estimator):
    if estimator._multilabel:
        return len(estimator.classes_), np.dtype(int)
    return None, estimator.classes_.dtype


def _probabilities(estimator):
    return len(estimator.classes_), estimator.coefs_[0].dtype


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
    activation : {"identity", "logistic", "tanh", "relu"}, default="logistic"
        Hidden-layer activation.
    output_activation : {"logistic", "softmax"}, default="logistic"
        ``"logistic"``: one sigmoid unit per class, binary cross-entropy
        summed over units (the course's network; also fits multilabel
        targets).  ``"softmax"``: multinomial cross-entropy, as
        :class:`~sklearn.neural_network.MLPClassifier`.  Binary targets always
        use one sigmoid unit (two-class softmax is the same model).
    alpha : float, default=1.0
        The course's ``lambda``: the cost gains ``alpha / (2 m)`` times the
        sum of the squared weights, biases excluded (``MLPClassifier``'s scaling).
    solver : {"L-BFGS-B", "CG", "BFGS", "TNC", "Newton-CG", "trust-ncg", \
"trust-krylov"}, default="L-BFGS-B"
        The :func:`scipy.optimize.minimize` method; ``"CG"`` is the closest to
        the course's ``fmincg``; the last three also use exact Hessian-vector
        products.
    max_iter : int, default=400
        Maximum number of solver iterations (function evaluations for ``"TNC"``).
    max_fun : int, default=15000
        Maximum number of cost evaluations, as ``MLPClassifier``'s.  Solvers
        without a limit of their own stop at the end of the iteration that
        reaches it.
    tol : float or None, default=1e-4
        The solver stops when the gradient is this small (L-BFGS-B's ``gtol``,
        as ``MLPClassifier`` uses its ``tol``; the step size for Newton-CG);
        ``None`` keeps the solver's own defaults.  Also early stopping's least
        improvement (1e-4 when None).
    init_epsilon : float or "auto", default=0.12
        Initial weights are uniform in ``[-init_epsilon, init_epsilon]``;
        ``"auto"`` uses ``sqrt(6) / sqrt(L_in + L_out)`` per layer.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights and of early stopping's split.
    verbose : int, default=0
        If positive, print the cost after every iteration.
    warm_start : bool, default=False
        Start from the previous fit's weights; ``loss_curve_`` and
        ``validation_scores_`` then go on from the previous fit's.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes (finite, non-negative), multiplied into
        ``sample_weight``.
    n_threads : int or None, default=None
        BLAS threads for the cost evaluations.  ``None`` chooses by problem
        size: one thread where the products are too small to gain from more.
        Never more than the limit in force when ``fit`` starts.  The solver's
        own vector work runs on one thread.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        score its accuracy after every iteration, stop when it has not
        improved by ``tol`` for more than ``n_iter_no_change`` iterations, and
        keep the weights of the best iteration.  (TNC cannot be stopped early;
        it still returns the best weights.)
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int or np.inf, default=10
        Iterations without improvement before early stopping.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, or output indices for multilabel targets.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features, when ``X`` has string column names.
    coefs_, intercepts_ : list of ndarray
        ``coefs_[i]`` of shape ``(n_in, n_out)`` and ``intercepts_[i]`` of
        shape ``(n_out,)``: layer ``i`` in ``MLPClassifier``'s layout, in the
        training data's dtype (float32 or float64).
    thetas_ : list of ndarray
        The same weights in the course's layout, ``(n_out, 1 + n_in)``, bias
        column first; ``coefs_``, ``intercepts_`` and ``thetas_`` share memory.
    n_layers_, n_outputs_ : int
        Number of layers (input and output included), of output units.
    out_activation_ : str
        The output layer actually used, ``"logistic"`` or ``"softmax"``.
    loss_ : float
        The cost ``J`` (data term plus penalty) at the returned weights.
    loss_curve_ : list of float
        ``J`` after each solver iteration.
    n_iter_ : int
        Number of solver iterations of the last fit.
    solver_message_ : str
        The solver's final message.
    validation_scores_ : list of float or None
        With ``early_stopping``, held-out accuracy after each iteration, else None.
    best_validation_score_ : float or None
        With ``early_stopping``, the best of ``validation_scores_`` (its
        weights were kept), else None.

    Notes
    -----
    Deliberate differences from ``MLPClassifier``: targets of one class are
    refused with an error (there is nothing to learn); ``predict_log_proba``
    is computed from the pre-activations, exact where ``predict_proba`` rounds
    to 0 or 1; there is no ``partial_fit``, since every step uses all samples.

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
        "output_activation": [StrOptions(set(OUTPUTS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions(set(training.SOLVERS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "init_epsilon": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
    }

    def __init__(
        self, hidden_layer_sizes=25, activation="logistic", output_activation="logistic", *,
        alpha=1.0, solver="L-BFGS-B", max_iter=400, max_fun=15000, tol=1e-4,
        init_epsilon=0.12, random_state=None, verbose=0, warm_start=False, class_weight=None,
        n_threads=None, early_stopping=False, validation_fraction=0.1, n_iter_no_change=10,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.max_fun = max_fun
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 data is trained in float32.  Never modified.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a 0/1 indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights act as repeated samples.

        Returns
        -------
        self : BackpropMLPClassifier
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "coefs_")
        if _dask.is_dask(X):  # the data stay on the cluster's workers
            problem, y, fitted, trainer = self._distributed_problem(X, y, sample_weight, warm)
        else:
            problem, y, fitted, trainer = self._problem(X, y, sample_weight, warm)
        multilabel = fitted["_label_binarizer"].y_type_ == "multilabel-indicator"
        # scikit-learn's callbacks rebuild each iteration's model from these and its weights.
        callbacks = training.SklearnCallbacks.begin(self, problem, y, dict(fitted))
        fit = trainer(
            problem, self._starting_params(problem.layer_sizes, warm),
            training.Settings.of(self), multilabel, warm=warm,
            previous_scores=self.validation_scores_ if warm else None,
            observers=[c for c in (callbacks,) if c is not None])
        coefs, intercepts = unpack(fit.params, problem.layer_sizes)
        fitted.update(
            thetas_=roll(fit.params, problem.layer_sizes), coefs_=coefs, intercepts_=intercepts,
            n_layers_=len(problem.layer_sizes), n_outputs_=problem.layer_sizes[-1],
            loss_=fit.loss, n_iter_=fit.n_iter, solver_message_=fit.message,
            loss_curve_=(list(self.loss_curve_) if warm else []) + fit.loss_curve,
            validation_scores_=fit.validation_scores,
            best_validation_score_=fit.best_validation_score)
        if "feature_names_in_" not in fitted:
            vars(self).pop("feature_names_in_", None)
        vars(self).update(fitted)  # every fitted attribute at once
        if callbacks is not None:
            callbacks.end()
        return self

    def _problem(self, X, y, sample_weight, warm):
        """What is minimised, for in-memory data; and the fitted attributes known before."""
        # validate_data records the input's shape and names on the estimator it
        # is given: on a copy, so that nothing is assigned before the fit succeeds.
        shell = copy.copy(self)
        X, y = validate_data(shell, X, y, reset=not warm, accept_sparse=("csr", "csc"),
                             dtype=(np.float64, np.float32), multi_output=True)
        binarizer = self._encoder(y, warm)
        multilabel = binarizer.y_type_ == "multilabel-indicator"
        Y = binarizer.transform(y).astype(X.dtype)
        problem = training.Problem(
            (X.shape[1], *self._hidden_sizes(), Y.shape[1]), X, Y, float(self.alpha),
            self.activation, self._out_activation(Y.shape[1], multilabel),
            self._sample_weight(sample_weight, X, y, multilabel),
        )
        fitted = dict(_label_binarizer=binarizer, classes_=binarizer.classes_,
                      n_features_in_=shell.n_features_in_, out_activation_=problem.output)
        if hasattr(shell, "feature_names_in_"):
            fitted["feature_names_in_"] = shell.feature_names_in_
        return problem, y, fitted, training.train

    def _distributed_problem(self, X, y, sample_weight, warm):
        """The same for dask arrays: validated, encoded and weighted on the workers."""
        X, y, sample_weight = _dask.check_inputs(
            X, y, sample_weight, self.n_features_in_ if warm else None)
        binarizer = self._encoder(_dask.labels(y), warm)
        multilabel = binarizer.y_type_ == "multilabel-indicator"
        Y = _dask.encode(y, binarizer, X.dtype)
        problem = training.Problem(
            (X.shape[1], *self._hidden_sizes(), Y.shape[1]), X, Y, float(self.alpha),
            self.activation, self._out_activation(Y.shape[1], multilabel),
            _dask.sample_weight(sample_weight, self.class_weight, y, binarizer.classes_,
                                multilabel, X.dtype),
        )
        fitted = dict(_label_binarizer=binarizer, classes_=binarizer.classes_,
                      n_features_in_=X.shape[1], out_activation_=problem.output)
        return problem, y, fitted, _dask.train

    def _hidden_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))
        if sizes.ndim != 1 or sizes.size == 0 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes
        ):
            raise ValueError("hidden_layer_sizes must be a positive int or a non-empty tuple "
                             f"of positive ints, got {self.hidden_layer_sizes!r}.")
        return tuple(int(s) for s in sizes)

    def _encoder(self, y, warm):
        """A LabelBinarizer fitted to ``y``'s classes (the previous ones for a warm start)."""
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"{type(self).__name__} fits binary, multiclass or "
                             f"multilabel-indicator targets; got {kind!r} targets.")
        binarizer = LabelBinarizer().fit(y)
        if binarizer.classes_.size < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; "
                             f"y holds one class only: {binarizer.classes_[0]!r}.")
        if warm and (binarizer.y_type_ != self._label_binarizer.y_type_
                     or not np.array_equal(binarizer.classes_, self.classes_)):
            raise ValueError("warm_start needs y with the same classes as the previous fit "
                             f"({self.classes_.tolist()}), got {binarizer.classes_.tolist()}.")
        return binarizer

    def _out_activation(self, n_outputs, multilabel):
        if self.output_activation == "softmax" and multilabel:
            raise ValueError(
                "output_activation='softmax' cannot fit multilabel targets: each sample may "
                "belong to several classes. Use output_activation='logistic'.")
        return "softmax" if self.output_activation == "softmax" and n_outputs > 1 else "logistic"

    def _sample_weight(self, sample_weight, X, y, multilabel):
        """Validated sample weights times class weights, or None."""
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                                 ensure_non_negative=True)
        if self.class_weight is not None:
            if multilabel:
                raise ValueError("class_weight is not supported for multilabel targets.")
            if isinstance(self.class_weight, dict):
                bad = {k: w for k, w in self.class_weight.items()
                       if not (isinstance(w, Real) and np.isfinite(w) and w >= 0)}
                if bad:
                    raise ValueError("class_weight must map classes to finite, non-negative "
                                     f"numbers; got {bad}.")
            factors = compute_sample_weight(self.class_weight, y).astype(X.dtype)
            sample_weight = factors if sample_weight is None else sample_weight * factors
        if sample_weight is not None and not sample_weight.any():
            raise ValueError("sample_weight (times class_weight) is zero for every sample: "
                             "at least one weight must be positive.")
        return sample_weight

    def _starting_params(self, layer_sizes, warm):
        if warm:
            previous = (self.n_features_in_, *(W.shape[1] for W in self.coefs_))
            if previous != layer_sizes:
                raise ValueError("warm_start needs the same layer sizes as the previous fit: "
                                 f"{previous} before, {layer_sizes} now.")
            return unroll(*self.thetas_).astype(np.float64)
        return initial_params(layer_sizes, self.init_epsilon, self.random_state)

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
            weights ``[1, 2, ..., 9, 0]``: unit 10 stands for digit 0).  The
            units are reordered so that ``classes_`` comes out sorted.  One
            output unit with two classes is a binary model answering ``classes[1]``.
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
        thetas, layer_sizes = check_thetas(thetas)
        classes, n_units = np.asarray(classes), layer_sizes[-1]
        if classes.ndim != 1 or np.unique(classes).size != classes.size or not (
            classes.size == n_units >= 2 or (classes.size == 2 and n_units == 1)
        ):
            raise ValueError(f"classes must name each of the {n_units} output units once (or "
                             f"two classes for one unit), got {classes.tolist()}.")
        if n_units > 1:
            thetas[-1] = thetas[-1][np.argsort(classes)]
        elif classes[0] > classes[1]:  # the unit must answer the larger label
            thetas[-1] = -thetas[-1]
        estimator = cls(hidden_layer_sizes=layer_sizes[1:-1], **params)
        binarizer = LabelBinarizer().fit(classes)
        weights = unroll(*thetas)
        coefs, intercepts = unpack(weights, layer_sizes)
        vars(estimator).update(
            _label_binarizer=binarizer, classes_=binarizer.classes_,
            n_features_in_=layer_sizes[0], out_activation_="logistic",
            thetas_=roll(weights, layer_sizes), coefs_=coefs, intercepts_=intercepts,
            n_layers_=len(layer_sizes), n_outputs_=n_units)
        return estimator

    # -------------------------------------------------------------- predict

    def _decision(self, X):
        """The output layer's pre-activation ``z`` for validated ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=("csr", "csc"),
                          dtype=(np.float64, np.float32))
        coefs = [W.astype(X.dtype, copy=False) for W in self.coefs_]
        intercepts = [b.astype(X.dtype, copy=False) for b in self.intercepts_]
        return forward(X, coefs, intercepts, self.activation)[1]

    @property
    def _multilabel(self):
        return self._label_binarizer.y_type_ == "multilabel-indicator"

    @_blockwise(_labels)
    def predict(self, X):
        """Predict class labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        z = self._decision(X)
        labels = OUTPUTS[self.out_activation_].labels(z, self._multilabel)
        return labels if self._multilabel else self.classes_[labels]

    @_blockwise(_probabilities)
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed from the pre-activations.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        z = self._decision(X)
        return OUTPUTS[self.out_activation_].log_proba(z, self._multilabel)

    @_blockwise(_probabilities)
    def predict_proba(self, X):
        """Class probabilities.

        Sigmoid output units are normalised to sum to 1 per row (as
        one-vs-rest classifiers are); softmax outputs are probabilities
        already; for multilabel targets each column is its label's own probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return np.exp(self.predict_log_proba(X))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy (every label right, for multilabel targets).

        On dask inputs, a lazy dask scalar computed on the workers.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        float or dask scalar
        """
        if _dask.is_dask(X):
            return _dask.score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags
