"""From a picture of a digit to the feature vector a model was trained on.

Three layouts of digit features are in use:

========  ======  ================  ======  ===================================
layout    pixels  flattened         values  source
========  ======  ================  ======  ===================================
digits    8x8     row by row        0..16   scikit-learn's ``load_digits``
ex4       20x20   column by column  0..1    the course's ``ex4data1.mat``
mnist     28x28   row by row        0..1    MNIST
========  ======  ================  ======  ===================================

Each data set was made in two stages, and :class:`DigitImageTransformer`
repeats both, so a model sees a new picture the way it saw its training data.

**1. Framing**: the digit is cut out and put in a standard frame
(:data:`FRAMES`).

* MNIST's frame (LeCun et al., the MNIST page): the NIST digit was scaled,
  keeping its aspect ratio, so its longer side fits a 20x20 box, with
  anti-aliased grey levels; then it was placed in a 28x28 field with its
  centre of mass at the centre.  The course's data and MNIST start here.
* The 8x8 digits' frame (the UCI "optdigits" description): 32x32 black and
  white bitmaps from NIST's normalisation.  Measured on ``load_digits``: all
  1797 images have ink in their top and bottom rows, and only 4 in both side
  columns, so the height was scaled to the full 32 pixels and the width
  follows the aspect ratio; 1358 of them have equal blank margins left and
  right and the others differ by one or two 8x8 cells, so the ink is centred
  by its bounding box.

Framing a picture takes, in order: grey levels; the ink made bright on a dark
background (the page's colour read from the picture's border); the background
level and its noise (the border's median plus three robust deviations)
subtracted, so only ink stands out; the crop to the ink's bounding box; the
scale into the frame's box (shrinking averages each new pixel's area, as an
ideal anti-aliasing renderer or a camera sensor does; enlarging interpolates
with a cubic kernel; a side already of the box's size is not resampled); the
placement (by centre of mass at whole-pixel offsets, or by bounding box); and
for a bitmap frame the threshold at half ink.  A picture already in its
frame's format (:func:`in_frame`) is not framed again: an MNIST image stays
itself.

**2. The layout's own step**, applied to the whole frame:

* ``mnist``: none.
* ``ex4``: the 28x28 frame shrunk to 20x20.  The course's ``X`` holds values
  a little below 0 and above 1 (about -0.13 to 1.13), the ringing of an
  interpolating kernel with negative lobes: the course shrank MNIST with a
  cubic kernel, as MATLAB's and Octave's ``imresize`` do by default (Keys'
  kernel with a = -0.5, widened by 28/20 to anti-alias).  The values are not
  clipped, since the course's are not; the images are stored column by column
  (MATLAB's order).
* ``digits``: the 32x32 bitmap divided into 4x4 blocks and the ink pixels in
  each block counted, 0..16.

**3. The model's contract** (:func:`picture_input`): a model also learned a
value range and an ink polarity from its training rows: the bundled digits
hold ink as 0..16, Kaggle's MNIST files as 0..255, an inverted scan as 255..0.
A picture fed in another range is read wrongly without a word (nearly every
digit a "3"), so the contract is read from what the model recorded in
training, and refused when it recorded nothing it could be read from: the
layout from the number of features the model takes; the range and the
polarity from a pipeline's first step, a
:class:`~sklearn.preprocessing.MinMaxScaler` (what ``sknn-digits train`` and
:func:`~sknn_digits.workflow.default_pipeline` put there): the least and
greatest value any training feature took are paper and full ink, and the
frame's border, which a framed digit leaves as paper, tells which is which.
The course's own weights come with their data's contract,
:data:`COURSE_PICTURES`.

Decoding files and bytes into grey levels and ink is :mod:`sknn_digits.images`'
job; its public names are re-exported here.  :func:`slant_digits` makes
slanted training copies of the bundled digits, as people slant their digits.
"""

from numbers import Real
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, TransformerMixin

from ._compat import Interval, StrOptions
from .images import MAX_IMAGE_PIXELS, _ink, _to_gray, decode_image, read_image

__all__ = [
    "COURSE_PICTURES",
    "FRAMES",
    "LAYOUTS",
    "MAX_IMAGE_PIXELS",
    "WORKING_SIDE",
    "DigitImageTransformer",
    "PictureInput",
    "decode_image",
    "features_to_images",
    "guess_layout",
    "images_to_features",
    "picture_input",
    "pooled",
    "read_image",
    "slant_digits",
    "split_pipeline",
    "widen_strokes",
]


