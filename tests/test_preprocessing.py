"""Tests of DigitImageTransformer and the digit layouts."""

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_digits import BackpropMLPClassifier
from sknn_digits.preprocessing import (
    DigitImageTransformer,
    features_to_images,
    guess_layout,
    images_to_features,
)

DRAWN = Path(__file__).resolve().parents[1] / "examples" / "drawn"


def _page(shape=(90, 70), dark_ink=True, dtype=np.uint8):
    """A page with a filled rectangle of ink at rows 20..59, cols 30..44."""
    full = np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1.0
    page = np.full(shape, full if dark_ink else 0, dtype=dtype)
    page[20:60, 30:45] = 0 if dark_ink else full
    return page


@pytest.mark.parametrize("layout, side", [("digits", 8), ("ex4", 20), ("mnist", 28)])
def test_layout_round_trip(layout, side):
    images = np.random.default_rng(0).random((3, side, side))
    features = images_to_features(images, layout)
    assert features.shape == (3, side * side)
    np.testing.assert_allclose(features_to_images(features, layout), images)
    assert guess_layout(side * side) == layout


def test_ex4_layout_is_column_major_and_digits_is_row_major():
    image = np.zeros((20, 20))
    image[0, 1] = 1.0  # first row, second column
    assert np.flatnonzero(images_to_features([image], "ex4"))[0] == 20  # column by column
    small = np.zeros((8, 8))
    small[0, 1] = 1.0
    features = images_to_features([small], "digits")
    assert np.flatnonzero(features)[0] == 1 and features.max() == 16.0


@pytest.mark.parametrize("dark_ink", [True, False])
def test_polarity_is_detected_from_the_border(dark_ink):
    out = DigitImageTransformer(layout="mnist").transform([_page(dark_ink=dark_ink)])
    image = out.reshape(28, 28)
    assert image.max() == pytest.approx(1.0)
    assert image[0, 0] == 0.0 and image[-1, -1] == 0.0  # background is dark


def test_forced_polarity():
    auto = DigitImageTransformer(layout="mnist").transform([_page()])
    forced = DigitImageTransformer(layout="mnist", invert=True).transform([_page()])
    np.testing.assert_array_equal(forced, auto)
    # Taking the white page for ink leaves nothing that stands out from it.
    with pytest.raises(ValueError, match="empty"):
        DigitImageTransformer(layout="mnist", invert=False).transform([_page()])


def test_ink_is_scaled_into_the_box_keeping_aspect_and_centred_by_mass():
    out = DigitImageTransformer(layout="mnist").transform([_page()]).reshape(28, 28)
    rows = np.flatnonzero((out > 0.5).any(axis=1))
    cols = np.flatnonzero((out > 0.5).any(axis=0))
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert height == 20  # the longer side fills MNIST's 20-pixel box
    assert width == pytest.approx(20 * 15 / 40, abs=1)  # the aspect ratio is kept
    np.testing.assert_allclose(ndimage.center_of_mass(out), (13.5, 13.5), atol=0.5)


@pytest.mark.parametrize(
    "image",
    [
        _page(dtype=np.uint16),
        _page(dtype=np.float32),
        np.repeat(_page()[..., None], 3, axis=2),  # RGB
        np.concatenate([np.repeat(_page()[..., None], 3, axis=2),
                        np.full((90, 70, 1), 255, np.uint8)], axis=2),  # RGBA, opaque
        _page() > 128,  # bool
    ],
    ids=["uint16", "float32", "rgb", "rgba", "bool"],
)
def test_any_dtype_and_channels_give_the_same_features(image):
    reference = DigitImageTransformer().transform([_page()])
    np.testing.assert_allclose(DigitImageTransformer().transform([image]), reference, atol=1e-6)


def test_transparent_background_counts_as_white_page():
    rgba = np.zeros((90, 70, 4), np.uint8)  # see-through everywhere ...
    rgba[20:60, 30:45] = [0, 0, 0, 255]  # ... but an opaque black stroke
    np.testing.assert_allclose(
        DigitImageTransformer().transform([rgba]), DigitImageTransformer().transform([_page()]),
        atol=1e-9,
    )


