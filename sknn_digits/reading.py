"""What a model makes of one drawing: the answer the drawing page shows.

:class:`DigitReader` brings a picture to the model's input
(:mod:`sknn_digits.picture_input`) and returns the prediction, every
class's probability, the image the network is given and its hidden units;
:mod:`sknn_digits.web` serves it over HTTP.
"""

import numpy as np

from ._models import json_label, split_pipeline
from .picture_input import picture_input
from .preprocessing import DigitImageTransformer, images_to_features

__all__ = ["DigitReader"]


class DigitReader:
    """What the page shows for a drawing, from a fitted classifier.

    Parameters
    ----------
    model : classifier or Pipeline
        Fitted, with ``predict_proba`` and ``n_features_in_`` of 64, 400 or
        784 (a digit layout).  When it is a
        :class:`~sknn_digits.BackpropMLPClassifier`, or a pipeline ending in
        one, its hidden units are shown too.
    pictures : PictureInput, optional
        How the model wants a picture as a row; by default
        :func:`~sknn_digits.picture_input.picture_input` reads it from the
        model, and a model that does not record it is refused (ValueError).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.web import DigitReader
    >>> from sknn_digits.workflow import default_pipeline
    >>> X, y = load_digits(return_X_y=True)
    >>> model = default_pipeline(BackpropMLPClassifier(max_iter=50, random_state=0)).fit(X, y)
    >>> reader = DigitReader(model)
    >>> page = np.full((60, 40), 255, dtype=np.uint8)
    >>> page[10:50, 16:24] = 0                  # a black bar: a "1"?
    >>> answer = reader.read(page)
    >>> sorted(answer), len(answer["seen"]), [len(h) for h in answer["hidden"]]
    (['classes', 'hidden', 'prediction', 'probabilities', 'seen'], 8, [25])
    """

    def __init__(self, model, pictures=None):
        self.model = model
        self.pictures = picture_input(model) if pictures is None else pictures
        self.layout = self.pictures.layout
        self.transformer = DigitImageTransformer(layout=self.layout)
        self.network, self.before = _network_of(model)
        self.classes = [json_label(label) for label in model.classes_]

    def describe(self):
        """The model as the page needs it (``GET /api/model``)."""
        sizes = [] if self.network is None else [len(b) for b in self.network.intercepts_[:-1]]
        return {"classes": self.classes, "layout": self.layout,
                "side": int(np.sqrt(self.model.n_features_in_)), "hidden_layer_sizes": sizes}

    def read(self, pixels):
        """The network's answer for one picture (``POST /predict``)."""
        seen = self.transformer.transform_images([pixels])
        features = self.pictures.rows(images_to_features(seen, self.layout))
        if self.network is None:
            probabilities, hidden = self.model.predict_proba(features)[0], None
        else:  # one forward pass gives both
            X = features if self.before is None else self.before.transform(features)
            layers, probabilities = self.network.activations(X)
            probabilities, hidden = probabilities[0], [np.round(a[0], 4).tolist()
                                                       for a in layers]
        return {
            "prediction": self.classes[int(np.argmax(probabilities))],
            "classes": self.classes,
            "probabilities": [round(float(p), 6) for p in probabilities],
            "seen": np.round(seen[0], 4).tolist(),
            "hidden": hidden,
        }


def _network_of(model):
    """The BackpropMLPClassifier at the end of ``model`` and the steps before it, if any."""
    from .estimator import BackpropMLPClassifier

    before, last = split_pipeline(model)
    if not isinstance(last, BackpropMLPClassifier):
        return None, None
    return last, before