class Frame(NamedTuple):
    """How a data set's digits were cut out and framed before its layout's step."""

    side: int  #: the frame is side x side pixels
    box: int  #: the ink is scaled to fit a box x box square ...
    fit: str  #: ... by its "longer" side, or by its "height"
    centre: str  #: placed by centre of "mass" or by bounding "box"
    bitmap: bool  #: thresholded at half ink into black and white
    #: strokes thinner than this share of the digit's larger side are widened
    #: to it before framing (``stroke="auto"``), or None
    stroke: object = None


FRAMES = {
    "mnist": Frame(side=28, box=20, fit="longer", centre="mass", bitmap=False),
    # 0.16: the drawn strokes then cover as much of the 32x32 bitmap as the 8x8
    # digits' do (30.5 % of the cells' pixels, measured on load_digits).
    "nist32": Frame(side=32, box=32, fit="height", centre="box", bitmap=True, stroke=0.16),
}


class Layout(NamedTuple):
    """How a layout stores a digit."""

    side: int  #: the image is side x side pixels
    order: str  #: "C" (row by row) or "F" (column by column)
    scale: float  #: the value of full ink
    frame: str  #: the key in :data:`FRAMES` its data were framed in
    shrink: str  #: how the whole frame became side x side: "cubic", "area" or "none"


LAYOUTS = {
    "digits": Layout(side=8, order="C", scale=16.0, frame="nist32", shrink="area"),
    "ex4": Layout(side=20, order="F", scale=1.0, frame="mnist", shrink="cubic"),
    "mnist": Layout(side=28, order="C", scale=1.0, frame="mnist", shrink="none"),
}


def guess_layout(n_features):
    """The layout whose images have ``n_features`` pixels (64, 400 or 784).

    Examples
    --------
    >>> from sknn_digits.preprocessing import guess_layout
    >>> guess_layout(400)
    'ex4'
    """
    for name, layout in LAYOUTS.items():
        if layout.side**2 == n_features:
            return name
    raise ValueError(
        f"No digit layout has {n_features} features: digits has 64, ex4 400, mnist 784."
    )


def features_to_images(X, layout):
    """Rows of features back to upright images with values in 0..1.

    Parameters
    ----------
    X : array-like of shape (n, side * side)
    layout : {"digits", "ex4", "mnist"}

    Returns
    -------
    ndarray of shape (n, side, side)

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.preprocessing import features_to_images
    >>> features_to_images(np.arange(4.0)[None].repeat(100, 1)[:, :400], "ex4").shape
    (1, 20, 20)
    """
    spec = _layout(layout)
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    if X.shape[1] != spec.side**2:
        raise ValueError(
            f"Layout {layout!r} has {spec.side**2} features per image, got {X.shape[1]}."
        )
    images = X.reshape(-1, spec.side, spec.side) / spec.scale
    return images.transpose(0, 2, 1) if spec.order == "F" else images


def images_to_features(images, layout):
    """Upright images with values in 0..1 to rows of features in ``layout``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.preprocessing import images_to_features
    >>> image = np.zeros((8, 8))
    >>> image[0, 1] = 1.0
    >>> int(np.flatnonzero(images_to_features([image], "digits"))[0])   # row by row
    1
    """
    spec = _layout(layout)
    images = np.asarray(images, dtype=np.float64)
    if spec.order == "F":
        images = images.transpose(0, 2, 1)
    return images.reshape(len(images), -1) * spec.scale


def _layout(name):
    if name not in LAYOUTS:
        raise ValueError(f"layout must be one of {sorted(LAYOUTS)}, got {name!r}.")
    return LAYOUTS[name]


# ------------------------------------------------------------ grey levels and ink


# ------------------------------------------------------------ resampling


def _area_weights(n_in, n_out):
    """(n_out, n_in) matrix averaging input pixels over each output pixel's span."""
    edges = np.linspace(0, n_in, n_out + 1)
    pixels = np.arange(n_in)
    overlap = np.minimum(edges[1:, None], pixels + 1) - np.maximum(edges[:-1, None], pixels)
    return np.clip(overlap, 0, None) * (n_out / n_in)


