"""Tests of the data and weight loaders."""

import numpy as np
import pytest
from scipy.io import savemat

from sknn_digits.datasets import (
    EX4_CLASSES,
    load_chunks,
    load_dataset,
    load_ex4_data,
    load_ex4_model,
    load_ex4_weights,
)


@pytest.fixture
def course_files(tmp_path):
    """Small files in the course's format, made by the test."""
    rng = np.random.default_rng(0)
    X = rng.random((30, 400))
    y = np.arange(30).reshape(-1, 1) % 10 + 1  # labels 1..10
    savemat(tmp_path / "data.mat", {"X": X, "y": y})
    theta_1, theta_2 = rng.normal(size=(25, 401)), rng.normal(size=(10, 26))
    savemat(tmp_path / "weights.mat", {"Theta1": theta_1, "Theta2": theta_2})
    return tmp_path, X, y, theta_1, theta_2


def test_load_ex4_data_maps_label_10_to_digit_0(course_files):
    folder, X, y, _, _ = course_files
    X_loaded, y_loaded = load_ex4_data(folder / "data.mat")
    np.testing.assert_array_equal(X_loaded, X)
    np.testing.assert_array_equal(y_loaded, np.where(y.ravel() == 10, 0, y.ravel()))


def test_load_ex4_weights_and_model(course_files):
    folder, X, _, theta_1, theta_2 = course_files
    t1, t2 = load_ex4_weights(folder / "weights.mat")
    np.testing.assert_array_equal(t1, theta_1)
    np.testing.assert_array_equal(t2, theta_2)
    model = load_ex4_model(folder / "weights.mat")
    np.testing.assert_array_equal(model.classes_, np.arange(10))
    # Independent forward pass: unit k answers EX4_CLASSES[k].
    a = 1 / (1 + np.exp(-(np.hstack([np.ones((30, 1)), X]) @ theta_1.T)))
    h = 1 / (1 + np.exp(-(np.hstack([np.ones((30, 1)), a]) @ theta_2.T)))
    np.testing.assert_array_equal(model.predict(X), EX4_CLASSES[h.argmax(axis=1)])


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.mat"):
        load_ex4_data(tmp_path / "nothere.mat")


def test_wrong_variables_are_named(tmp_path):
    savemat(tmp_path / "other.mat", {"A": np.zeros((2, 2))})
    with pytest.raises(ValueError, match=r"no variable X or y; it holds \['A'\]"):
        load_ex4_data(tmp_path / "other.mat")
    with pytest.raises(ValueError, match="Theta1 or Theta2"):
        load_ex4_weights(tmp_path / "other.mat")


def test_wrong_shapes_are_named(tmp_path):
    savemat(tmp_path / "d.mat", {"X": np.zeros((5, 64)), "y": np.ones((5, 1))})
    with pytest.raises(ValueError, match=r"X must have shape \(m, 400\)"):
        load_ex4_data(tmp_path / "d.mat")
    savemat(tmp_path / "d2.mat", {"X": np.zeros((5, 400)), "y": np.ones((4, 1))})
    with pytest.raises(ValueError, match="4 labels but X has 5 rows"):
        load_ex4_data(tmp_path / "d2.mat")
    savemat(tmp_path / "w.mat", {"Theta1": np.zeros((25, 401)), "Theta2": np.zeros((10, 25))})
    with pytest.raises(ValueError, match="must have 1 \\+ 25 columns"):
        load_ex4_weights(tmp_path / "w.mat")


def test_not_a_mat_file(tmp_path):
    (tmp_path / "junk.mat").write_text("hello")
    with pytest.raises(ValueError, match="not a readable"):
        load_ex4_data(tmp_path / "junk.mat")


def test_real_course_weights(course_weights_file):
    theta_1, theta_2 = load_ex4_weights(course_weights_file)
    assert theta_1.shape == (25, 401) and theta_2.shape == (10, 26)
    model = load_ex4_model(course_weights_file)
    assert model.n_features_in_ == 400 and model.coefs_[0].shape == (400, 25)


