"""Loading the course's files and other data sets of digits.

The course ships its data as MATLAB/Octave ``.mat`` files:

* ``ex4data1.mat`` (and ``ex3data1.mat``): ``X`` of shape (5000, 400), each
  row a 20x20 grey image flattened column by column, and ``y`` of shape
  (5000, 1) with labels 1..10, where 10 stands for the digit 0;
* ``ex4weights.mat``: the pretrained ``Theta1`` (25, 401) and ``Theta2``
  (10, 26), bias column first, output unit 10 meaning the digit 0.

The functions here return digits 0..9 and plain numpy arrays, and say which
file and which variable is wrong when a file does not fit.
"""


from pathlib import Path

import numpy as np

from ._files import check_readable
from .course import check_thetas
from .readers import (
    LABEL_RULE,
    _label_column,
    _named_label,
    _npy_header,
    _read_csv,
    _read_csv_table,
    _read_mat,
    _read_npz,
    check_rows,
)

__all__ = [
    "EX4_CLASSES",
    "load_chunks",
    "load_data",
    "load_dataset",
    "load_ex4_data",
    "load_ex4_model",
    "load_ex4_weights",
    "load_mnist",
    "load_rows",
]

#: What each output unit of the course's network means: unit 10 is digit 0.
EX4_CLASSES = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 0])


def load_ex4_data(path):
    """The course's training set: 20x20 digit images and their digits.

    Parameters
    ----------
    path : str or Path
        An ``ex4data1.mat`` or ``ex3data1.mat`` file, holding ``X`` (m, 400)
        and ``y`` (m, 1) with labels 1..10.

    Returns
    -------
    X : ndarray of shape (m, 400)
        The images as stored: 20x20, flattened column-major (Fortran order);
        ``X[i].reshape(20, 20, order="F")`` is upright.
    y : ndarray of shape (m,)
        Digits 0..9 (the course's label 10 becomes 0).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a .mat file, lacks ``X`` or ``y``, or their shapes
        do not fit.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from scipy.io import savemat
    >>> from sknn_digits.datasets import load_ex4_data
    >>> path = Path(tempfile.mkdtemp()) / "ex4data1.mat"
    >>> savemat(path, {"X": np.zeros((3, 400)), "y": np.array([[10], [1], [9]])})
    >>> X, y = load_ex4_data(path)
    >>> X.shape, y.tolist()
    ((3, 400), [0, 1, 9])
    """
    def check_shapes(shapes):  # from the headers, before anything is inflated
        if len(shapes["X"]) != 2 or shapes["X"][1] != 400:
            raise ValueError(f"'{path}': X must have shape (m, 400), got {shapes['X']}.")

    X, y = _read_mat(path, ["X", "y"], check_shapes)
    if X.ndim != 2 or X.shape[1] != 400:
        raise ValueError(f"'{path}': X must have shape (m, 400), got {X.shape}.")
    y = y.ravel()
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"'{path}': y has {y.shape[0]} labels but X has {X.shape[0]} rows."
        )
    if not np.isin(y, np.arange(1, 11)).all():
        raise ValueError(f"'{path}': y must hold the course's labels 1..10.")
    return X.astype(np.float64), (y.astype(np.int64) % 10)


def load_ex4_weights(path):
    """The course's pretrained weights ``(theta_1, theta_2)``.

    Parameters
    ----------
    path : str or Path
        An ``ex4weights.mat`` file holding ``Theta1`` and ``Theta2``.

    Returns
    -------
    theta_1 : ndarray of shape (hidden, 1 + n_features)
    theta_2 : ndarray of shape (n_labels, 1 + hidden)
        Bias column first; output unit ``k`` answers the course's label
        ``k + 1`` (see :data:`EX4_CLASSES`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from scipy.io import savemat
    >>> from sknn_digits.datasets import load_ex4_weights
    >>> path = Path(tempfile.mkdtemp()) / "ex4weights.mat"
    >>> savemat(path, {"Theta1": np.zeros((25, 401)), "Theta2": np.zeros((10, 26))})
    >>> [theta.shape for theta in load_ex4_weights(path)]
    [(25, 401), (10, 26)]
    """
    try:
        (theta_1, theta_2), _ = check_thetas(_read_mat(path, ["Theta1", "Theta2"]))
    except ValueError as error:
        raise ValueError(f"'{path}': {error}") from None
    return theta_1, theta_2


