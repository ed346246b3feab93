"""The types and functions a model file may name: the reviewed list :func:`load_model` trusts.

Each name is here because a composition this package supports is made of it
(``tools/trusted_names.py`` fits every one, writes it with ``save_model`` and
prints the names the files hold; ``tests/test_persistence.py`` fails when
one writes a name missing here).  Each was reviewed for what loading it and
then calling ``predict``, ``predict_proba`` or ``fit`` can do: it holds
arrays, numbers, strings and other listed objects; it starts no thread, binds
no socket and opens no file; no Cython state of it indexes memory by a number
the file chooses.  So these are absent by design, whatever module they are
in: scikit-learn's callbacks (they belong to the process that fitted), trees
and tree ensembles, boosting predictors, KD- and ball trees, test helpers.

A name is compared as a string: nothing a file names is imported to decide
whether it is trusted.  Two spellings of one numpy class are listed where
numpy's versions differ (``numpy.ma.MaskedArray`` and ``numpy.ma.core.MaskedArray``).
"""

#: Every type and function, as ``module.name``, that a model file may name.
TRUSTED_NAMES = frozenset({
    # Python's and numpy's containers and values
    "builtins.dict",
    "builtins.int",
    "builtins.list",
    "builtins.slice",
    "builtins.str",
    "builtins.tuple",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ma.MaskedArray",
    "numpy.ma.core.MaskedArray",
    "numpy.ndarray",
    "numpy.random.mtrand.RandomState",

    # This package's estimators
    "sknn_digits.estimator.BackpropMLPClassifier",
    "sknn_digits.preprocessing.DigitImageTransformer",

    # The metric functions scikit-learn's classification scorers name, and the scorers
    "sklearn.metrics._classification.accuracy_score",
    "sklearn.metrics._classification.balanced_accuracy_score",
    "sklearn.metrics._classification.brier_score_loss",
    "sklearn.metrics._classification.f1_score",
    "sklearn.metrics._classification.jaccard_score",
    "sklearn.metrics._classification.log_loss",
    "sklearn.metrics._classification.matthews_corrcoef",
    "sklearn.metrics._classification.precision_score",
    "sklearn.metrics._classification.recall_score",
    "sklearn.metrics._ranking.average_precision_score",
    "sklearn.metrics._ranking.roc_auc_score",
    "sklearn.metrics._ranking.top_k_accuracy_score",
    "sklearn.metrics._scorer._CurveScorer",
    "sklearn.metrics._scorer._PassthroughScorer",
    "sklearn.metrics._scorer._Scorer",
    "sklearn.metrics._scorer.negative_likelihood_ratio",
    "sklearn.metrics._scorer.positive_likelihood_ratio",

    # scikit-learn's estimators, meta-estimators and splitters, and the private helpers they hold
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.decomposition._pca.PCA",
    "sklearn.ensemble._bagging.BaggingClassifier",
    "sklearn.ensemble._stacking.StackingClassifier",
    "sklearn.ensemble._voting.VotingClassifier",
    "sklearn.feature_selection._variance_threshold.VarianceThreshold",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._perceptron.Perceptron",
    "sklearn.linear_model._ridge.RidgeClassifier",
    "sklearn.linear_model._sgd_fast.Hinge",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.model_selection._classification_threshold.TunedThresholdClassifierCV",
    "sklearn.model_selection._search.GridSearchCV",
    "sklearn.model_selection._search.RandomizedSearchCV",
    "sklearn.model_selection._search_successive_halving.HalvingGridSearchCV",
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.RepeatedStratifiedKFold",
    "sklearn.model_selection._split.ShuffleSplit",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.model_selection._split.StratifiedShuffleSplit",
    "sklearn.multiclass.OneVsOneClassifier",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.naive_bayes.BernoulliNB",
    "sklearn.naive_bayes.ComplementNB",
    "sklearn.naive_bayes.GaussianNB",
    "sklearn.naive_bayes.MultinomialNB",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.MaxAbsScaler",
    "sklearn.preprocessing._data.MinMaxScaler",
    "sklearn.preprocessing._data.Normalizer",
    "sklearn.preprocessing._data.RobustScaler",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.utils._bunch.Bunch",
    "sklearn.utils._metadata_requests.MetadataRequest",
    "sklearn.utils._metadata_requests.MethodMetadataRequest",
})

#: skops' node loaders that rebuild the objects above (a file naming another is refused).
TRUSTED_LOADERS = frozenset({
    "DTypeNode",
    "DictNode",
    "FunctionNode",
    "JsonNode",
    "ListNode",
    "LossNode",
    "MaskedArrayNode",
    "NdArrayNode",
    "ObjectNode",
    "RandomStateNode",
    "SliceNode",
    "TupleNode",
    "TypeNode",
})
