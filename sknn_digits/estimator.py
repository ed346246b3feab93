"""BackpropMLPClassifier: the course's network as a scikit-learn classifier.

The estimator is glue: :func:`sknn_digits._data.prepare` validates, encodes
and weighs the data wherever they are; ``fit`` builds the
:class:`~sknn_digits.core.Network` and the
:class:`~sknn_digits._training.Problem`, hands them to
:func:`~sknn_digits._training.train` with the data's objective, and assigns
what comes back, all fitted attributes together at the end, so a fit that
raises leaves the estimator as it was.  Every ``predict*`` reads one forward
pass (:meth:`BackpropMLPClassifier._forward`) through what the output means
(:data:`sknn_digits.core.OUTPUTS`).
"""

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from . import DOCUMENTATION
from ._compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    _fit_context,
    check_same_namespace,
    get_namespace_and_device,
    link_to_documentation,
)
from ._dask import blockwise, is_dask
from ._dask import score as dask_score
from ._data import prepare
from ._observers import SklearnCallbacks
from ._training import SOLVERS, STOCHASTIC_SOLVERS, Problem, Settings, train
from .core import ACTIVATIONS, OUTPUTS, Network, device_of, namespace, to_numpy
from .course import check_thetas, roll, unroll
from .initialization import initial_params

__all__ = ["BackpropMLPClassifier", "MLPClassifier"]


def _label_shape(estimator):
    if estimator._multilabel:
        return len(estimator.classes_), np.dtype(int)
    return None, estimator.classes_.dtype


def _probability_shape(estimator):
    return len(estimator.classes_), estimator.coefs_[0].dtype


