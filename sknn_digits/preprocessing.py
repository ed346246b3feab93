"""From a picture of a digit to the feature vector a model was trained on.

Three layouts of digit features are in use:

========  ======  ===============  ======  ===================================
layout    pixels  flattened        values  source
========  ======  ===============  ======  ===================================
digits    8x8     row by row       0..16   scikit-learn's ``load_digits``
ex4       20x20   column by column 0..1    the course's ``ex4data1.mat``
mnist     28x28   row by row       0..1    MNIST
========  ======  ===============  ======  ===================================

:class:`DigitImageTransformer` turns any picture (a scan, a photo, a drawing
in a paint program) into one of them the way MNIST was made: grey levels,
bright ink on a dark background, cropped to the ink, scaled into a box
keeping its aspect ratio, and centred by its centre of mass.
"""

import warnings
from numbers import Real
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, TransformerMixin

from ._compat import Interval, StrOptions
from ._files import check_readable

__all__ = [
    "LAYOUTS",
    "MAX_IMAGE_PIXELS",
    "DigitImageTransformer",
    "features_to_images",
    "guess_layout",
    "images_to_features",
    "read_image",
]


class Layout(NamedTuple):
    """How a layout stores a digit."""

    side: int  #: the image is side x side pixels
    box: int  #: the ink is scaled to fit a box x box square
    order: str  #: "C" (row by row) or "F" (column by column)
    scale: float  #: the value of full ink


LAYOUTS = {
    # load_digits: the ink spans all 8 rows, centred.
    "digits": Layout(side=8, box=8, order="C", scale=16.0),
    # The course's data are MNIST digits shrunk from 28 to 20 pixels, so their
    # 20-pixel box became 20 * 20 / 28, about 14 pixels.
    "ex4": Layout(side=20, box=14, order="F", scale=1.0),
    # MNIST: the ink fits a 20x20 box, centred by mass in 28x28.
    "mnist": Layout(side=28, box=20, order="C", scale=1.0),
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


#: The largest picture :func:`read_image` decodes: 16 megapixels, more than a
#: phone camera's photo; a digit needs far fewer.  Larger ones are refused
#: from their header, before any pixel is decoded.
MAX_IMAGE_PIXELS = 16_000_000


def read_image(path):
    """Pixels of an image file (PNG, JPEG, ... anything Pillow reads) as an array.

    The photo's EXIF orientation is applied.  Pictures of more than
    :data:`MAX_IMAGE_PIXELS` pixels are refused before they are decoded.
    Needs Pillow: ``pip install "sknn_digits[image]"``.

    Returns
    -------
    ndarray of shape (H, W, 4), uint8 RGBA
        Or of shape (H, W), float grey levels, for images of more than 8 bits
        per pixel (float or 16-bit TIFF, 16-bit PNG).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from sknn_digits.preprocessing import read_image
    >>> path = Path(tempfile.mkdtemp()) / "page.png"
    >>> Image.new("L", (4, 3), 255).save(path)
    >>> read_image(path).shape
    (3, 4, 4)
    """
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError:
        raise ImportError(
            'Reading image files needs Pillow: pip install "sknn_digits[image]"'
        ) from None
    path = check_readable(path, "image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValueError(
                        f"'{path}' has {width}x{height} pixels, more than the "
                        f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels a digit's picture may "
                        "have; scale it down first.")
                image = ImageOps.exif_transpose(image)
                if image.mode in ("F", "I") or image.mode.startswith("I;16"):
                    # More than 8 bits of grey (a float TIFF in 0..1, a 16-bit
                    # scan): keep the levels rather than clip them to 0..255.
                    return np.asarray(image, dtype=np.float64)
                return np.asarray(image.convert("RGBA"))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValueError(f"'{path}' has more than the {MAX_IMAGE_PIXELS / 1e6:.0f} megapixels a "
                         f"digit's picture may have ({error}).") from None
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"'{path}' is not an image file that can be read ({error}).") from None


def _to_gray(image, name):
    """A 2-D float image in 0..1 (0 darkest), from any dtype and channel layout."""
    array = np.asarray(image)
    if array.dtype == bool:
        array = array.astype(np.float64)
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"{name}: pixels must be real numbers, got dtype {array.dtype}.")
    if np.issubdtype(array.dtype, np.integer):
        full = np.iinfo(array.dtype).max if array.size and array.max() > 1 else 1
        array = array.astype(np.float64) / full
    else:
        array = array.astype(np.float64)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name}: pixels must be finite (found NaN or infinity).")
        if array.size and array.max() > 1:
            array = array / array.max()
    if array.ndim == 3 and array.shape[2] in (1, 2, 3, 4):
        has_alpha = array.shape[2] in (2, 4)
        colour = array[..., : array.shape[2] - has_alpha]
        gray = colour @ [0.299, 0.587, 0.114] if colour.shape[2] == 3 else colour[..., 0]
        if has_alpha:  # see-through pixels show a white page behind them
            alpha = array[..., -1]
            gray = gray * alpha + (1.0 - alpha)
        array = gray
    if array.ndim != 2 or min(array.shape) < 1:
        raise ValueError(
            f"{name}: an image must be (H, W) or (H, W, channels) with 1 to 4 "
            f"channels, got shape {np.shape(image)}."
        )
    return array