def _keys_cubic(x):
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's, Octave's and Pillow's bicubic)."""
    x = np.abs(x)
    near = (1.5 * x - 2.5) * x * x + 1  # |x| <= 1
    far = ((-0.5 * x + 2.5) * x - 4) * x + 2  # 1 < |x| < 2
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _cubic_weights(n_in, n_out):
    """(n_out, n_in) cubic interpolation matrix, anti-aliased when shrinking.

    Output pixel ``i`` is centred at input coordinate ``(i + 1/2) n_in / n_out
    - 1/2``; when shrinking the kernel is widened by ``n_in / n_out`` so it
    averages, not samples.  Each row is normalised to sum to 1.
    """
    scale = n_in / n_out
    width = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale - 0.5
    weights = _keys_cubic((np.arange(n_in)[None, :] - centres[:, None]) / width)
    return weights / weights.sum(axis=1, keepdims=True)


RESAMPLING = {"area": _area_weights, "cubic": _cubic_weights}


def _resize(image, shape, kernel=None):
    """``image`` resampled to ``shape`` along each axis (separable).

    ``kernel`` names the weights (a key of :data:`RESAMPLING`); None shrinks
    by area and enlarges by cubic interpolation.  A side already of its size
    is left as it is.
    """
    for axis, (n_in, n_out) in enumerate(zip(image.shape, shape)):
        if n_out != n_in:
            weights = RESAMPLING[kernel or ("area" if n_out < n_in else "cubic")](n_in, n_out)
            image = np.moveaxis(np.tensordot(weights, image, axes=(1, axis)), 0, axis)
    return image


# ------------------------------------------------------------ framing