def test_course_data(ex4_dir):
    X, y = load_ex4_data(ex4_dir / "ex4data1.mat")
    assert X.shape == (5000, 400) and set(np.unique(y)) == set(range(10))
    model = load_ex4_model(ex4_dir / "ex4weights.mat")
    assert model.score(X, y) > 0.97  # the course reports 97.5% for these weights


def test_load_dataset_npz_csv_mat(tmp_path, course_files):
    folder, *_ = course_files
    X = np.arange(12.0).reshape(4, 3)
    y = np.array([0, 1, 0, 1])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    for loaded in (load_dataset(tmp_path / "d.npz"),):
        np.testing.assert_array_equal(loaded[0], X)
        np.testing.assert_array_equal(loaded[1], y)
    (tmp_path / "d.csv").write_text("a,b,c,label\n" + "\n".join(
        ",".join(map(str, [*row, label])) for row, label in zip(X, y)) + "\n")
    X_csv, y_csv = load_dataset(tmp_path / "d.csv")
    np.testing.assert_array_equal(X_csv, X)
    np.testing.assert_array_equal(y_csv, y)
    assert y_csv.dtype.kind == "i"
    assert load_dataset(folder / "data.mat")[0].shape == (30, 400)


def test_load_dataset_errors(tmp_path):
    np.savez(tmp_path / "bad.npz", A=np.zeros(3))
    with pytest.raises(ValueError, match="no array X or y"):
        load_dataset(tmp_path / "bad.npz")
    (tmp_path / "d.txt").write_text("1,2")
    with pytest.raises(ValueError, match="unknown data format '.txt'"):
        load_dataset(tmp_path / "d.txt")
    (tmp_path / "bad.csv").write_text("1,2\n3,x\n")
    with pytest.raises(ValueError, match="not a numeric CSV"):
        load_dataset(tmp_path / "bad.csv")


def test_csv_with_a_byte_order_mark_keeps_its_first_row(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + "".join(f"{i},{2 * i},{i % 3}\n" for i in range(60)))
                     .encode("utf-8"))
    X, _y = load_dataset(path)
    assert X.shape == (60, 2) and X[0].tolist() == [0.0, 0.0]