def load_ex4_model(path):
    """A fitted :class:`~sknn_digits.BackpropMLPClassifier` from ``ex4weights.mat``.

    Its ``predict`` answers digits 0..9 for rows in the course's layout
    (20x20, column-major, values about 0..1).

    Parameters
    ----------
    path : str or Path
        An ``ex4weights.mat`` file.

    Returns
    -------
    BackpropMLPClassifier

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from scipy.io import savemat
    >>> from sknn_digits.datasets import load_ex4_model
    >>> path = Path(tempfile.mkdtemp()) / "ex4weights.mat"
    >>> theta_2 = np.zeros((10, 26))
    >>> theta_2[9, 0] = 5.0   # unit 10, the course's label for the digit 0, always on
    >>> savemat(path, {"Theta1": np.zeros((25, 401)), "Theta2": theta_2})
    >>> load_ex4_model(path).predict(np.zeros((2, 400))).tolist()
    [0, 0]
    """
    from .estimator import BackpropMLPClassifier  # datasets alone need no estimator

    theta_1, theta_2 = load_ex4_weights(path)
    if theta_2.shape[0] != EX4_CLASSES.size:
        raise ValueError(
            f"'{path}': the course's network has 10 output units, Theta2 has "
            f"{theta_2.shape[0]}."
        )
    return BackpropMLPClassifier.from_thetas([theta_1, theta_2], EX4_CLASSES)


def load_data(source, label_column=None):
    """``X, y`` from the command line's ``--data``: ``"digits"``, ``"mnist"``, a file or a folder.

    ``"digits"`` is scikit-learn's bundled 8x8 digits, ``"mnist"`` MNIST
    (:func:`load_mnist`); a folder is read by :func:`load_chunks` (dask
    arrays), a file by :func:`load_dataset`.

    Examples
    --------
    >>> from sknn_digits.datasets import load_data
    >>> X, y = load_data("digits")
    >>> X.shape
    (1797, 64)
    """
    from sklearn.datasets import load_digits

    if source == "digits":
        return load_digits(return_X_y=True)
    if source == "mnist":
        return load_mnist()
    if not Path(source).exists():
        raise FileNotFoundError(f"No such file or folder: '{source}'. The data are 'digits' "
                                "(scikit-learn's bundled digits), 'mnist', a course .mat "
                                "file, an .npz or .csv file, or a folder of .npy chunks.")
    if Path(source).is_dir():
        if label_column is not None:
            raise ValueError(f"'{source}': a label column is chosen in CSV files only; a "
                             "folder of chunks holds its labels in y<name>.npy files.")
        return load_chunks(source)
    return load_dataset(source, label_column)


def load_mnist(data_home=None):
    """MNIST's 70,000 digits, 28x28 row by row, from OpenML through scikit-learn.

    The first call downloads them (about 15 MB) with
    :func:`sklearn.datasets.fetch_openml`, which caches them in
    ``data_home`` (by default ``~/scikit_learn_data``); later calls read the
    cache and need no network.  The first 60,000 rows are MNIST's training
    set, the last 10,000 its test set.

    Parameters
    ----------
    data_home : str or Path, optional
        scikit-learn's data folder.

    Returns
    -------
    X : ndarray of shape (70000, 784)
        Grey levels 0..255 (the ``mnist`` layout times 255).
    y : ndarray of shape (70000,)
        Digits 0..9.

    Raises
    ------
    OSError
        When MNIST is not cached and openml.org cannot be reached.
    """
    from urllib.error import URLError

    from sklearn.datasets import fetch_openml, get_data_home

    try:  # liac-arff: no pandas needed, and pandas 3 reads MNIST's class names as numbers,
        # which scikit-learn's pandas parser does not expect
        X, y = fetch_openml("mnist_784", version=1, as_frame=False, return_X_y=True,
                            data_home=None if data_home is None else str(data_home),
                            parser="liac-arff")
    except (URLError, OSError) as error:
        raise OSError(f"MNIST is downloaded from openml.org the first time and then cached in "
                      f"'{get_data_home(data_home)}'; it is not cached there and openml.org "
                      f"could not be reached ({error}). Use --data digits, or a file.") from None
    return np.asarray(X, dtype=np.float64), np.asarray(y).astype(np.int64)


