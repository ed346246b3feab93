"""Tests of the data readers: tables bounded by what they hold, and no column taken on a guess."""

import os
import tracemalloc

import numpy as np
import pytest

from sknn_digits.datasets import load_dataset
from sknn_digits.readers import _read_csv_table


def test_blank_lines_hold_no_rows_and_allocate_nothing(tmp_path):
    """One row of 10**6 values and 2,000,000 blank lines: a table of one row, not 14.6 TiB."""
    path = tmp_path / "wide.csv"
    with open(path, "w") as file:
        file.write(",".join(["0"] * 10**6) + "\n")
        file.write("\n" * 2_000_000)
    tracemalloc.start()
    try:
        table, names = _read_csv_table(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.shape == (1, 10**6) and names is None
    assert peak < 200 * 2**20


def test_rows_that_cannot_fit_the_file_are_refused_before_allocation(tmp_path):
    """A first row of 2.2 million values (a block of text of its own), then 50,000 rows of
    one value: 50,001 rows of the first row's width would take 880 GB."""
    path = tmp_path / "ragged.csv"
    path.write_text(",".join(["0"] * 2_200_000) + "\n" + "0\n" * 50_000)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"ragged\.csv.*2200000 columns.*different widths"):
            _read_csv_table(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 400 * 2**20


def test_a_file_that_grows_while_it_is_read_is_named(tmp_path, monkeypatch):
    from sknn_digits import readers

    path = tmp_path / "growing.csv"
    path.write_text("1,2\n3,4\n5,6\n")
    counted = readers._csv_shape

    def counted_before_two_more_rows(*args, **kwargs):
        names, n_lines = counted(*args, **kwargs)
        with open(path, "a") as file:
            file.write("7,8\n9,10\n")
        return names, n_lines

    monkeypatch.setattr(readers, "_csv_shape", counted_before_two_more_rows)
    with pytest.raises(ValueError, match=r"growing\.csv' changed while it was read"):
        _read_csv_table(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_or_a_device_is_not_read(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(ValueError, match="is not a regular file"):
            load_dataset(path)


def test_a_header_naming_no_label_column_is_not_given_one(tmp_path):
    """Kaggle's test.csv: pixel0..pixel783, no label; the last pixel is not taken as one."""
    path = tmp_path / "test.csv"
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 256, (20, 5))
    path.write_text("pixel0,pixel1,pixel2,pixel3,pixel4\n"
                    + "".join(",".join(map(str, row)) + "\n" for row in rows))
    with pytest.raises(ValueError, match=r"none is a label column.*predict --data.*"
                                         r"--label-column"):
        load_dataset(path)
    X, y = load_dataset(path, label_column="pixel4")  # named: taken
    assert X.shape == (20, 4) and list(y) == list(rows[:, 4])
    headless = tmp_path / "rows.csv"
    headless.write_text("".join(",".join(map(str, row)) + "\n" for row in rows))
    X, y = load_dataset(headless)  # no header: the last column, as the help says
    assert list(y) == list(rows[:, 4])