def _border(image):
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def _ink(gray, invert, name):
    """Ink as bright values on a zero background, scaled so the darkest ink is 1."""
    if invert == "auto":
        invert = np.median(_border(gray)) > 0.5  # a light page: dark ink
    ink = 1.0 - gray if invert else gray
    ink = np.clip(ink - np.median(_border(ink)), 0.0, None)
    if ink.max() <= 0.05:
        raise ValueError(f"{name}: the image is empty (no ink stands out from the background).")
    return ink / ink.max()


def _crop(ink, threshold):
    rows = np.flatnonzero((ink > threshold).any(axis=1))
    cols = np.flatnonzero((ink > threshold).any(axis=0))
    return ink[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


def _area_weights(n_in, n_out):
    """(n_out, n_in) matrix averaging input pixels over each output pixel's span."""
    edges = np.linspace(0, n_in, n_out + 1)
    pixels = np.arange(n_in)
    overlap = np.minimum(edges[1:, None], pixels + 1) - np.maximum(edges[:-1, None], pixels)
    return np.clip(overlap, 0, None) * (n_out / n_in)


def _fit_in_box(ink, box):
    """Scale so the longer side is ``box`` pixels, keeping the aspect ratio.

    Shrinking averages the ink over each new pixel's area (what a scanner or
    a camera sensor does, and how the digit data sets were made); enlarging
    interpolates linearly.
    """
    shape = [max(1, round(n * box / max(ink.shape))) for n in ink.shape]
    if shape[0] <= ink.shape[0]:
        return _area_weights(ink.shape[0], shape[0]) @ ink @ _area_weights(ink.shape[1], shape[1]).T
    zoomed = ndimage.zoom(
        ink, [s / n for s, n in zip(shape, ink.shape)], order=1, mode="nearest", grid_mode=True
    )
    return np.clip(zoomed, 0.0, 1.0)


def _centre_by_mass(ink, side):
    """Paste ``ink`` into a side x side canvas with its centre of mass in the middle."""
    canvas = np.zeros((side, side))
    centre = np.array(ndimage.center_of_mass(ink))
    top_left = np.round((side - 1) / 2 - centre).astype(int)
    top_left = np.clip(top_left, 0, np.array([side, side]) - ink.shape)
    canvas[top_left[0]: top_left[0] + ink.shape[0], top_left[1]: top_left[1] + ink.shape[1]] = ink
    return canvas


class DigitImageTransformer(TransformerMixin, BaseEstimator):
    """Turn pictures of single digits into feature vectors of a digit layout.

    Each picture goes through: grey levels; ink made bright on a dark
    background (detected from the border, or forced); cropped to the ink's
    bounding box; scaled to fit the layout's box keeping the aspect ratio;
    centred by its centre of mass; flattened in the layout's order and scale.
    Put it in front of a model trained on that layout::

        make_pipeline(DigitImageTransformer(layout="ex4"), course_model)

    Parameters
    ----------
    layout : {"digits", "ex4", "mnist"}, default="digits"
        The features to produce: 8x8 row-major 0..16 (``load_digits``),
        20x20 column-major 0..1 (the course) or 28x28 row-major 0..1 (MNIST).
    invert : "auto" or bool, default="auto"
        ``True`` for dark ink on a light page, ``False`` for light ink on a
        dark page; ``"auto"`` decides from the picture's border.
    ink_threshold : float, default=0.2
        Pixels brighter than this fraction of the darkest ink count as ink
        for cropping.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.preprocessing import DigitImageTransformer
    >>> page = np.full((60, 40), 255, dtype=np.uint8)   # white page
    >>> page[10:50, 18:23] = 0                           # a black "1"
    >>> features = DigitImageTransformer(layout="digits").transform([page])
    >>> features.shape, float(features.max())
    ((1, 64), 16.0)
    """

    _parameter_constraints = {
        "layout": [StrOptions(set(LAYOUTS))],
        "invert": [StrOptions({"auto"}), "boolean"],
        "ink_threshold": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, layout="digits", invert="auto", ink_threshold=0.2):
        self.layout = layout
        self.invert = invert
        self.ink_threshold = ink_threshold

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
        self._validate_params()
        if isinstance(X, (str, Path)):
            raise TypeError(
                "X must be a list of images or paths, got a single path: wrap it in a list."
            )
        spec = LAYOUTS[self.layout]
        images = []
        for index, item in enumerate(X):
            name = f"image '{item}'" if isinstance(item, (str, Path)) else f"image {index}"
            pixels = read_image(item) if isinstance(item, (str, Path)) else item
            ink = _ink(_to_gray(pixels, name), self.invert, name)
            scaled = _fit_in_box(_crop(ink, self.ink_threshold), spec.box)
            images.append(_centre_by_mass(scaled, spec.side))
        if not images:
            raise ValueError("X holds no images.")
        return images_to_features(images, self.layout)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        return tags
