"""How a model wants a picture as a row: the contract pictures are brought to, or a refusal.

A picture of a digit becomes a row of features in one of the digit layouts
(:data:`~sknn_digits.preprocessing.LAYOUTS`: side, order, framing), but a
model also learned a value range and an ink polarity from its training rows:
the bundled digits hold ink as 0..16, Kaggle's MNIST files as 0..255, an
inverted scan as 255..0.  A picture fed in another range is read wrongly
without a word (nearly every digit a "3"), so :func:`picture_input` reads the
contract from what the model recorded in training, and refuses when it
recorded nothing it could be read from:

- the layout from the number of features the model takes (64, 400, 784);
- the range and the polarity from a pipeline's first step, a
  :class:`~sklearn.preprocessing.MinMaxScaler` (what ``sknn-digits train``
  and :func:`~sknn_digits.workflow.default_pipeline` put there): the least
  and greatest value any training feature took are paper and full ink, and
  the frame's border, which a framed digit leaves as paper, tells which is
  which.

The course's own weights come with their data's contract,
:data:`COURSE_PICTURES`.
"""

from typing import NamedTuple

import numpy as np

from ._models import split_pipeline
from .preprocessing import LAYOUTS, guess_layout

__all__ = ["COURSE_PICTURES", "PictureInput", "picture_input"]


class PictureInput(NamedTuple):
    """How a model's training rows stored a picture of a digit."""

    layout: str  #: "digits", "ex4" or "mnist": side, order and framing
    paper: float  #: the value of a blank pixel
    ink: float  #: the value of full ink

    def rows(self, features):
        """Rows of :class:`~sknn_digits.preprocessing.DigitImageTransformer` features (ink
        0..the layout's scale) in this contract's range and polarity.

        Examples
        --------
        >>> import numpy as np
        >>> from sknn_digits.picture_input import PictureInput
        >>> PictureInput("digits", paper=255.0, ink=0.0).rows(np.array([[0.0, 8.0, 16.0]]))
        array([[255. , 127.5,   0. ]])
        """
        share = np.asarray(features, dtype=np.float64) / LAYOUTS[self.layout].scale
        return self.paper + share * (self.ink - self.paper)


#: The course's data (ex4data1.mat): 20x20 digits, column by column, ink 0..1.
COURSE_PICTURES = PictureInput("ex4", paper=0.0, ink=1.0)


def picture_input(model):
    """The :class:`PictureInput` ``model`` was trained on, or a ValueError saying why it
    cannot be known.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.workflow import default_pipeline
    >>> X, y = load_digits(return_X_y=True)
    >>> model = default_pipeline(BackpropMLPClassifier(max_iter=5)).fit(X * 255 / 16, y)
    >>> picture_input(model)
    PictureInput(layout='digits', paper=0.0, ink=255.0)
    """
    n_features = getattr(model, "n_features_in_", None)
    try:
        layout = guess_layout(n_features)
    except ValueError:
        raise ValueError(f"the model takes {n_features} features, which is no picture layout "
                         "(digits 8x8 = 64, the course's 20x20 = 400, MNIST's 28x28 = "
                         "784): predict its rows with --data instead.") from None
    first = model.steps[0][1] if getattr(model, "steps", None) else None
    low, high = getattr(first, "data_min_", None), getattr(first, "data_max_", None)
    if split_pipeline(model)[0] is None or low is None or high is None:
        raise ValueError(
            "the model does not record the range of the rows it was trained on, so a "
            "picture cannot be brought to it without a guess (its first step would be a "
            "MinMaxScaler, as in models sknn-digits train makes): train it so, or predict "
            "rows in its own format with --data.")
    paper, ink = float(np.min(low)), float(np.max(high))
    if not ink > paper:
        raise ValueError(f"the model's training rows all held {paper:g}: there is no ink "
                         "range to bring a picture to.")
    side = LAYOUTS[layout].side
    border = np.ones((side, side), dtype=bool)
    border[1:-1, 1:-1] = False
    # A framed digit leaves the border as paper: its least value there is paper's.
    if np.median(np.asarray(low).reshape(side, side)[border]) > (paper + ink) / 2:
        paper, ink = ink, paper
    return PictureInput(layout, paper, ink)
