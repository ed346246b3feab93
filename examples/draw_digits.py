"""
Draw digits by hand, in code
============================

Writes ``examples/drawn/0.png`` ... ``9.png``: each digit drawn as pen
strokes on a white page with Pillow, the way someone would draw it with a
mouse in a paint program.  The other examples and the tests read these files
as "your own handwriting".  Run it again to redraw them (existing files are
replaced only with ``--force``).
"""

import sys
from math import cos, pi, sin
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
OUT = HERE / "drawn"


def arc(cx, cy, rx, ry, start, stop, steps=24):
    """Points along an ellipse from angle ``start`` to ``stop`` (degrees, y down)."""
    return [
        (cx + rx * cos(pi * (start + (stop - start) * k / steps) / 180),
         cy + ry * sin(pi * (start + (stop - start) * k / steps) / 180))
        for k in range(steps + 1)
    ]


# Strokes on a 100 x 120 page, as a hand would make them.
STROKES = {
    0: [arc(50, 60, 24, 40, 0, 360)],
    1: [[(38, 34), (54, 18), (54, 102)]],
    2: [[*arc(50, 42, 24, 22, 200, 380), (28, 100), (78, 100)]],
    3: [arc(48, 38, 22, 19, 200, 450), arc(48, 78, 25, 22, -90, 160)],
    4: [[(62, 18), (26, 76), (80, 76)], [(62, 40), (62, 104)]],
    5: [[(74, 20), (36, 20), (32, 54), *arc(50, 74, 26, 26, -120, 150)]],
    6: [[(66, 18), *arc(50, 78, 24, 24, 200, 560)]],
    7: [[(26, 22), (76, 22), (44, 104)]],
    8: [arc(50, 38, 20, 20, 90, 450), arc(50, 80, 25, 22, -90, 270)],
    9: [arc(50, 42, 22, 22, 0, 360), [(72, 42), (66, 104)]],
}


def draw(digit, width=9):
    """A white 100 x 120 page with ``digit`` drawn in black strokes."""
    page = Image.new("L", (100, 120), 255)
    pen = ImageDraw.Draw(page)
    for stroke in STROKES[digit]:
        pen.line(stroke, fill=0, width=width, joint="curve")
    return page


def main(force=False):
    OUT.mkdir(exist_ok=True)
    kept = []
    for digit in STROKES:
        path = OUT / f"{digit}.png"
        if path.exists() and not force:
            kept.append(path.name)
            continue
        draw(digit).save(path)
        print(f"Wrote {path}")
    if kept:
        print(f"Kept {len(kept)} existing drawing(s) in {OUT} ({', '.join(kept)}); "
              "run with --force to redraw them.")


if __name__ == "__main__":
    main(force="--force" in sys.argv[1:])
