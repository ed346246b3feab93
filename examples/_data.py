"""Shared by the examples: the data they run on.

The examples use scikit-learn's bundled 8x8 digits by default.  Point the
environment variable ``SKNN_DIGITS_EX4_DIR`` at a folder holding the course's
``ex4data1.mat`` and ``ex4weights.mat`` to run them on the course's 20x20
digits instead.
"""

import os
from pathlib import Path

from sklearn.datasets import load_digits

from sknn_digits.datasets import load_ex4_data, load_ex4_weights

EX4_DIR = os.environ.get("SKNN_DIGITS_EX4_DIR")
#: The digits drawn by draw_digits.py.
DRAWN = Path(__file__).resolve().parent / "drawn"


def example_data():
    """``(X, y, layout, weights)``: features scaled to 0..1, digits 0..9, and the
    course's pretrained ``(theta_1, theta_2)`` when the course files are there."""
    if EX4_DIR:
        folder = Path(EX4_DIR)
        X, y = load_ex4_data(folder / "ex4data1.mat")
        return X, y, "ex4", load_ex4_weights(folder / "ex4weights.mat")
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y, "digits", None
