"""Reading a fitted model from outside: the classifier at the end of a pipeline, labels as JSON.

The plotting functions, the drawing page and the command line take a
classifier or a :class:`~sklearn.pipeline.Pipeline` ending in one; these are
the two rules they share.
"""

import numpy as np

__all__ = ["check_features", "json_label", "split_pipeline"]


def check_features(model, n_features, source):
    """Refuse data whose rows do not have the ``n_features`` ``model`` was fitted with.

    Examples
    --------
    >>> from sknn_digits import BackpropMLPClassifier
    >>> model = BackpropMLPClassifier(max_iter=2).fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])
    >>> check_features(model, 3, "data.csv")
    Traceback (most recent call last):
    ...
    ValueError: the model expects 2 features per sample but data.csv has 3.
    """
    if getattr(model, "n_features_in_", n_features) != n_features:
        raise ValueError(f"the model expects {model.n_features_in_} features per sample but "
                         f"{source} has {n_features}.")


def split_pipeline(model):
    """``(before, last)``: the steps before a pipeline's last one (None if none) and that step.

    A model that is not a pipeline is its own last step.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sknn_digits import BackpropMLPClassifier
    >>> before, last = split_pipeline(make_pipeline(MinMaxScaler(), BackpropMLPClassifier()))
    >>> type(before).__name__, type(last).__name__
    ('Pipeline', 'BackpropMLPClassifier')
    >>> split_pipeline(BackpropMLPClassifier())[0] is None
    True
    """
    steps = getattr(model, "steps", None)
    if not steps:
        return None, model
    return (model[:-1] if len(steps) > 1 else None), steps[-1][1]


def json_label(label):
    """A class label as a plain Python value (``numpy.int64(3)`` -> ``3``), for JSON.

    Examples
    --------
    >>> json_label(np.int64(3)), json_label("seven")
    (3, 'seven')
    """
    return label.item() if isinstance(label, np.generic) else label
