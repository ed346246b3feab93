"""Tests of reading pictures: the decoders limited to a digit's formats, every failure named."""

import io
import sys
import threading

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from sknn_digits.images import IMAGE_FORMATS, decode_image, read_image  # noqa: E402


def _encoded(fmt, seed=0):
    rng = np.random.default_rng(seed)
    picture = Image.fromarray((rng.random((12, 10)) * 255).astype(np.uint8))
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt)
    return buffer.getvalue()


def test_every_reader_reads_one_list_of_formats():
    from sknn_digits import web

    assert web.IMAGE_FORMATS is IMAGE_FORMATS
    assert "EPS" not in IMAGE_FORMATS and "PNG" in IMAGE_FORMATS


@pytest.mark.parametrize("fmt", IMAGE_FORMATS)
def test_each_format_decodes(fmt):
    assert decode_image(_encoded(fmt)).shape[:2] == (12, 10)


_EVENTS = []
_WATCHING = threading.Event()


def _hook(event, args):
    if _WATCHING.is_set() and (event in ("subprocess.Popen", "os.system", "os.posix_spawn",
                                         "os.fork") or event.startswith("os.exec")):
        _EVENTS.append(event)


def test_a_postscript_file_named_png_starts_no_program(tmp_path):
    """Pillow's EPS reader runs Ghostscript: a file's first bytes must not choose it."""
    sys.addaudithook(_hook)  # stays for the process; records only while watching
    path = tmp_path / "digit.png"
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    _WATCHING.set()
    try:
        with pytest.raises(ValueError, match=r"digit\.png'? is not an image file that can"):
            read_image(path)
    finally:
        _WATCHING.clear()
    assert _EVENTS == []


def _broken_chunk(data):
    broken = bytearray(data)
    broken[35] = 0  # the pixel chunk's length: Pillow raises SyntaxError "broken PNG file"
    return bytes(broken)


@pytest.mark.parametrize("damage", [_broken_chunk, lambda data: data[:100]],
                         ids=["broken-chunk", "cut-short"])
def test_a_damaged_png_is_named(damage):
    encoded = io.BytesIO()
    Image.fromarray(np.full((40, 30), 200, dtype=np.uint8)).save(encoded, format="PNG",
                                                                  compress_level=0)
    with pytest.raises(ValueError, match='"drawing" is damaged and could not be decoded'):
        decode_image(damage(encoded.getvalue()), name='"drawing"')


def test_a_dds_header_with_unknown_pixel_flags_is_refused_as_an_unread_format():
    data = b"DDS " + (124).to_bytes(4, "little") + b"\0" * 120
    with pytest.raises(ValueError, match="not an image file that can be read"):
        decode_image(data)


def test_decoding_fuzzed_pictures_gives_an_array_or_one_value_error():
    """Seeded damage to every format's bytes: flipped bytes, cuts, repeats; each decode
    returns pixels or raises ValueError, never another exception (a bounded, quick run)."""
    rng = np.random.default_rng(2026)
    originals = [_encoded(fmt, seed) for fmt in IMAGE_FORMATS for seed in range(2)]
    outcomes = {"decoded": 0, "refused": 0}
    for case in range(600):
        data = bytearray(originals[case % len(originals)])
        kind = case % 3
        if kind == 0:
            for position in rng.integers(0, len(data), size=rng.integers(1, 8)):
                data[position] = rng.integers(0, 256)
        elif kind == 1:
            data = data[:rng.integers(1, len(data))]
        else:
            start = rng.integers(0, len(data))
            data = data[:start] + data[start:start + 64] * 3 + data[start:]
        try:
            decode_image(bytes(data), name=f"case {case}")
            outcomes["decoded"] += 1
        except ValueError as error:
            assert f"case {case}" in str(error)
            outcomes["refused"] += 1
    assert outcomes["decoded"] and outcomes["refused"]
