"""How well the readers of drawn digits read digits as people draw them.

Reads the 140 drawings of ``examples/drawn_variations.py`` (two hands, each
digit drawn with the page's pen, a thin and a thick pen, small and
off-centre, large, and slanted 20 degrees either way) with the default
reader (``sknn_digits.workflow.default_reader``) and, given its file, the
course's pretrained network, and prints a table of the share read right per
variation::

    python benchmarks/readers.py [--ex4-weights ex4weights.mat]
"""

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from drawn_variations import VARIATIONS, drawings

from sknn_digits.preprocessing import DigitImageTransformer
from sknn_digits.workflow import default_reader


def shares(reader, layout, drawn):
    predicted = make_pipeline(DigitImageTransformer(layout=layout), reader).predict(
        [np.asarray(image) for *_, image in drawn])
    right = defaultdict(list)
    for (hand, variation, digit, _), guess in zip(drawn, predicted):
        right[variation].append(guess == digit)
        right[f"hand {hand}"].append(guess == digit)
        right["all"].append(guess == digit)
    return {key: float(np.mean(hits)) for key, hits in right.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ex4-weights", type=Path, help="the course's ex4weights.mat")
    args = parser.parse_args()
    drawn = drawings()
    start = time.perf_counter()
    readers = {"default reader": (default_reader(), "digits")}
    print(f"The default reader trained in {time.perf_counter() - start:.1f} s.")
    if args.ex4_weights is not None:
        from sknn_digits.datasets import load_ex4_model

        readers["course weights"] = (load_ex4_model(args.ex4_weights), "ex4")
    results = {name: shares(reader, layout, drawn) for name, (reader, layout) in readers.items()}
    columns = ["all", *VARIATIONS, "hand a", "hand b"]
    print("| reader | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, result in results.items():
        print(f"| {name} | " + " | ".join(f"{100 * result[c]:.0f} %" for c in columns) + " |")


if __name__ == "__main__":
    main()