def test_stack_of_images_and_list_of_sizes():
    stack = np.stack([_page(), _page(dark_ink=False)])
    assert DigitImageTransformer().transform(stack).shape == (2, 64)
    mixed = [_page((90, 70)), _page((200, 120))]
    assert DigitImageTransformer(layout="ex4").transform(mixed).shape == (2, 400)


def test_files_are_read(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    Image.fromarray(_page()).save(tmp_path / "one.png")
    Image.fromarray(_page()).convert("RGB").save(tmp_path / "one.jpg", quality=95)
    transformer = DigitImageTransformer(layout="mnist")
    features = transformer.transform([tmp_path / "one.png", str(tmp_path / "one.jpg")])
    reference = transformer.transform([_page()])[0]
    np.testing.assert_allclose(features[0], reference, atol=1e-9)
    assert np.corrcoef(features[1], reference)[0, 1] > 0.9  # JPEG is lossy


def test_bad_inputs_name_the_problem(tmp_path):
    transformer = DigitImageTransformer()
    with pytest.raises(ValueError, match="image 0: the image is empty"):
        transformer.transform([np.full((10, 10), 255, np.uint8)])
    with pytest.raises(FileNotFoundError, match="missing.png"):
        transformer.transform([tmp_path / "missing.png"])
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ValueError, match="notes.png' is not an image file"):
        transformer.transform([tmp_path / "notes.png"])
    with pytest.raises(TypeError, match="single path"):
        transformer.transform("digit.png")
    with pytest.raises(ValueError, match="finite"):
        transformer.transform([np.full((5, 5), np.nan)])
    with pytest.raises(TypeError, match="real numbers"):
        transformer.transform([np.full((5, 5), "a")])
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        transformer.transform([np.zeros((4, 4, 7))])
    with pytest.raises(ValueError, match="layout"):
        DigitImageTransformer(layout="emnist").transform([_page()])
    with pytest.raises(ValueError, match="no images"):
        transformer.transform([])


def test_input_is_not_modified():
    page = _page()
    before = page.copy()
    DigitImageTransformer().transform([page])
    np.testing.assert_array_equal(page, before)


def test_big_pictures_of_known_digits_are_read_back(digits):
    # Blow held-out 8x8 digits up into large dark-on-light RGB pictures, off
    # centre, then let the transformer bring them back: a model trained on the
    # other digits must still read them.
    X, y = digits
    X = 16 * X  # the digits layout, as load_digits gives it: 0..16
    train, test = np.arange(len(y)) % 4 != 0, np.arange(len(y)) % 4 == 0
    model = make_pipeline(MinMaxScaler(clip=True), BackpropMLPClassifier(random_state=0))
    model.fit(X[train], y[train])
    pictures = []
    for row in X[test][:120]:
        big = np.kron(row.reshape(8, 8) / 16, np.ones((12, 12)))  # 96 x 96
        page = np.zeros((140, 170))
        page[20:116, 50:146] = big
        pictures.append(np.repeat((255 * (1 - page))[..., None], 3, axis=2).astype(np.uint8))
    pipe = make_pipeline(DigitImageTransformer(layout="digits"), model)
    assert np.mean(pipe.predict(pictures) == y[test][:120]) > 0.85


def test_course_network_reads_the_drawn_digits(course_weights_file):
    from sknn_digits.datasets import load_ex4_model

    pytest.importorskip("PIL")
    paths = [DRAWN / f"{digit}.png" for digit in range(10)]
    pipe = make_pipeline(DigitImageTransformer(layout="ex4"), load_ex4_model(course_weights_file))
    np.testing.assert_array_equal(pipe.predict(paths), np.arange(10))