def test_csv_labels_must_be_finite_and_stay_exact(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1,2,inf\n3,4,1\n")
    with pytest.raises(ValueError, match="bad.csv.*finite"):
        load_dataset(path)
    path.write_text("1,2,1e19\n3,4,1\n")
    with pytest.warns(UserWarning, match="column 2 as the label"):
        _, y = load_dataset(path)
    assert y.tolist() == [1e19, 1.0]  # too large for exact integers: kept as numbers


def test_course_file_tests_honour_the_environment_variable(tmp_path, monkeypatch):
    from conftest import course_weights_path

    (tmp_path / "ex4weights.mat").write_bytes(b"")
    monkeypatch.setenv("SKNN_DIGITS_EX4_DIR", str(tmp_path))
    assert course_weights_path() == tmp_path / "ex4weights.mat"


def test_npz_mistakes_name_the_file(tmp_path):
    renamed = tmp_path / "a.npz"
    np.save(tmp_path / "a.npy", np.zeros(3))
    (tmp_path / "a.npy").rename(renamed)
    text = tmp_path / "t.npz"
    text.write_text("hello")
    objects = tmp_path / "o.npz"
    np.savez(objects, X=np.array([[1, "a"]], dtype=object), y=np.array([1]))
    for path, match in ((renamed, "not an .npz archive"), (text, "not an .npz archive"),
                        (objects, "o.npz'.*object arrays")):
        with pytest.raises(ValueError, match=match):
            load_dataset(path)


def test_latin1_csv_is_named(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("caf\xe9,1\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin.csv"):
        load_dataset(path)


def test_a_folder_of_chunks_is_read_lazily_and_checked(tmp_path):
    pytest.importorskip("dask")
    from sknn_digits.datasets import load_chunks

    for i, n in enumerate([3, 5]):
        np.save(tmp_path / f"X_{i}.npy", np.full((n, 4), i, dtype=np.float32))
        np.save(tmp_path / f"y_{i}.npy", np.arange(n))
    X, y = load_chunks(tmp_path)
    assert X.chunks == ((3, 5), (4,)) and X.dtype == np.float32
    np.testing.assert_array_equal(y.compute(), [0, 1, 2, 0, 1, 2, 3, 4])
    # Every mistake names the file.
    np.save(tmp_path / "X_2.npy", np.zeros((2, 3)))
    np.save(tmp_path / "y_2.npy", np.zeros(2))
    with pytest.raises(ValueError, match="X_2.npy' has 3 features, the first chunk 4"):
        load_chunks(tmp_path)
    np.save(tmp_path / "y_2.npy", np.zeros(5))
    np.save(tmp_path / "X_2.npy", np.zeros((2, 4)))
    with pytest.raises(ValueError, match="X_2.npy' and 'y_2.npy' must hold a 2-D X"):
        load_chunks(tmp_path)
    np.save(tmp_path / "y_2.npy", np.array([None, None]), allow_pickle=True)
    with pytest.raises(ValueError, match="y_2.npy' holds Python objects"):
        load_chunks(tmp_path)
    (tmp_path / "y_2.npy").write_text("not an array")
    with pytest.raises(ValueError, match="y_2.npy' is not an .npy file"):
        load_chunks(tmp_path)
    with pytest.raises(ValueError, match="holds no chunks"):
        load_chunks(_empty(tmp_path))
    with pytest.raises(NotADirectoryError, match="is a file, not a folder of chunks"):
        load_chunks(tmp_path / "X_0.npy")


def _empty(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def _kaggle_csv(path, n=60, header=True):
    """Rows in the Kaggle digit-recognizer layout: the label first, then 784 pixels 0..255."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 10
    pixels = rng.integers(0, 256, (n, 784))
    lines = [",".join(map(str, [label, *row])) for label, row in zip(labels, pixels)]
    if header:
        lines.insert(0, "label," + ",".join(f"pixel{i}" for i in range(784)))
    path.write_text("\n".join(lines) + "\n")
    return pixels, labels


def test_a_label_first_csv_with_a_header_reads_its_label_column(tmp_path):
    path = tmp_path / "train.csv"
    pixels, labels = _kaggle_csv(path)
    X, y = load_dataset(path)
    assert X.shape == (60, 784) and np.array_equal(X, pixels)
    assert np.array_equal(y, labels)


@pytest.mark.parametrize("name", ["Target", "y", "CLASS"])
def test_any_label_name_anywhere_in_the_header(tmp_path, name):
    path = tmp_path / "data.csv"
    path.write_text(f"a,{name},b\n1,7,2\n3,8,4\n")
    X, y = load_dataset(path)
    assert X.tolist() == [[1, 2], [3, 4]] and y.tolist() == [7, 8]


def test_label_column_by_name_or_index_overrides(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,label,digit\n1,7,2\n3,8,4\n")
    assert load_dataset(path, label_column="digit")[1].tolist() == [2, 4]
    assert load_dataset(path, label_column=0)[1].tolist() == [1, 3]
    assert load_dataset(path, label_column="-1")[1].tolist() == [2, 4]
    with pytest.raises(ValueError, match="data.csv' has no column named 'nope'"):
        load_dataset(path, label_column="nope")
    with pytest.raises(ValueError, match="label column 5 does not exist; the file has 3"):
        load_dataset(path, label_column=5)


def test_labels_that_look_like_pixels_are_named_in_a_warning(tmp_path):
    path = tmp_path / "train.csv"
    pixels, labels = _kaggle_csv(path, n=300, header=False)
    with pytest.warns(UserWarning, match=r"took column 784 as the label, but its values "
                                         r"\(\d+ different ones\) look like pixel"):
        load_dataset(path)
    X, y = load_dataset(path, label_column=0)  # named: no warning (errors are on)
    assert np.array_equal(y, labels) and np.array_equal(X, pixels)


def test_csv_is_read_in_blocks_with_bounded_memory(tmp_path):
    """A one-line CSV of 500,000 values peaks near the table's own size."""
    import tracemalloc

    path = tmp_path / "wide.csv"
    n = 500_000
    path.write_text(",".join(["0.5"] * n) + ",1\n0.25," + ",".join(["1"] * (n - 1)) + ",2\n")
    tracemalloc.start()
    X, y = load_dataset(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    table = 2 * (n + 1) * 8
    assert X.shape == (2, n) and y.tolist() == [1, 2]
    assert peak < 4 * table + path.stat().st_size, (peak, table)


def test_a_csv_larger_than_memory_is_refused_before_reading(tmp_path, monkeypatch):
    from sknn_digits import _memory

    path = tmp_path / "data.csv"
    path.write_text("1,2,1\n3,4,0\n" * 1000)
    monkeypatch.setattr(_memory, "available_memory", lambda: 1000)
    with pytest.raises(ValueError, match=r"Reading '.*data.csv' needs about .* of memory"):
        load_dataset(path)


def test_npz_members_are_sized_before_they_are_inflated(tmp_path, monkeypatch):
    from sknn_digits import _memory

    path = tmp_path / "big.npz"
    np.savez_compressed(path, X=np.zeros((4000, 1000)), y=np.zeros(4000))  # 32 MB, compressed
    monkeypatch.setattr(_memory, "available_memory", lambda: 2**24)
    with pytest.raises(ValueError, match=r"big.npz' \(X: 30.5 MiB, y: 31.2 KiB once "
                                         r"inflated\) needs about"):
        load_dataset(path)
    monkeypatch.setattr(_memory, "available_memory", lambda: 2**30)
    assert load_dataset(path)[0].shape == (4000, 1000)


def test_chunk_files_must_be_regular_and_whole(tmp_path):
    pytest.importorskip("dask")
    import os

    folder = tmp_path / "chunks"
    folder.mkdir()
    np.save(folder / "X_0.npy", np.zeros((4, 2)))
    np.save(folder / "y_0.npy", np.zeros(4))
    os.mkfifo(folder / "X_1.npy")  # would block a reader for ever
    np.save(folder / "y_1.npy", np.zeros(4))
    with pytest.raises(ValueError, match="X_1.npy' is not a regular file"):
        load_chunks(folder)
    (folder / "X_1.npy").unlink()
    np.save(folder / "X_1.npy", np.zeros((4, 2)))
    data = (folder / "X_1.npy").read_bytes()
    (folder / "X_1.npy").write_bytes(data[:-10])
    with pytest.raises(ValueError, match=r"X_1.npy' is truncated or damaged: its header "
                                         r"declares 64 bytes of data, the file holds 54"):
        load_chunks(folder)


def _openml_cache(data_home, rows):
    """MNIST as OpenML serves it, in the layout of scikit-learn's cache, for ``rows``.

    The four JSON answers (the name search, the description, the features
    and the qualities) and the ARFF file, each gzipped under the URL's path.
    """
    import gzip
    import hashlib
    import json

    root = data_home / "openml" / "openml.org"
    file_id, data_id = 52667, 554
    arff = ["@RELATION mnist_784", ""]
    arff += [f"@ATTRIBUTE pixel{i} NUMERIC" for i in range(1, 785)]
    arff += ["@ATTRIBUTE class {0,1,2,3,4,5,6,7,8,9}", "", "@DATA"]
    arff += [",".join(str(v) for v in pixels) + f",{label}" for pixels, label in rows]
    arff = ("\n".join(arff) + "\n").encode()
    features = [{"index": str(i - 1), "name": f"pixel{i}", "data_type": "numeric",
                 "is_target": "false", "is_ignore": "false", "is_row_identifier": "false",
                 "number_of_missing_values": "0"} for i in range(1, 785)]
    features.append({"index": "784", "name": "class", "data_type": "nominal",
                     "nominal_value": [str(d) for d in range(10)], "is_target": "true",
                     "is_ignore": "false", "is_row_identifier": "false",
                     "number_of_missing_values": "0"})
    answers = {
        "api/v1/json/data/list/data_name/mnist_784/limit/2/data_version/1":
            {"data": {"dataset": [{"did": data_id, "name": "mnist_784", "version": 1,
                                   "status": "active", "format": "ARFF"}]}},
        f"api/v1/json/data/{data_id}":
            {"data_set_description": {
                "id": str(data_id), "name": "mnist_784", "version": "1", "format": "ARFF",
                "status": "active", "file_id": str(file_id), "description": "MNIST (test copy)",
                "default_target_attribute": "class",
                "url": f"https://api.openml.org/data/v1/download/{file_id}",
                "md5_checksum": hashlib.md5(arff).hexdigest()}},
        f"api/v1/json/data/features/{data_id}": {"data_features": {"feature": features}},
        f"api/v1/json/data/qualities/{data_id}":
            {"data_qualities": {"quality": [
                {"name": "NumberOfInstances", "value": f"{len(rows)}.0"},
                {"name": "NumberOfFeatures", "value": "785.0"}]}},
    }
    for path, answer in answers.items():
        target = root / f"{path}.gz"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.compress(json.dumps(answer).encode()))
    target = root / f"data/v1/download/{file_id}.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(arff))


def test_mnist_is_read_from_scikit_learns_openml_cache(tmp_path, monkeypatch):
    """No network: a cache written here in OpenML's layout is what fetch_openml reads."""
    import urllib.request

    from sknn_digits.datasets import load_mnist

    def offline(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    rng = np.random.default_rng(0)
    rows = [(rng.integers(0, 256, 784), label) for label in (5, 0, 4)]
    _openml_cache(tmp_path, rows)
    X, y = load_mnist(data_home=tmp_path)
    assert X.shape == (3, 784) and X.dtype == np.float64
    assert np.array_equal(X, np.array([pixels for pixels, _ in rows]))
    assert y.tolist() == [5, 0, 4]


@pytest.mark.slow
def test_mnist_without_its_cache_or_network_is_one_clear_error(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request
    import warnings

    from sknn_digits.datasets import load_mnist

    def unreachable(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with warnings.catch_warnings():  # scikit-learn warns at each of its retries
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(OSError, match=r"not cached there and openml.org could not be "
                                          r"reached"):
            load_mnist(data_home=tmp_path)


def test_a_header_naming_two_label_columns_is_refused_naming_them(tmp_path):
    """'label,pixel0,label' trained on the last 'label' (a pixel) without a word."""
    from sknn_digits.datasets import load_dataset

    path = tmp_path / "twice.csv"
    path.write_text("label,pixel0,label\n3,0.5,7\n4,0.25,9\n")
    with pytest.raises(ValueError, match=r"twice\.csv.*more than one label column.*"
                                         r"column 0 \('label'\).*column 2 \('label'\)"):
        load_dataset(path)
    X, y = load_dataset(path, label_column=0)
    assert y.tolist() == [3, 4] and X.tolist() == [[0.5, 7.0], [0.25, 9.0]]


@pytest.mark.parametrize("X, what", [
    (np.array([["2020-01-01", "2020-01-02"]] * 3, dtype="datetime64[D]"), "dates"),
    (np.array([["a", "b"]] * 3), "text"),
    (np.ones((3, 2), dtype=complex), "complex numbers"),
    (np.zeros(3, dtype=[("a", float), ("b", float)]).reshape(3, 1), "records"),
    (np.array([[1.0, np.nan]] * 3), "NaN or infinity"),
    (np.array([[1.0, np.inf]] * 3), "NaN or infinity"),
])
def test_rows_that_are_not_real_finite_numbers_are_refused_naming_the_file(X, what, tmp_path):
    from sknn_digits.datasets import load_dataset

    np.savez(tmp_path / "odd.npz", X=X, y=np.arange(3))
    with pytest.raises(ValueError, match=rf"odd\.npz.*{what}"):
        load_dataset(tmp_path / "odd.npz")


@pytest.mark.parametrize("n_rows", [0, 1])
def test_too_few_rows_are_refused_naming_the_file(n_rows, tmp_path):
    from sknn_digits.datasets import load_dataset

    np.savez(tmp_path / "few.npz", X=np.ones((n_rows, 4)), y=np.arange(n_rows))
    with pytest.raises(ValueError, match=rf"few\.npz' holds {n_rows} row.*at least 2"):
        load_dataset(tmp_path / "few.npz")


@pytest.mark.parametrize("content", [b"0," * (9 * 2**20) + b"0", b"\0" * (17 * 2**20)],
                         ids=["one numeric line", "NUL bytes"])
def test_a_line_too_long_is_refused_before_it_is_held_whole(content, tmp_path):
    """A one-line CSV of 128 MB peaked at 2.4 GB; 1 GB of NUL bytes took 10.7 GB."""
    from sknn_digits.datasets import load_dataset
    from sknn_digits.readers import MAX_CSV_LINE

    path = tmp_path / "one-line.csv"
    path.write_bytes(b"label,pixel0\n" + content)
    assert len(content) > MAX_CSV_LINE
    with pytest.raises(ValueError, match=r"one-line\.csv.*(longer than 16 MiB|UTF-8|not numb)"):
        load_dataset(path)


@pytest.mark.slow
def test_reading_a_one_line_file_keeps_to_its_budget(tmp_path):
    """The process's own high-water mark while a 64 MB one-line file is refused."""
    import subprocess
    import sys

    path = tmp_path / "one-line.csv"
    with open(path, "wb") as handle:
        for _ in range(32):
            handle.write(b"0," * 2**20)
        handle.write(b"0")
    code = ("import resource\n"
            "from sknn_digits.datasets import load_dataset\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "try:\n"
            f"    load_dataset({str(path)!r})\n"
            "except ValueError as error:\n"
            "    print('REFUSED', error)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert "REFUSED" in done.stdout, done.stdout + done.stderr
    assert int(done.stdout.split()[-1]) * 1024 < 64 * 2**20  # KiB; the file alone is 64 MiB


def test_a_compressed_mat_is_sized_from_its_headers_and_only_its_variables_read(
        tmp_path, monkeypatch):
    """A 3 MB compressed .mat reached 3.5 GB before its shape error; an unused 1 GiB
    variable was inflated too."""
    from scipy.io import savemat

    from sknn_digits import _memory
    from sknn_digits.datasets import load_ex4_data

    wrong = tmp_path / "wrong.mat"
    savemat(wrong, {"X": np.zeros((3000, 1000)), "y": np.ones((3000, 1))}, do_compression=True)
    inflated = []
    import scipy.io

    real = scipy.io.loadmat
    monkeypatch.setattr("sknn_digits.readers.loadmat",
                        lambda *a, **k: inflated.append(k) or real(*a, **k))
    with pytest.raises(ValueError, match=r"wrong\.mat': X must have shape \(m, 400\)"):
        load_ex4_data(wrong)
    assert inflated == []  # refused from the header
    spare = tmp_path / "spare.mat"
    savemat(spare, {"X": np.zeros((5, 400)), "y": np.ones((5, 1)),
                    "unused": np.zeros((2000, 2000))}, do_compression=True)
    X, _ = load_ex4_data(spare)
    assert X.shape == (5, 400) and inflated[-1]["variable_names"] == ["X", "y"]
    monkeypatch.setattr(_memory, "available_memory", lambda: 1000)
    with pytest.raises(ValueError, match=r"spare\.mat' \(X: .*needs about"):
        load_ex4_data(spare)
