"""Shared fixtures: small digits data and the optional course files."""

import os

# scipy reads this once, when it is first imported: the array API tests (and
# scikit-learn's own array API checks in check_estimator) need it on.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

SHARED = Path(__file__).resolve().parents[2] / "shared"
EX4_WEIGHTS = SHARED / "data" / "ex4weights.mat"


@pytest.fixture(scope="session")
def digits():
    """sklearn's 8x8 digits scaled to [0, 1]."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="session")
def small_digits(digits):
    """A 300-sample stratified slice of the digits, for quick fits."""
    X, y = digits
    rng = np.random.default_rng(0)
    index = np.concatenate(
        [rng.choice(np.flatnonzero(y == k), 30, replace=False) for k in range(10)]
    )
    return X[index], y[index]


@pytest.fixture(scope="session")
def ex4_dir():
    """Directory holding the course's ex4data1.mat and ex4weights.mat."""
    directory = os.environ.get("SKNN_DIGITS_EX4_DIR")
    if not directory:
        pytest.skip("SKNN_DIGITS_EX4_DIR is not set: the course's ex4 data files are not available")
    path = Path(directory)
    for name in ("ex4data1.mat", "ex4weights.mat"):
        if not (path / name).is_file():
            pytest.skip(f"SKNN_DIGITS_EX4_DIR={directory} has no {name}")
    return path


def course_weights_path():
    """The course's ex4weights.mat: in SKNN_DIGITS_EX4_DIR if set, else in ../shared."""
    directory = os.environ.get("SKNN_DIGITS_EX4_DIR")
    if directory and (Path(directory) / "ex4weights.mat").is_file():
        return Path(directory) / "ex4weights.mat"
    return EX4_WEIGHTS if EX4_WEIGHTS.is_file() else None


@pytest.fixture(scope="session")
def course_weights_file():
    """The course's pretrained weights (absent in a lone clone without the variable)."""
    path = course_weights_path()
    if path is None:
        pytest.skip("needs the course's ex4weights.mat: set SKNN_DIGITS_EX4_DIR to the folder "
                    "holding it")
    return path


@pytest.fixture(scope="session")
def cluster_client():
    """A client of a LocalCluster of 2 single-threaded worker processes on 127.0.0.1."""
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with (LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                       dashboard_address=":0", silence_logs=40) as cluster,
          Client(cluster) as client):
        yield client


@pytest.fixture(scope="session")
def write_kaggle_files():
    """``write_kaggle_files(folder)``: Kaggle's train.csv and test.csv written there."""
    return _write_kaggle_files


@pytest.fixture(scope="session")
def interruptible_popen():
    """``interruptible_popen(args, **kwargs)``: a command Ctrl-C stops (see below)."""
    return _interruptible_popen


def _write_kaggle_files(folder):
    """train.csv (label first, pixels 0..255) and test.csv (pixels only) in Kaggle's layout,
    made from the bundled digits.  Returns the test rows' true labels."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    pixels = np.round(X * 255 / 16).astype(int)
    header = ",".join(f"pixel{i}" for i in range(pixels.shape[1]))
    train, test = slice(0, 1400), slice(1400, None)
    train_csv, test_csv = folder / "train.csv", folder / "test.csv"
    train_csv.write_text(f"label,{header}\n" + "".join(
        f"{label}," + ",".join(map(str, row)) + "\n" for label, row in zip(y[train],
                                                                          pixels[train])))
    test_csv.write_text(f"{header}\n" + "".join(",".join(map(str, row)) + "\n"
                                                for row in pixels[test]))
    return y[test]


def _interruptible_popen(args, **kwargs):
    """``subprocess.Popen(args, **kwargs)`` for a command that Ctrl-C (SIGINT) must stop.

    A child inherits an ignored SIGINT, and Python then installs no
    KeyboardInterrupt handler: a suite run in the background of a
    non-interactive shell (``pytest &``, nohup, some CI runners) ignores it,
    and the command could not be stopped.  A handled signal is reset to its
    default in the child, so the parent handles it while the child starts.
    """
    import signal
    import subprocess

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(args, **kwargs)
    finally:
        signal.signal(signal.SIGINT, previous)


def pytest_collection_modifyitems(items):
    """Every test on a cluster of worker processes is slow (the fast lane leaves it out)."""
    for item in items:
        if "cluster_client" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