def test_huge_images_are_refused_before_decoding(tmp_path):
    from PIL import Image

    from sknn_digits.preprocessing import MAX_IMAGE_PIXELS, read_image

    path = tmp_path / "bomb.png"
    Image.new("1", (15000, 15000), 0).save(path)  # a few KB on disk, 225 megapixels
    assert path.stat().st_size < 200_000 and MAX_IMAGE_PIXELS < 15000 ** 2
    with pytest.raises(ValueError, match="bomb.png' has more than the 16 megapixels"):
        read_image(path)
    large = tmp_path / "large.png"
    Image.new("1", (5000, 5000), 0).save(large)  # below Pillow's own alarm, above ours
    with pytest.raises(ValueError, match="large.png' has 5000x5000 pixels, more than the 16"):
        read_image(large)
    with pytest.raises(ValueError, match="bomb.png"):
        DigitImageTransformer(layout="ex4").transform([str(path)])


def test_float_tiff_in_0_1_keeps_its_ink(tmp_path):
    from PIL import Image

    from sknn_digits.preprocessing import read_image

    pixels = np.zeros((28, 28), np.float32)
    pixels[6:22, 12:16] = 1.0  # a bright stroke on black, values 0..1
    Image.fromarray(pixels, mode="F").save(tmp_path / "one.tiff")
    assert read_image(tmp_path / "one.tiff").max() == 1.0
    features = DigitImageTransformer(layout="mnist").transform([str(tmp_path / "one.tiff")])
    assert features.max() > 0.9  # not read as an empty (black) image


# ---------------------------------------------------------------- faithful framing
# Reference images are made here with Pillow and numpy, independently of the
# transformer: MNIST's frame (longer side 20, centre of mass at the centre of
# 28x28), the whole-frame cubic shrink that made the course's 20x20 data, and
# the 8x8 digits' 4x4 block counts of a 32x32 bitmap.


def _bright_ink(pixels):
    """0..1 ink on black from a drawing (dark ink on a white page)."""
    gray = np.asarray(pixels, dtype=np.float64)
    if gray.ndim == 3:
        gray = gray[..., :3].mean(axis=2)
    ink = 1.0 - gray / 255.0
    return ink / ink.max()


def _to_mnist_format(ink):
    """MNIST's recipe with Pillow: the ink's longer side resized to 20, pasted by mass in 28."""
    from PIL import Image

    rows, cols = np.nonzero(ink > 0)
    crop = ink[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    height, width = crop.shape
    scale = 20 / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # Pillow: (w, h)
    boxed = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize(
        size, Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR), np.float64)
    boxed = np.clip(boxed, 0, 1) / boxed.max()
    grid = np.indices(boxed.shape)
    mass = [(g * boxed).sum() / boxed.sum() for g in grid]
    top, left = (int(np.round(13.5 - m)) for m in mass)
    image = np.zeros((28, 28))
    image[top: top + boxed.shape[0], left: left + boxed.shape[1]] = boxed
    return image


def _course_shrink(image):
    """28x28 to 20x20 with Pillow's bicubic (Keys, a = -0.5, anti-aliased), column by column."""
    from PIL import Image

    small = Image.fromarray(image.astype(np.float32), mode="F").resize(
        (20, 20), Image.Resampling.BICUBIC)
    return np.asarray(small, np.float64).ravel(order="F")


def _mnist_format_examples():
    from PIL import Image
    from sklearn.datasets import load_digits

    drawn = [_bright_ink(Image.open(DRAWN / f"{digit}.png").convert("L")) for digit in range(10)]
    small = [image / 16 for image in load_digits().images[:60]]
    return [_to_mnist_format(ink) for ink in drawn + small]


def test_mnist_format_images_are_left_as_they_are_and_shrunk_as_the_course_did():
    pytest.importorskip("PIL")
    images = _mnist_format_examples()
    # mnist: the identity.  The made images are float64, so "up to rounding"
    # is exact here.
    mnist = DigitImageTransformer(layout="mnist").transform(images)
    np.testing.assert_array_equal(mnist, np.reshape(images, (len(images), -1)))
    # ex4: the whole-frame cubic shrink.  Pillow keeps F images in float32,
    # so the two agree to float32's precision.
    ex4 = DigitImageTransformer(layout="ex4").transform(images)
    expected = np.array([_course_shrink(image) for image in images])
    np.testing.assert_allclose(ex4, expected, atol=2e-6)
    assert ex4.min() < 0  # the cubic kernel's ringing is kept, as in the course's data