def _crop(ink, threshold):
    mask = ink > threshold
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return ink[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


def _box_shape(shape, frame):
    """The ink's size in the frame: its longer side or its height made ``frame.box``."""
    height, width = shape
    scale = frame.box / (max(height, width) if frame.fit == "longer" else height)
    return tuple(min(frame.box, max(1, round(n * scale))) for n in shape)


def _scale_into_box(ink, frame):
    """The ink resized into the frame's box, its grey levels kept in 0..1."""
    return np.clip(_resize(ink, _box_shape(ink.shape, frame)), 0.0, 1.0)


def _paste_into_frame(ink, frame):
    """Paste ``ink`` into the frame, by centre of mass (whole pixels) or bounding box."""
    side = frame.side
    if frame.centre == "mass":
        centre = np.array(ndimage.center_of_mass(ink))
        top_left = np.round((side - 1) / 2 - centre).astype(int)
    else:
        top_left = (side - np.array(ink.shape)) // 2
    top_left = np.clip(top_left, 0, side - np.array(ink.shape))
    canvas = np.zeros((side, side))
    canvas[top_left[0]: top_left[0] + ink.shape[0], top_left[1]: top_left[1] + ink.shape[1]] = ink
    return canvas


def in_frame(ink, frame):
    """Whether ``ink`` is already in ``frame``'s format, so framing it again would only blur it.

    That is: the frame's size; the ink's extent (any level above zero) the
    box's size within a pixel, since anti-aliasing may leave a faint row on
    either side of the box; placed within a pixel of where the frame puts it;
    and black and white for a bitmap frame.
    """
    if ink.shape != (frame.side, frame.side):
        return False
    mask = ink > 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    extent = np.array([rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1])
    measured = extent.max() if frame.fit == "longer" else extent[0]
    if abs(measured - frame.box) > 1 or (frame.bitmap and np.any((ink > 0) & (ink < 1))):
        return False
    if frame.centre == "mass":
        offset = np.array(ndimage.center_of_mass(ink)) - (frame.side - 1) / 2
    else:
        offset = np.array([rows[0], cols[0]]) - (frame.side - extent) // 2
    return bool(np.all(np.abs(offset) <= 1))


#: Widening strokes costs the picture's area times the disc's, both growing with
#: its side: larger pictures are brought down to this side first (by
#: :func:`pooled`), eight times the largest frame, so every picture costs as
#: one of this size.
WORKING_SIDE = 256


def pooled(ink, side):
    """``ink`` brought down to at most ``side`` pixels a side by the maximum of each block.

    The maximum, not the mean: a stroke one pixel wide keeps its full ink
    (a mean would grey it below the half ink that :func:`widen_strokes`
    measures strokes by); it widens by at most one pooled pixel, an eighth
    of a frame's pixel at :data:`WORKING_SIDE`.  Smaller pictures are
    returned as they are.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.preprocessing import pooled
    >>> ink = np.zeros((1000, 600))
    >>> ink[100:900, 300] = 1.0              # a stroke one pixel wide
    >>> small = pooled(ink, 256)
    >>> small.shape, float(small.max())
    ((250, 150), 1.0)
    """
    factor = -(-max(ink.shape) // side)
    if factor <= 1:
        return ink
    padded = np.zeros((-(-ink.shape[0] // factor) * factor, -(-ink.shape[1] // factor) * factor))
    padded[: ink.shape[0], : ink.shape[1]] = ink
    return padded.reshape(padded.shape[0] // factor, factor,
                          padded.shape[1] // factor, factor).max(axis=(1, 3))


def widen_strokes(ink, share):
    """Strokes thinner than ``share`` of the ink's larger side, widened to it.

    The stroke width is read from the ink as twice its area over its
    outline's length (exact for a long stroke of even width); a thinner
    stroke is widened by a grey dilation with a disc, so a pen's width does
    not decide what the digit looks like once framed.  Wider strokes are
    left alone.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.preprocessing import widen_strokes
    >>> ink = np.zeros((50, 50))
    >>> ink[5:45, 24:26] = 1.0           # a "1" two pixels wide, forty high
    >>> widened = widen_strokes(ink, 0.2)
    >>> int((widened[25] > 0.5).sum())   # now about 8 (0.2 x 40) wide
    8
    """
    mask = ink >= 0.5
    if not mask.any():
        return ink
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    side = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    outline = np.count_nonzero(mask & ~ndimage.binary_erosion(mask))
    missing = share * side - 2 * np.count_nonzero(mask) / outline
    if missing <= 1:  # within a pixel of the width wanted
        return ink
    radius = int(np.ceil(missing / 2))
    y, x = np.ogrid[-radius: radius + 1, -radius: radius + 1]
    return ndimage.grey_dilation(ink, footprint=x * x + y * y <= radius * radius)


def frame_digit(ink, frame, threshold=0.2):
    """Cut the ink out of a picture and put it in ``frame`` (a value of :data:`FRAMES`).

    ``ink`` is bright on a zero background, strongest ink 1; ``threshold`` is
    the level above which a pixel counts for the bounding box.  Ink already in
    the frame's format is returned as it is.
    """
    if in_frame(ink, frame):
        return ink
    framed = _paste_into_frame(_scale_into_box(_crop(ink, threshold), frame), frame)
    return (framed >= 0.5).astype(np.float64) if frame.bitmap else framed


def shrink_frame(framed, layout):
    """The layout's own step: the whole frame to the layout's side."""
    spec = _layout(layout)
    if spec.shrink == "none":
        return framed
    return _resize(framed, (spec.side, spec.side), spec.shrink)


class DigitImageTransformer(TransformerMixin, BaseEstimator):
    """Turn pictures of single digits into feature vectors of a digit layout.

    Each picture is framed the way the layout's data set was (for ``ex4`` and
    ``mnist``: MNIST's 20-pixel box in a 28x28 field, centred by mass; for
    ``digits``: a 32x32 bitmap filled in height), then the whole frame is
    brought to the layout's size as that data set's was and flattened in its
    order and scale.  The module's description gives each step and its
    source.  Put it in front of a model trained on that layout::

        make_pipeline(DigitImageTransformer(layout="ex4"), course_model)

    Parameters
    ----------
    layout : {"digits", "ex4", "mnist"}, default="digits"
        The features to produce: 8x8 row-major 0..16 (``load_digits``),
        20x20 column-major (the course) or 28x28 row-major 0..1 (MNIST).
    invert : "auto" or bool, default="auto"
        ``True`` for dark ink on a light page, ``False`` for light ink on a
        dark page; ``"auto"`` decides from the picture's border.
    ink_threshold : float, default=0.2
        Pixels brighter than this fraction of the strongest ink (after the
        background and its noise are taken off) count as ink for the bounding
        box, so a JPEG's faint ringing or a speck of dirt does not widen it.
        Pictures already in the frame's format are not cropped again.
    stroke : "auto", float in (0, 1) or None, default="auto"
        Widen strokes thinner than this share of the digit's larger side
        (:func:`widen_strokes`) before framing.  ``"auto"``: as the layout's
        data were drawn: 0.16 for ``digits`` (NIST's bitmaps have wide
        strokes; a thin pen would otherwise all but vanish at 32x32), none
        for ``ex4`` and ``mnist``.  None: never.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.preprocessing import DigitImageTransformer
    >>> page = np.full((60, 40), 255, dtype=np.uint8)   # white page
    >>> page[10:50, 15:25] = 0                           # a black "1"
    >>> features = DigitImageTransformer(layout="digits").transform([page])
    >>> features.shape, float(features.max())
    ((1, 64), 16.0)

    An image already in MNIST's format is left as it is:

    >>> mnist = np.zeros((28, 28))
    >>> mnist[4:24, 12:16] = 1.0
    >>> bool(np.all(DigitImageTransformer(layout="mnist").transform([mnist]) == mnist.ravel()))
    True
    """

    _parameter_constraints = {
        "layout": [StrOptions(set(LAYOUTS))],
        "invert": [StrOptions({"auto"}), "boolean"],
        "ink_threshold": [Interval(Real, 0, 1, closed="left")],
        "stroke": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="neither"), None],
    }

    def __init__(self, layout="digits", invert="auto", ink_threshold=0.2, stroke="auto"):
        self.layout = layout
        self.invert = invert
        self.ink_threshold = ink_threshold
        self.stroke = stroke

    def fit(self, X=None, y=None):
        """Check the parameters; nothing is learned.

        Returns
        -------
        self : DigitImageTransformer
        """
        self._validate_params()
        return self

    def transform(self, X):
        """Features of each picture.

        Parameters
        ----------
        X : list of (str, Path or array-like), or ndarray of shape (n, H, W) or (n, H, W, C)
            Image file paths, or image arrays of any size and dtype (integers
            are read as 0..max of their type, floats as 0..1).

        Returns
        -------
        ndarray of shape (n, n_features)
            64, 400 or 784 features per picture, by ``layout``.
        """
        return images_to_features(self.transform_images(X), self.layout)

    def transform_images(self, X):
        """Each picture as the upright image the model sees, values 0..1.

        What :meth:`transform` returns before it is flattened: useful to show
        what a network was given.

        Returns
        -------
        ndarray of shape (n, side, side)
        """
        self._validate_params()
        if isinstance(X, (str, Path)):
            raise TypeError(
                "X must be a list of images or paths, got a single path: wrap it in a list."
            )
        frame = FRAMES[LAYOUTS[self.layout].frame]
        stroke = frame.stroke if self.stroke == "auto" else self.stroke
        images = []
        for index, item in enumerate(X):
            name = f"image '{item}'" if isinstance(item, (str, Path)) else f"image {index}"
            pixels = read_image(item) if isinstance(item, (str, Path)) else item
            ink = _ink(_to_gray(pixels, name), self.invert, name)
            if stroke is not None and not in_frame(ink, frame):
                ink = widen_strokes(pooled(ink, WORKING_SIDE), stroke)
            images.append(shrink_frame(frame_digit(ink, frame, self.ink_threshold), self.layout))
        if not images:
            raise ValueError("X holds no images.")
        return np.stack(images)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        return tags


# ---------------------------------------------------------------- a model's contract

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
        >>> from sknn_digits.preprocessing import PictureInput
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


# ---------------------------------------------------------------- slanted copies

def slant_digits(X, angles=(-20, -10, 10, 20)):
    """Copies of 8x8 ``load_digits`` rows slanted by each of ``angles`` (degrees).

    Each digit is slanted where its data were made: its 32x32 bitmap (the
    8x8 counts spread back over their 4x4 blocks, linearly), sheared about
    its centre so the top leans right for a positive angle, thresholded at
    half ink and counted in 4x4 blocks again.  For training readers of
    drawn digits, which people slant either way.

    Parameters
    ----------
    X : array-like of shape (n, 64)
        Rows in the ``digits`` layout (0..16).
    angles : sequence of float, default=(-20, -10, 10, 20)

    Returns
    -------
    ndarray of shape (n * len(angles), 64)
        The rows slanted by ``angles[0]``, then by ``angles[1]``, ...

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits.preprocessing import slant_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> slant_digits(X[:5]).shape
    (20, 64)
    """
    images = np.asarray(X, dtype=np.float64).reshape(-1, 8, 8) / 16.0
    bitmaps = np.stack([ndimage.zoom(image, 4, order=1) for image in images])
    slanted = []
    for angle in angles:
        shear = np.tan(np.radians(angle))
        # output (r, c) reads input (r, c - shear * (centre - r)): the top moves right
        matrix, offset = np.array([[1.0, 0.0], [shear, 1.0]]), (0.0, -shear * 15.5)
        for bitmap in bitmaps:
            moved = ndimage.affine_transform(bitmap, matrix, offset=offset, order=1)
            slanted.append((moved >= 0.5).reshape(8, 4, 8, 4).sum(axis=(1, 3)).ravel())
    return np.asarray(slanted, dtype=np.float64)
