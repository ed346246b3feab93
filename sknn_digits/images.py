"""Reading pictures: image files and encoded bytes decoded safely, brought to grey levels and ink.

Pillow decodes only :data:`IMAGE_FORMATS`, the formats a digit's picture
comes in, whatever a file's first bytes claim: none of them starts a process
(Pillow's EPS decoder runs Ghostscript) or decodes another program's format.
A picture larger than :data:`MAX_IMAGE_PIXELS` is refused from its header,
before any pixel is decoded, and any failure of a decoder, whatever Pillow
raises, becomes one ValueError naming the picture.  ``_ink`` turns grey
levels into ink (0 paper, 1 full ink), deciding the polarity from the
picture's border.
"""

import warnings

import numpy as np

from ._files import check_readable

#: The largest picture :func:`read_image` decodes: 16 megapixels, more than a
#: phone camera's photo; a digit needs far fewer.  Larger ones are refused
#: from their header, before any pixel is decoded.
MAX_IMAGE_PIXELS = 16_000_000

#: The formats every reader of pictures decodes (Pillow's names): what photos,
#: scans, paint programs and browsers write.  The command line, the drawing
#: server and :func:`read_image` all read this one list.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF", "PPM")


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
    path = check_readable(path, "image file")
    return _decode(path, f"'{path}'")


def decode_image(data, name="the image", formats=IMAGE_FORMATS, max_pixels=MAX_IMAGE_PIXELS):
    """Pixels of an encoded image (the bytes of a PNG, JPEG, ... file).

    The same as :func:`read_image` for bytes received rather than read from a
    file; ``name`` says in error messages which image was wrong.  ``formats``
    (Pillow's names, e.g. ``("PNG", "JPEG")``; at most :data:`IMAGE_FORMATS`)
    limits the decoders tried further;
    ``max_pixels`` is checked from the header, before decoding.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> from sknn_digits.preprocessing import decode_image
    >>> encoded = io.BytesIO()
    >>> Image.new("L", (5, 2), 0).save(encoded, format="PNG")
    >>> decode_image(encoded.getvalue()).shape
    (2, 5, 4)
    """
    import io

    return _decode(io.BytesIO(data), name, formats, max_pixels)


def _decode(source, name, formats=IMAGE_FORMATS, max_pixels=MAX_IMAGE_PIXELS):
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError:
        raise ImportError(
            'Reading image files needs Pillow: pip install "sknn_digits[image]"'
        ) from None
    formats = [f for f in formats if f in IMAGE_FORMATS]
    if not formats:
        raise ValueError(f"no picture format to read {name} with: the formats are "
                         f"{', '.join(IMAGE_FORMATS)}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=formats) as image:  # reads the header only
                width, height = image.size
                if width * height > max_pixels:
                    raise ValueError(
                        f"{name} has {width}x{height} pixels, more than the "
                        f"{max_pixels / 1e6:.3g} megapixels a digit's picture may "
                        "have; scale it down first.")
                image = ImageOps.exif_transpose(image)
                if image.mode in ("F", "I") or image.mode.startswith("I;16"):
                    # More than 8 bits of grey (a float TIFF in 0..1, a 16-bit
                    # scan): keep the levels rather than clip them to 0..255.
                    return np.asarray(image, dtype=np.float64)
                return np.asarray(image.convert("RGBA"))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValueError(f"{name} has more than the {max_pixels / 1e6:.3g} megapixels a "
                         f"digit's picture may have ({error}).") from None
    except UnidentifiedImageError:
        raise ValueError(f"{name} is not an image file that can be read: a picture in one "
                         f"of {', '.join(IMAGE_FORMATS)}.") from None
    except MemoryError:
        raise
    except ValueError as error:
        if str(error).startswith(name):  # the size refusal above
            raise
        raise ValueError(f"{name} is damaged and could not be decoded ({error}).") from None
    except Exception as error:  # a decoder's own error: SyntaxError, struct.error, ...
        raise ValueError(f"{name} is damaged and could not be decoded "
                         f"({type(error).__name__}: {error}).") from None


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
    """Ink as bright values on a zero background, scaled so the strongest ink is 1.

    The background is the border's median; its noise, three robust standard
    deviations (1.4826 times the median absolute deviation) above it, is taken
    off too, so a photo's grain does not count as ink while a clean image
    (an MNIST digit, a drawing) keeps every grey level it has.
    """
    if invert == "auto":
        invert = np.median(_border(gray)) > 0.5  # a light page: dark ink
    ink = 1.0 - gray if invert else gray
    border = _border(ink)
    level = np.median(border)
    noise = 1.4826 * np.median(np.abs(border - level))
    ink = np.clip(ink - (level + 3 * noise), 0.0, None)
    if ink.max() <= 0.05:
        raise ValueError(f"{name}: the image is empty (no ink stands out from the background).")
    return ink / ink.max()