def test_bitmaps_in_the_nist_frame_are_counted_in_4x4_blocks():
    from PIL import Image

    pytest.importorskip("PIL")
    bitmaps = []
    for digit in range(10):
        ink = _bright_ink(Image.open(DRAWN / f"{digit}.png").convert("L")) > 0.5
        rows, cols = np.nonzero(ink)
        crop = ink[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
        width = min(32, round(crop.shape[1] * 32 / crop.shape[0]))
        scaled = np.asarray(Image.fromarray(crop).resize((width, 32), Image.Resampling.NEAREST))
        bitmap = np.zeros((32, 32))
        bitmap[:, (32 - width) // 2: (32 - width) // 2 + width] = scaled
        bitmaps.append(bitmap)
    counts = np.array([b.reshape(8, 4, 8, 4).sum(axis=(1, 3)).ravel() for b in bitmaps])
    np.testing.assert_array_equal(DigitImageTransformer(layout="digits").transform(bitmaps),
                                  counts)


def test_any_picture_is_framed_like_mnist_first():
    # A drawing far larger than MNIST, off centre, with wide margins: framing
    # it must give an MNIST-format image (longer side 20, centred by mass),
    # which then comes through a second time unchanged.
    page = np.zeros((300, 400))
    page[40:240, 250:330] = 1.0
    page[40:60, 200:330] = 1.0  # a "7"
    transformer = DigitImageTransformer(layout="mnist")
    once = transformer.transform([page]).reshape(28, 28)
    rows, cols = np.nonzero(once > 0)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 == 20
    np.testing.assert_allclose(ndimage.center_of_mass(once), (13.5, 13.5), atol=0.5)
    # Unchanged up to the last bit of the resampling's sums (which BLAS kernel adds
    # them decides that bit).
    np.testing.assert_allclose(transformer.transform([once]).reshape(28, 28), once,
                               rtol=0, atol=1e-12)


def test_course_network_reads_scikit_learns_digits_brought_to_its_layout(course_weights_file):
    # The rate the docs state (preprocessing page): 67.8 % of all 1797 digits.
    # 8x8 digits lose most of a stroke's shape; the network saw 20x20 MNIST.
    from sklearn.datasets import load_digits

    from sknn_digits.datasets import load_ex4_model

    digits = load_digits()
    features = DigitImageTransformer(layout="ex4").transform(digits.images / 16)
    rate = np.mean(load_ex4_model(course_weights_file).predict(features) == digits.target)
    assert 0.65 < rate < 0.71


def test_encoded_images_are_decoded_with_the_same_checks():
    import io

    from PIL import Image

    from sknn_digits.preprocessing import decode_image

    encoded = io.BytesIO()
    Image.fromarray(_page()).save(encoded, format="PNG")
    np.testing.assert_array_equal(decode_image(encoded.getvalue())[..., 0], _page())
    with pytest.raises(ValueError, match="the drawing is not an image file"):
        decode_image(b"GIF89a but not really", name="the drawing")
    bomb = io.BytesIO()
    Image.new("1", (5000, 5000), 0).save(bomb, format="PNG")
    with pytest.raises(ValueError, match="the drawing has 5000x5000 pixels"):
        decode_image(bomb.getvalue(), name="the drawing")


def test_thin_strokes_are_widened_thick_ones_left_alone():
    from sknn_digits.preprocessing import widen_strokes

    thin = np.zeros((60, 60))
    thin[5:55, 29:31] = 1.0  # 2 pixels wide, 50 high
    widened = widen_strokes(thin, 0.16)
    assert 7 <= np.count_nonzero(widened[30] > 0.5) <= 10  # about 0.16 x 50
    thick = np.zeros((60, 60))
    thick[5:55, 25:35] = 1.0  # 10 wide: already wider than 8
    assert np.array_equal(widen_strokes(thick, 0.16), thick)
    assert np.array_equal(widen_strokes(np.zeros((5, 5)), 0.16), np.zeros((5, 5)))


def test_the_digits_layout_widens_a_thin_pen_and_stroke_none_does_not():
    page = np.full((120, 100), 255, dtype=np.uint8)
    page[10:110, 49:51] = 0  # a "1" drawn with a 2-pixel pen
    widened = DigitImageTransformer(layout="digits").transform([page])
    plain = DigitImageTransformer(layout="digits", stroke=None).transform([page])
    assert widened.sum() > 2 * plain.sum()
    # The course's and MNIST's layouts draw as their data were: no widening by default.
    assert np.array_equal(DigitImageTransformer(layout="ex4").transform([page]),
                          DigitImageTransformer(layout="ex4", stroke=None).transform([page]))


def test_slanted_digits_lean_the_way_asked():
    from sknn_digits.preprocessing import slant_digits

    bar = np.zeros((1, 64))
    bar[0, 3::8] = 16  # a vertical bar in column 3, top to bottom
    right, left = slant_digits(bar, (20, -20)).reshape(2, 8, 8)
    columns = np.arange(8)
    top_right = (right[0] * columns).sum() / right[0].sum()
    bottom_right = (right[-1] * columns).sum() / right[-1].sum()
    assert top_right > bottom_right  # leaning right: the top further right
    top_left = (left[0] * columns).sum() / left[0].sum()
    assert top_left < (left[-1] * columns).sum() / left[-1].sum()


def test_a_big_thin_drawing_is_widened_at_the_working_size(monkeypatch):
    """A 1200x1200 thin "7" was widened at full size: 27-53 s and up to 6 GB."""
    import sknn_digits.preprocessing as preprocessing

    seen = []
    real = preprocessing.widen_strokes
    monkeypatch.setattr(preprocessing, "widen_strokes",
                        lambda ink, share: seen.append(ink.shape) or real(ink, share))
    page = np.full((1200, 1200), 255, dtype=np.uint8)
    page[200:204, 300:900] = 0                  # the top bar, 4 px thick
    for step in range(0, 800, 2):               # the diagonal, 4 px thick
        page[204 + step: 206 + step, 896 - step // 2: 900 - step // 2] = 0
    features = preprocessing.DigitImageTransformer(layout="digits").transform([page])
    assert seen and max(max(shape) for shape in seen) <= preprocessing.WORKING_SIDE
    assert features.max() == 16.0  # the thin strokes kept their ink


@pytest.mark.slow
def test_the_largest_drawing_is_read_within_a_few_hundred_mb():
    """Measured with the process's own high-water mark, in a process of its own."""
    import subprocess
    import sys

    code = (
        "import resource, numpy as np\n"
        "from sknn_digits.preprocessing import DigitImageTransformer\n"
        "side = 2047\n"
        "page = np.full((side, side), 255, dtype=np.uint8)\n"
        "page[300:1700, 1000:1003] = 0\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "DigitImageTransformer(layout='digits').transform([page])\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(before, after)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    before, after = map(int, done.stdout.split())  # KiB on Linux
    assert (after - before) * 1024 < 400 * 2**20


def test_split_pipeline_gives_the_steps_before_and_the_last():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    from sknn_digits import BackpropMLPClassifier
    from sknn_digits.preprocessing import split_pipeline

    network = BackpropMLPClassifier()
    assert split_pipeline(network) == (None, network)
    before, last = split_pipeline(make_pipeline(network))
    assert before is None and last is network
    before, last = split_pipeline(make_pipeline(StandardScaler(), MinMaxScaler(), network))
    assert last is network and [name for name, _ in before.steps] == [
        "standardscaler", "minmaxscaler"]
