"""The names a model file of a supported composition holds: the source of the trust list.

``sknn_digits/_trusted.py`` lists, by name, every type and function that
:func:`sknn_digits.persistence.load_model` accepts.  This script fits each
composition the package supports (its own estimators alone, in pipelines
with scikit-learn's scalers and encoders, inside the meta-estimators users
put around a classifier, beside the linear and naive Bayes classifiers, with
every classification scorer), writes each with ``save_model`` and collects
the names the files hold.  ``tests/test_persistence.py`` runs it and fails
when a composition writes a name the list lacks.

Run ``python tools/trusted_names.py`` to print the names one per line; a name
it prints that the list lacks is added to the list after review.
"""

import io
import json
import warnings
import zipfile


def compositions():
    """``{name: (unfitted estimator, X, y)}`` for every composition the package supports."""
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import (
        LogisticRegression,
        Perceptron,
        RidgeClassifier,
        SGDClassifier,
    )
    from sklearn.metrics import get_scorer_names
    from sklearn.model_selection import (
        GridSearchCV,
        HalvingGridSearchCV,
        KFold,
        RandomizedSearchCV,
        RepeatedStratifiedKFold,
        ShuffleSplit,
        StratifiedKFold,
        StratifiedShuffleSplit,
    )
    from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
    from sklearn.naive_bayes import BernoulliNB, ComplementNB, GaussianNB, MultinomialNB
    from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
    from sklearn.preprocessing import (
        MaxAbsScaler,
        MinMaxScaler,
        Normalizer,
        OneHotEncoder,
        OrdinalEncoder,
        RobustScaler,
        StandardScaler,
    )

    from sknn_digits import BackpropMLPClassifier
    from sknn_digits.preprocessing import DigitImageTransformer
    from sknn_digits.workflow import default_pipeline

    X, y = load_digits(return_X_y=True)
    X, y = X[:240], y[:240]
    binary = y % 2

    def net(**params):
        return BackpropMLPClassifier(hidden_layer_sizes=4, max_iter=4, random_state=0, **params)

    found = {
        "network": (net(), X, y),
        "network float32": (net(), X.astype(np.float32), y),
        "network softmax, two layers": (
            BackpropMLPClassifier(hidden_layer_sizes=(4, 3), output_activation="softmax",
                                  activation="relu", max_iter=4, random_state=0), X, y),
        "network binary": (net(), X, binary),
        "network string labels": (net(), X, np.array(["even", "odd"])[binary]),
        "network class weights": (net(class_weight={0: 2.0}), X, y),
        "network balanced": (net(class_weight="balanced"), X, y),
        "network seeded by a RandomState": (
            BackpropMLPClassifier(hidden_layer_sizes=4, max_iter=4,
                                  random_state=np.random.RandomState(0)), X, y),
        "the command line's pipeline": (default_pipeline(net()), X, y),
        "a picture reader": (_PictureReader(DigitImageTransformer(), net()), X, y),
        "scalers": (make_pipeline(StandardScaler(), RobustScaler(), MaxAbsScaler(),
                                  Normalizer(), VarianceThreshold(), PCA(10), net()), X, y),
        "columns": (Pipeline([
            ("columns", ColumnTransformer([
                ("pixels", make_pipeline(SimpleImputer(), MinMaxScaler()), list(range(60))),
                ("codes", OneHotEncoder(handle_unknown="ignore"), [60, 61]),
                ("ordinals", OrdinalEncoder(), [62]),
            ], remainder="drop")),
            ("union", FeatureUnion([("scaled", StandardScaler()), ("pca", PCA(5))])),
            ("net", net())]), X, y),
        "grid search": (GridSearchCV(make_pipeline(MinMaxScaler(), net()),
                                     {"backpropmlpclassifier__alpha": [0.1, 1.0]}, cv=2), X, y),
        "grid search, many scores": (
            GridSearchCV(net(), {"alpha": [1.0]}, cv=KFold(2),
                         scoring=["accuracy", "balanced_accuracy", "neg_log_loss"],
                         refit="accuracy"), X, y),
        "randomized search": (RandomizedSearchCV(net(), {"alpha": [0.1, 1.0, 3.0]}, n_iter=2,
                                                 cv=ShuffleSplit(2, random_state=0),
                                                 random_state=0), X, y),
        "halving search": (HalvingGridSearchCV(net(), {"alpha": [0.1, 1.0]}, cv=2,
                                               random_state=0), X, y),
        "calibrated, sigmoid": (CalibratedClassifierCV(net(), cv=2), X, y),
        "calibrated, isotonic": (CalibratedClassifierCV(net(), cv=2, method="isotonic"), X, y),
        "voting": (VotingClassifier([("a", net()), ("b", GaussianNB())], voting="soft"), X, y),
        "stacking": (StackingClassifier([("a", net()), ("b", LogisticRegression(max_iter=50))],
                                        final_estimator=LogisticRegression(max_iter=50),
                                        cv=StratifiedKFold(2)), X, y),
        "one against the rest": (OneVsRestClassifier(net()), X, y),
        "one against one": (OneVsOneClassifier(net()), X, binary),
        "bagging": (BaggingClassifier(net(), n_estimators=2, random_state=0), X, y),
        "linear and naive Bayes": (StackingClassifier([
            ("sgd", SGDClassifier(max_iter=5, tol=None, random_state=0)),
            ("ridge", RidgeClassifier()), ("perceptron", Perceptron(max_iter=5, tol=None)),
            ("gaussian", GaussianNB()), ("multinomial", MultinomialNB()),
            ("bernoulli", BernoulliNB()), ("complement", ComplementNB())],
            final_estimator=LogisticRegression(max_iter=50), cv=2), X, y),
        "splitters": (GridSearchCV(net(), {"alpha": [1.0]},
                                   cv=RepeatedStratifiedKFold(n_splits=2, n_repeats=1)), X, y),
        "shuffled splits": (GridSearchCV(net(), {"alpha": [1.0]},
                                         cv=StratifiedShuffleSplit(2, random_state=0)), X, y),
        "every classification scorer": (
            GridSearchCV(net(), {"alpha": [1.0]}, cv=2, refit="accuracy", scoring=[
                name for name in get_scorer_names() if _classification_scorer(name)]),
            X, binary),
    }
    try:
        from sklearn.model_selection import TunedThresholdClassifierCV
    except ImportError:  # scikit-learn before 1.5
        pass
    else:
        found["tuned threshold"] = (TunedThresholdClassifierCV(net(), cv=2), X, binary)
    return found