@link_to_documentation(DOCUMENTATION + "generated/sknn_digits.{estimator_name}.html")
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
    output_activation : {"logistic", "softmax", "auto"}, default="logistic"
        ``"logistic"``: one sigmoid unit per class, binary cross-entropy
        summed over units (the course's network; also fits multilabel
        targets).  ``"softmax"``: multinomial cross-entropy, as
        :class:`~sklearn.neural_network.MLPClassifier`.  ``"auto"``:
        ``MLPClassifier``'s choice, softmax except for multilabel targets.
        Binary targets always use one sigmoid unit (two-class softmax is the
        same model).
    alpha : float, default=1.0
        The course's ``lambda``: the cost gains ``alpha / (2 m)`` times the
        sum of the squared weights, biases excluded (``MLPClassifier``'s scaling).
    solver : {"L-BFGS-B", "CG", "BFGS", "TNC", "Newton-CG", "trust-ncg", \
"trust-krylov", "lbfgs", "sgd", "adam"}, default="L-BFGS-B"
        The first seven are :func:`scipy.optimize.minimize` methods, each
        step on all samples; ``"CG"`` is the closest to the course's
        ``fmincg``; ``"Newton-CG"``, ``"trust-ncg"`` and ``"trust-krylov"``
        also use exact Hessian-vector products.  The last three are
        ``MLPClassifier``'s: ``"lbfgs"`` is L-BFGS-B under its rules (the
        gradient test alone, no early stopping); ``"sgd"`` and ``"adam"``
        take epochs of shuffled minibatches (``batch_size``), with
        ``partial_fit``; ``max_iter`` then counts epochs.  A parameter that
        means nothing for the chosen solver (``momentum`` for L-BFGS-B) is
        accepted and ignored, as ``MLPClassifier`` does.
    max_iter : int, default=400
        Maximum number of solver iterations (function evaluations for
        ``"TNC"``, epochs for ``"sgd"`` and ``"adam"``).
    max_fun : int, default=15000
        Maximum number of cost evaluations, as ``MLPClassifier``'s.  Solvers
        without a limit of their own stop at the end of the iteration that
        reaches it.
    tol : float or None, default=1e-4
        Convergence, by whichever of two tests passes first.  The gradient
        test: the solver stops when the gradient is this small (L-BFGS-B's
        ``gtol``, as ``MLPClassifier`` uses its ``tol``; the step size for
        Newton-CG).  The cost test: the fit stops when ``J`` has not fallen
        by ``tol`` for more than ``n_iter_no_change`` iterations
        (``MLPClassifier``'s rule for its stochastic solvers).  ``J`` is a
        mean over samples of the output units' cross-entropies (summed over
        the course's sigmoid units), in nats per sample, so the cost test
        reads the same whatever the network's shape and the scale of its
        weights: while ``J`` falls by less than ``tol``, the model's
        probabilities of the training labels change, on average, by less
        than a fraction ``tol`` per iteration.  The course's sigmoid
        outputs meet the gradient test hundreds of iterations after their
        held-out accuracy has settled, the cost test soon after.
        ``None`` keeps the solver's own defaults and no cost test.  With
        early stopping the validation score replaces the cost test, and
        ``tol`` is its least improvement (1e-4 when None).
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
        Iterations without improvement by ``tol`` (of ``J``, or with early
        stopping of the validation score) before the fit stops; ``np.inf``
        turns the cost test off and leaves the gradient test alone.
    batch_size : int or "auto", default="auto"
        Rows per minibatch of ``"sgd"`` and ``"adam"``: ``"auto"`` is
        ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        ``"sgd"``'s schedule: constant; ``learning_rate_init / (t + 1) **
        power_t`` after each epoch (``t`` the samples seen); or divided by 5
        each time the stopping rule would stop, until below 1e-6.
    learning_rate_init : float, default=0.001
        The step size of ``"sgd"`` and ``"adam"``.
    power_t : float, default=0.5
        The exponent of ``"invscaling"``.
    momentum : float, default=0.9
        ``"sgd"``'s momentum, in [0, 1].
    nesterovs_momentum : bool, default=True
        ``"sgd"``: Nesterov's momentum (when ``momentum > 0``).
    shuffle : bool, default=True
        Shuffle the rows before each epoch of ``"sgd"`` and ``"adam"`` (by
        ``random_state``).
    beta_1, beta_2 : float, default=0.9, 0.999
        ``"adam"``'s decay rates of its first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        ``"adam"``'s guard against division by zero.

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
        column first: made from ``coefs_`` and ``intercepts_`` when asked for
        (the model keeps its weights in one layout).
    n_layers_, n_outputs_ : int
        Number of layers (input and output included), of output units.
    out_activation_ : str
        The output layer actually used, ``"logistic"`` or ``"softmax"``.
    loss_ : float
        The cost ``J`` (data term plus penalty) at the returned weights.
    loss_curve_ : list of float
        ``J`` after each solver iteration.
    best_loss_ : float or None
        The least ``J`` the solver reached (the least of ``loss_curve_``, or
        the starting cost when no iteration ran), as ``MLPClassifier``'s;
        None with ``early_stopping``, whose best is ``best_validation_score_``.
    n_iter_ : int
        Number of solver iterations (epochs for ``"sgd"`` and ``"adam"``) of
        the last fit; ``partial_fit`` adds one per call, as ``MLPClassifier``'s.
    t_ : int
        Training samples the solver has seen: ``n_iter_`` times the number of
        samples, every iteration (or epoch) using all of them (added to the
        previous fit's with ``warm_start`` and ``partial_fit``), as
        ``MLPClassifier``'s.
    solver_message_ : str
        The solver's final message.
    validation_scores_ : list of float or None
        With ``early_stopping``, held-out accuracy after each iteration, else None.
    best_validation_score_ : float or None
        With ``early_stopping``, the best of ``validation_scores_`` (its
        weights were kept), else None.

    Notes
    -----
    :class:`~sknn_digits.MLPClassifier` is this class with
    ``MLPClassifier``'s defaults (100 relu units, softmax outputs, adam,
    alpha 1e-4, 200 epochs); the two differ in their defaults only.
    Deliberate differences from ``MLPClassifier``: targets of one class are
    refused with an error (there is nothing to learn); ``predict_log_proba``
    is computed from the pre-activations, exact where ``predict_proba`` rounds
    to 0 or 1.

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
        "output_activation": [StrOptions({*OUTPUTS, "auto"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions(set(SOLVERS))],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        # Uniform in [-e, e] needs 2e to be a float: the bound is half the largest.
        "init_epsilon": [Interval(Real, 0, np.finfo(float).max / 2, closed="both"),
                         StrOptions({"auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "shuffle": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self, hidden_layer_sizes=25, activation="logistic", output_activation="logistic", *,
        alpha=1.0, solver="L-BFGS-B", max_iter=400, max_fun=15000, tol=1e-4,
        init_epsilon=0.12, random_state=None, verbose=0, warm_start=False, class_weight=None,
        n_threads=None, early_stopping=False, validation_fraction=0.1, n_iter_no_change=10,
        batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
        momentum=0.9, nesterovs_momentum=True, shuffle=True, beta_1=0.9, beta_2=0.999,
        epsilon=1e-8,
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
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.shuffle = shuffle
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

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
        return self._fit(X, y, sample_weight, self.warm_start and hasattr(self, "coefs_"))

    def _uses_minibatches(self):
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(f"partial_fit is only available for the stochastic solvers "
                                 f"{' and '.join(STOCHASTIC_SOLVERS)}; {self.solver} takes "
                                 "every sample at each step.")
        return True

    @available_if(_uses_minibatches)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch of the stochastic solver over ``(X, y)``, going on from the last call.

        As ``MLPClassifier.partial_fit``: the first call makes the network
        (``classes`` names every class the calls will see), each call then
        takes one pass over its rows in minibatches, the solver's state
        (momentum, Adam's moments, the learning rate) carried on; no early
        stopping, no convergence test.  Only for ``solver="sgd"`` and ``"adam"``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like of shape (n_classes,), default=None
            Every class label; needed on the first call (not for multilabel targets).

        Returns
        -------
        self : BackpropMLPClassifier

        Examples
        --------
        >>> import numpy as np
        >>> from sknn_digits import MLPClassifier
        >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
        >>> clf = MLPClassifier(hidden_layer_sizes=5, random_state=0)
        >>> for _ in range(3):
        ...     clf = clf.partial_fit(X, y, classes=[0, 1])
        >>> clf.n_iter_, clf.t_
        (3, 12)
        """
        return self._fit(X, y, sample_weight, hasattr(self, "coefs_"), incremental=True,
                         classes=classes)

    def _fit(self, X, y, sample_weight, warm, incremental=False, classes=None):
        """``fit`` (``warm``: from the weights of the last), or one ``partial_fit`` epoch."""
        data = prepare(self, X, y, sample_weight, warm, self._hidden_sizes(), classes,
                       incremental)
        n_outputs = data.Y.shape[1]
        network = Network((data.X.shape[1], *self._hidden_sizes(), n_outputs), self.activation,
                          self._out_activation(n_outputs, data.multilabel))
        problem = Problem(network, data.X, data.Y, data.sample_weight, float(self.alpha),
                          data.multilabel)
        fitted = dict(data.fitted, out_activation_=network.output)
        # scikit-learn's callbacks rebuild each iteration's model from these and its weights.
        callbacks = SklearnCallbacks.begin(self, problem, data.y, dict(fitted))
        fit = train(problem, self._starting_params(network.layer_sizes, warm),
                    Settings.of(self), data.objective, warm=warm,
                    previous_scores=self.validation_scores_ if warm else None,
                    observers=[c for c in (callbacks,) if c is not None],
                    # A copy: the solver's state changes with every minibatch, and a
                    # partial_fit that raises must leave the estimator as it was.
                    minibatches=copy.deepcopy(getattr(self, "_minibatches", None))
                    if warm and incremental else None, incremental=incremental,
                    samples_seen=getattr(self, "t_", 0) if warm else 0)
        n_iter = fit.n_iter + (self.n_iter_ if warm and incremental else 0)
        loss_curve = (list(self.loss_curve_) if warm else []) + fit.loss_curve
        fitted.update(
            # The weights live where the data do (scikit-learn's array API convention).
            self._weights(network.params_like(fit.params, data.X), network.layer_sizes),
            loss_=fit.loss, n_iter_=n_iter, solver_message_=fit.message,
            loss_curve_=loss_curve,
            best_loss_=None if fit.validation_scores is not None else float(
                min(loss_curve, default=fit.loss)),
            t_=(getattr(self, "t_", 0) if warm else 0) + fit.n_iter * int(data.X.shape[0]),
            validation_scores_=fit.validation_scores,
            best_validation_score_=fit.best_validation_score, _minibatches=fit.minibatches)
        if "feature_names_in_" not in fitted:
            vars(self).pop("feature_names_in_", None)
        vars(self).update(fitted)  # every fitted attribute at once
        if callbacks is not None:
            callbacks.end()
        return self

    @staticmethod
    def _weights(params, layer_sizes):
        """The fitted weight attributes of a parameter vector; they share its memory."""
        coefs, intercepts = Network(layer_sizes).unpack(params)
        return {"coefs_": coefs, "intercepts_": intercepts, "n_layers_": len(layer_sizes),
                "n_outputs_": layer_sizes[-1]}

    @property
    def thetas_(self):
        """The weights in the course's layout: ``Theta_l`` of shape ``(n_out, 1 + n_in)``,
        bias column first, made from ``coefs_`` and ``intercepts_``."""
        network = self.network_
        return roll(network.pack(self.coefs_, self.intercepts_), network.layer_sizes)

    def _hidden_sizes(self):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))
        if sizes.ndim != 1 or sizes.size == 0 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes
        ):
            raise ValueError("hidden_layer_sizes must be a positive int or a non-empty tuple "
                             f"of positive ints, got {self.hidden_layer_sizes!r}.")
        return tuple(int(s) for s in sizes)

    def _out_activation(self, n_outputs, multilabel):
        if self.output_activation == "auto":  # MLPClassifier's: softmax for one label of many
            return "softmax" if n_outputs > 1 and not multilabel else "logistic"
        if self.output_activation == "softmax" and multilabel:
            raise ValueError(
                "output_activation='softmax' cannot fit multilabel targets: each sample may "
                "belong to several classes. Use output_activation='logistic'.")
        return "softmax" if self.output_activation == "softmax" and n_outputs > 1 else "logistic"

    def _starting_params(self, layer_sizes, warm):
        if warm:
            previous = (self.n_features_in_, *(W.shape[1] for W in self.coefs_))
            if previous != layer_sizes:
                raise ValueError("warm_start needs the same layer sizes as the previous fit: "
                                 f"{previous} before, {layer_sizes} now.")
            return to_numpy(self.network_.pack(self.coefs_, self.intercepts_)).astype(
                np.float64)
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
        vars(estimator).update(
            _label_binarizer=binarizer, classes_=binarizer.classes_,
            n_features_in_=layer_sizes[0], out_activation_="logistic",
            **cls._weights(unroll(*thetas), layer_sizes))
        return estimator

    # -------------------------------------------------------------- predict

    @property
    def network_(self):
        """The fitted :class:`~sknn_digits.core.Network` (its shape, activation and output)."""
        check_is_fitted(self)
        return Network((self.n_features_in_, *(W.shape[1] for W in self.coefs_)),
                       self.activation, self.out_activation_)

    def _validated(self, X, method):
        check_is_fitted(self)
        xp = get_namespace_and_device(X)[0]
        X = validate_data(self, X, reset=False, accept_sparse=("csr", "csc"),
                          dtype=[xp.float64, xp.float32])
        check_same_namespace(X, self, self.coefs_[0], method)
        return X

    def _forward(self, X, method):
        """The hidden activations and the output's pre-activation ``z`` for ``X``: one pass."""
        X = self._validated(X, method)
        return self.network_.hidden_and_decision((self.coefs_, self.intercepts_), X)

    def _decision(self, X, method):
        """The output's pre-activation ``z`` for ``X``, in chunks of rows whose activations
        fit scikit-learn's ``working_memory``: a wide network never holds every row's."""
        from sklearn import get_config
        from sklearn.utils import gen_batches

        X = self._validated(X, method)
        network, layers = self.network_, (self.coefs_, self.intercepts_)
        # Per row: each layer's pre-activation and activation, float64 at most.
        row_bytes = 2 * sum(network.layer_sizes[1:]) * 8
        rows = max(1, int(get_config()["working_memory"] * 2**20) // row_bytes)
        if X.shape[0] <= rows:
            return network.decision(layers, X)
        chunks = [network.decision(layers, X[batch]) for batch in gen_batches(X.shape[0], rows)]
        xp = namespace(chunks[0])
        return (np.concatenate if xp is np else xp.concat)(chunks, axis=0)

    @property
    def _multilabel(self):
        return self._label_binarizer.y_type_ == "multilabel-indicator"

    @blockwise(_label_shape)
    def predict(self, X):
        """Predict class labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        z = self._decision(X, "predict")
        labels = OUTPUTS[self.out_activation_].labels(z, self._multilabel)
        if self._multilabel:
            return labels
        classes, xp = to_numpy(self.classes_), namespace(labels)
        if xp is np or classes.dtype.kind not in "biuf":  # labels no namespace but numpy holds
            return classes[to_numpy(labels)]
        # The labels in X's namespace, on its device, whatever y's was.
        return xp.take(xp.asarray(classes, device=device_of(labels)), labels, axis=0)

    @blockwise(_probability_shape)
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`, computed from the pre-activations.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        z = self._decision(X, "predict_log_proba")
        return OUTPUTS[self.out_activation_].log_proba(z, self._multilabel)

    @blockwise(_probability_shape)
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
        z = self._decision(X, "predict_proba")
        log_proba = OUTPUTS[self.out_activation_].log_proba(z, self._multilabel)
        return namespace(log_proba).exp(log_proba)

    def activations(self, X):
        """Each hidden layer's activations and the class probabilities, from one forward pass.

        What the drawing page shows beside its answer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        hidden : list of ndarray
            ``hidden[i]`` of shape (n_samples, hidden_layer_sizes[i]).
        proba : ndarray of shape (n_samples, n_classes)
            As :meth:`predict_proba`.

        Examples
        --------
        >>> from sknn_digits import BackpropMLPClassifier
        >>> clf = BackpropMLPClassifier(hidden_layer_sizes=(3, 2), max_iter=5).fit(
        ...     [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        >>> hidden, proba = clf.activations([[1.5]])
        >>> [h.shape for h in hidden], proba.shape
        ([(1, 3), (1, 2)], (1, 2))
        """
        hidden, z = self._forward(X, "activations")
        log_proba = OUTPUTS[self.out_activation_].log_proba(z, self._multilabel)
        return hidden, namespace(log_proba).exp(log_proba)

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
        if is_dask(X):
            return dask_score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = True
        tags.classifier_tags.multi_label = True
        return tags


class MLPClassifier(BackpropMLPClassifier):
    """:class:`BackpropMLPClassifier` with scikit-learn ``MLPClassifier``'s defaults: a drop-in.

    Change ``from sklearn.neural_network import MLPClassifier`` to
    ``from sknn_digits import MLPClassifier`` and a script keeps its meaning:
    the same parameters, defaults, attributes and methods (``partial_fit``
    for ``"sgd"`` and ``"adam"``), on this package's network, which adds
    float32 training, scikit-learn's array API (a GPU), a Dask cluster for
    the full-batch solvers, ``class_weight``, exact second-order solvers,
    model files that are data and ONNX export.  The two classes differ in
    their defaults only; the parameters are described there.  What differs
    from scikit-learn's class is on the documentation's migration page.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
    solver : str, default="adam"
        ``"lbfgs"``, ``"sgd"``, ``"adam"`` or any of :class:`BackpropMLPClassifier`'s.
    alpha : float, default=0.0001
    batch_size : int or "auto", default="auto"
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
    learning_rate_init : float, default=0.001
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs of ``"sgd"`` and ``"adam"``, iterations of the others.
    shuffle : bool, default=True
    random_state : int, RandomState instance or None, default=None
    tol : float, default=1e-4
    verbose : bool, default=False
    warm_start : bool, default=False
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Used by ``"sgd"`` and ``"adam"`` (and this package's full-batch
        solvers); ``"lbfgs"`` ignores it, as ``MLPClassifier``'s.
    validation_fraction : float, default=0.1
    beta_1, beta_2 : float, default=0.9, 0.999
    epsilon : float, default=1e-8
    n_iter_no_change : int, default=10
    max_fun : int, default=15000
    output_activation : {"auto", "softmax", "logistic"}, default="auto"
        ``MLPClassifier``'s: softmax for multiclass targets, sigmoid units
        for binary and multilabel ones.
    init_epsilon : float or "auto", default="auto"
        Glorot's uniform range, ``sqrt(6 / (fan_in + fan_out))`` per layer.
    class_weight : dict, "balanced" or None, default=None
    n_threads : int or None, default=None

    Attributes
    ----------
    classes_, coefs_, intercepts_, n_iter_, loss_, loss_curve_, best_loss_, t_, \
validation_scores_, best_validation_score_, n_features_in_, n_layers_, n_outputs_, \
out_activation_ :
        As :class:`BackpropMLPClassifier`'s (and ``MLPClassifier``'s).

    See Also
    --------
    BackpropMLPClassifier : the same estimator with the course's defaults.
    sklearn.neural_network.MLPClassifier : scikit-learn's class.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sknn_digits import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, random_state=0, stratify=y)
    >>> clf = MLPClassifier(max_iter=50, random_state=0).fit(X_train, y_train)
    >>> bool(clf.score(X_test, y_test) > 0.95)
    True
    """

    def __init__(
        self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
        batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
        max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
        warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
        validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
        max_fun=15000, output_activation="auto", init_epsilon="auto", class_weight=None,
        n_threads=None,
    ):
        super().__init__(
            hidden_layer_sizes, activation, output_activation, alpha=alpha, solver=solver,
            max_iter=max_iter, max_fun=max_fun, tol=tol, init_epsilon=init_epsilon,
            random_state=random_state, verbose=verbose, warm_start=warm_start,
            class_weight=class_weight, n_threads=n_threads, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, shuffle=shuffle, beta_1=beta_1,
            beta_2=beta_2, epsilon=epsilon)
