"""
Digits as people draw them: two hands, several pens, sizes and slants
=====================================================================

A test set for the readers of drawn digits: each digit 0..9 drawn by two
hands (two sets of strokes, the second with the open 4, the crossed 7, the
straight-stemmed 9 and other common variants), each in seven ways:

* ``page``: the drawing page's pen (about a tenth of the digit's height);
* ``thin`` and ``thick``: a pen of 3 and of 18 pixels on the same page;
* ``small``: a small digit away from the centre of a larger page;
* ``large``: a digit filling its page to the edges;
* ``slant-left`` and ``slant-right``: the strokes slanted by 20 degrees.

140 drawings in all, made the same way every time.  ``python
examples/drawn_variations.py --force`` also writes them to
``examples/drawn_variations/`` as PNG files (``HAND-VARIATION-DIGIT.png``).
"""

import sys
from math import radians, tan
from pathlib import Path

from draw_digits import STROKES, arc
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
OUT = HERE / "drawn_variations"

#: The second hand: other shapes for several digits, on the same 100 x 120 page.
OTHER_HAND = {
    0: [arc(50, 60, 20, 42, -80, 290)],
    1: [[(50, 16), (48, 104)]],
    2: [[*arc(48, 40, 22, 20, 190, 360), (70, 52), (30, 98), *arc(40, 96, 10, 6, 180, 360),
         (76, 98)]],
    3: [[(28, 20), (72, 20), (46, 54), *arc(48, 78, 24, 24, -80, 160)]],
    4: [[(32, 20), (30, 66), (78, 66)], [(66, 24), (66, 104)]],
    5: [[(34, 18), (30, 56), *arc(48, 74, 24, 24, -110, 160)], [(34, 18), (74, 18)]],
    6: [arc(70, 40, 36, 60, 200, 270) + arc(50, 80, 22, 22, 180, 540)],
    7: [[(24, 20), (76, 20), (46, 104)], [(36, 62), (70, 62)]],
    8: [arc(50, 38, 22, 20, 0, 360), arc(50, 82, 24, 22, 0, 360)],
    9: [arc(48, 40, 22, 20, 0, 360), [(70, 40), (70, 104)]],
}
HANDS = {"a": STROKES, "b": OTHER_HAND}
VARIATIONS = ("page", "thin", "thick", "small", "large", "slant-left", "slant-right")


def _transform(strokes, scale=1.0, shift=(0, 0), slant=0.0, centre=(50, 60)):
    """Strokes scaled about ``centre``, slanted (degrees, positive leaning right), shifted."""
    shear = tan(radians(slant))
    cx, cy = centre
    return [[(cx + scale * (x - cx) + shear * (cy - y) * scale + shift[0],
              cy + scale * (y - cy) + shift[1]) for x, y in stroke] for stroke in strokes]


def drawing(hand, variation, digit):
    """One drawing: a greyscale PIL image, black ink on white."""
    strokes = HANDS[hand][digit]
    size, width = (100, 120), 9
    if variation == "thin":
        width = 3
    elif variation == "thick":
        width = 18
    elif variation == "small":  # a third of the size, in the upper left of a 200 x 200 page
        size, strokes = (200, 200), _transform(strokes, scale=0.45, shift=(-10, -12))
    elif variation == "large":  # the digit fills the page, edge to edge
        size, strokes = (84, 100), _transform(strokes, scale=1.0, shift=(-8, -10))
    elif variation.startswith("slant"):
        strokes = _transform(strokes, slant=20 if variation == "slant-right" else -20)
    page = Image.new("L", size, 255)
    pen = ImageDraw.Draw(page)
    for stroke in strokes:
        pen.line(stroke, fill=0, width=width, joint="curve")
    return page


def drawings():
    """Every drawing of the set as ``(hand, variation, digit, image)``."""
    return [(hand, variation, digit, drawing(hand, variation, digit))
            for hand in HANDS for variation in VARIATIONS for digit in range(10)]


def main(force=False):
    OUT.mkdir(exist_ok=True)
    written = 0
    for hand, variation, digit, image in drawings():
        path = OUT / f"{hand}-{variation}-{digit}.png"
        if path.exists() and not force:
            continue
        image.save(path)
        written += 1
    print(f"Wrote {written} drawings to {OUT}" + ("" if force else
          " (existing files kept; --force redraws them)") + ".")


if __name__ == "__main__":
    main(force="--force" in sys.argv[1:])