def load_dataset(path, label_column=None):
    """``(X, y)`` from a course .mat file, an .npz file or a .csv file.

    Parameters
    ----------
    path : str or Path
        * ``.mat``: the course's format (see :func:`load_ex4_data`);
        * ``.npz``: arrays named ``X`` and ``y``;
        * ``.csv``: one sample per line, numbers separated by commas.  A
          first line that is not numeric is a header; a column it names
          ``label``, ``y``, ``target`` or ``class`` (any case) holds the
          labels wherever it stands (Kaggle's ``label,pixel0,...`` layout),
          otherwise the last column does.
    label_column : str or int, optional
        For a CSV file: the labels' column, by its header name or its
        0-based index (negative counts from the end).

    Returns
    -------
    X : ndarray of shape (m, n_features)
    y : ndarray of shape (m,)

    Warns
    -----
    UserWarning
        When the labels taken from a CSV file look like pixel intensities
        (not whole numbers, or more than 100 different values), naming the
        column taken.

    Raises
    ------
    ValueError
        If the file is malformed, or larger than the memory available (its
        size, or an archive member's declared size, is checked before it
        is read).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits.datasets import load_dataset
    >>> path = Path(tempfile.mkdtemp()) / "data.csv"
    >>> _ = path.write_text("label,pixel0,pixel1\\n3,0.5,1\\n7,0.25,0\\n")
    >>> X, y = load_dataset(path)
    >>> X.tolist(), y.tolist()
    ([[0.5, 1.0], [0.25, 0.0]], [3, 7])
    """
    path = check_readable(path, "file")
    suffix = path.suffix.lower()
    if label_column is not None and suffix != ".csv":
        raise ValueError(f"'{path}': a label column is chosen in CSV files only; a "
                         f"{suffix} file names its labels y.")
    if suffix == ".mat":
        return load_ex4_data(path)
    if suffix == ".npz":
        X, y = _read_npz(path)
    elif suffix == ".csv":
        X, y = _read_csv(path, label_column)
    else:
        raise ValueError(f"'{path}': unknown data format {suffix!r}; use .mat, .npz or .csv.")
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"'{path}': X must be 2-D and y 1-D with one label per row; got X "
            f"{X.shape} and y {y.shape}."
        )
    check_rows(X, f"'{path}'")
    if len(X) < 2:
        raise ValueError(f"'{path}' holds {len(X)} row{'s' * (len(X) != 1)}; training and "
                         "scoring need at least 2 (one of each class to learn, more to hold "
                         "some out).")
    return X, y


def load_rows(path, n_features, label_column=None):
    """The rows of a data file to predict, without their labels if the file has them.

    For ``sknn-digits predict --data``: a CSV file whose header names a label
    column (or whose ``label_column`` is given) has that column left out; a
    CSV file of ``n_features + 1`` columns has its label column left out by
    :func:`load_dataset`'s rule (the last); one of ``n_features`` columns is
    all features (Kaggle's ``test.csv``).  An ``.npz`` file gives its ``X``,
    a course ``.mat`` file its ``X``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits.datasets import load_rows
    >>> path = Path(tempfile.mkdtemp()) / "test.csv"
    >>> _ = path.write_text("pixel0,pixel1\\n0.5,1\\n0.25,0\\n")
    >>> load_rows(path, 2).tolist()
    [[0.5, 1.0], [0.25, 0.0]]
    """
    path = check_readable(path, "file")
    X = _rows_of(path, n_features, label_column)
    if X.ndim != 2:
        raise ValueError(f"'{path}': X must be 2-D, one row a sample; got shape {X.shape}.")
    check_rows(X, f"'{path}'")
    return X