class _PictureReader:
    """A pipeline that reads pictures with a network fitted on features: fit fits the network."""

    def __init__(self, pictures, network):
        self.pictures, self.network = pictures, network

    def fit(self, X, y):
        from sklearn.pipeline import make_pipeline

        return make_pipeline(self.pictures, self.network.fit(X, y))


def _classification_scorer(name):
    """Whether the scorer ``name`` scores a classifier (not a regressor or a clustering)."""
    regression = ("neg_mean", "neg_median", "neg_root", "r2", "explained_variance", "max_error",
                  "d2_", "neg_max")
    clustering = ("rand_score", "adjusted_rand", "mutual_info", "homogeneity", "completeness",
                  "v_measure", "fowlkes", "normalized_mutual")
    return not name.startswith(regression) and not any(c in name for c in clustering) \
        and "poisson" not in name and "gamma" not in name and "tweedie" not in name


def names_in(data):
    """The ``module.name`` of every type and function a skops file's bytes name, and its loaders.

    Read from the schema as text: nothing the file names is imported.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    names, loaders, stack = set(), set(), [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node:
                names.add(f"{node.get('__module__')}.{node.get('__class__')}")
                loaders.add(node["__loader__"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names, loaders


def written_names():
    """Every name and loader ``save_model`` writes for the supported compositions."""
    import tempfile
    from pathlib import Path

    from sknn_digits.persistence import save_model

    names, loaders = set(), set()
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for number, (model, X, y) in enumerate(compositions().values()):
            path = save_model(model.fit(X, y), Path(folder) / f"{number}.skops")
            found, used = names_in(path.read_bytes())
            names |= found
            loaders |= used
    return names, loaders


if __name__ == "__main__":
    names, loaders = written_names()
    print("\n".join(sorted(names)))
    print()
    print("\n".join(sorted(loaders)))