def _rows_of(path, n_features, label_column):
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _read_npz(path, need_y=False)[0]
    if suffix == ".mat":
        return load_ex4_data(path)[0]
    if suffix != ".csv":
        raise ValueError(f"'{path}': unknown data format {suffix!r}; use .csv, .npz or .mat.")
    table, names = _read_csv_table(path)
    if label_column is not None or _named_label(path, names) is not None:
        column = _label_column(path, names, table.shape[1], label_column)
        return np.delete(table, column, axis=1)
    if table.shape[1] == n_features:
        return table
    if table.shape[1] == n_features + 1:
        return table[:, :-1]
    raise ValueError(f"'{path}' has {table.shape[1]} columns, but the model takes "
                     f"{n_features} features (and a label column, if the file has one, is "
                     f"left out: {LABEL_RULE}).")


def load_chunks(folder):
    """``(X, y)`` from a folder of ``.npy`` chunks, as dask arrays read lazily.

    The folder holds pairs ``X<name>.npy`` and ``y<name>.npy`` (for instance
    ``X_000.npy``, ``y_000.npy``, ``X_001.npy``, ...), each pair the features
    and labels of some rows; the pairs are taken in the order of their names.
    Only the files' headers are read here; each chunk is loaded by the
    worker that needs it, so the folder must be visible to the workers
    (shared storage) when they run on other machines.  Needs the ``cluster``
    extra.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits.datasets import load_chunks
    >>> folder = Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     np.save(folder / f"X_{i}.npy", np.full((4, 2), i, dtype=np.float32))
    ...     np.save(folder / f"y_{i}.npy", np.arange(4) % 2)
    >>> X, y = load_chunks(folder)
    >>> X.shape, X.chunks[0], X.dtype, int(y.sum().compute())
    ((12, 2), (4, 4, 4), dtype('float32'), 6)
    """
    try:
        import dask
        import dask.array as da
    except ImportError:
        raise ImportError('Reading a folder of chunks needs dask: pip install '
                          '"sknn_digits[cluster]"') from None
    folder = check_readable(folder, "folder of chunks", folder=True)
    features = sorted(folder.glob("X*.npy"))
    if not features:
        raise ValueError(f"'{folder}' holds no chunks: expected files X<name>.npy with "
                         "y<name>.npy beside them.")
    X_chunks, y_chunks = [], []
    for x_path in features:
        y_path = x_path.with_name("y" + x_path.name[1:])
        if not y_path.exists():
            raise ValueError(f"'{x_path}' has no labels beside it: expected '{y_path.name}'.")
        x_shape, x_dtype = _npy_header(x_path)
        y_shape, y_dtype = _npy_header(y_path)
        if len(x_shape) != 2 or len(y_shape) != 1 or x_shape[0] != y_shape[0]:
            raise ValueError(f"'{x_path}' and '{y_path.name}' must hold a 2-D X and a 1-D y "
                             f"with one label per row; got {x_shape} and {y_shape}.")
        if X_chunks and x_shape[1] != X_chunks[0].shape[1]:
            raise ValueError(f"'{x_path}' has {x_shape[1]} features, the first chunk "
                             f"{X_chunks[0].shape[1]}.")
        if not (np.issubdtype(x_dtype, np.number) and np.issubdtype(y_dtype, np.number)):
            raise ValueError(f"'{x_path}' and '{y_path.name}' must hold numbers, got "
                             f"{x_dtype} and {y_dtype}.")
        X_chunks.append(da.from_delayed(dask.delayed(_load_chunk)(str(x_path)), x_shape,
                                        x_dtype))
        y_chunks.append(da.from_delayed(dask.delayed(_load_chunk)(str(y_path)), y_shape,
                                        y_dtype))
    return da.concatenate(X_chunks), da.concatenate(y_chunks)


def _load_chunk(path):
    """One chunk's array, loaded on the worker that needs it; errors name the file."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"Chunk '{path}' could not be read ({error}).") from None

