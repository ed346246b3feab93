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


import numpy as np
from scipy.io import loadmat

from ._files import check_readable
from .course import check_thetas

__all__ = [
    "EX4_CLASSES",
    "load_chunks",
    "load_dataset",
    "load_ex4_data",
    "load_ex4_model",
    "load_ex4_weights",
    "load_data",
]

#: What each output unit of the course's network means: unit 10 is digit 0.
EX4_CLASSES = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 0])


def _read_mat(path, names):
    """Variables ``names`` from a .mat file, with errors that name the file."""
    path = check_readable(path, "file")
    try:
        contents = loadmat(path)
    except Exception as error:  # scipy raises several types for a bad file
        raise ValueError(f"'{path}' is not a readable MATLAB/Octave .mat file ({error}).") from None
    missing = [name for name in names if name not in contents]
    if missing:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise ValueError(
            f"'{path}' has no variable {' or '.join(missing)}; it holds {found}. "
            f"Expected {', '.join(names)}."
        )
    return [np.asarray(contents[name]) for name in names]


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
    X, y = _read_mat(path, ["X", "y"])
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


def load_data(source):
    """``X, y`` from the command line's ``--data``: ``"digits"``, a file or a folder of chunks.

    ``"digits"`` is scikit-learn's bundled 8x8 digits; a folder is read by
    :func:`load_chunks` (dask arrays), a file by :func:`load_dataset`.

    Examples
    --------
    >>> from sknn_digits.datasets import load_data
    >>> X, y = load_data("digits")
    >>> X.shape
    (1797, 64)
    """
    from pathlib import Path

    from sklearn.datasets import load_digits

    if source == "digits":
        return load_digits(return_X_y=True)
    if not Path(source).exists():
        raise FileNotFoundError(f"No such file or folder: '{source}'. The data are 'digits' "
                                "(scikit-learn's bundled digits), a course .mat file, an .npz "
                                "or .csv file, or a folder of .npy chunks.")
    return load_chunks(source) if Path(source).is_dir() else load_dataset(source)


def load_dataset(path):
    """``(X, y)`` from a course .mat file, an .npz file or a .csv file.

    Parameters
    ----------
    path : str or Path
        * ``.mat``: the course's format (see :func:`load_ex4_data`);
        * ``.npz``: arrays named ``X`` and ``y``;
        * ``.csv``: one sample per line, numbers separated by commas, the
          label in the last column; a first line that is not numeric is
          taken as a header.

    Returns
    -------
    X : ndarray of shape (m, n_features)
    y : ndarray of shape (m,)

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits.datasets import load_dataset
    >>> path = Path(tempfile.mkdtemp()) / "data.csv"
    >>> _ = path.write_text("a,b,label\\n0.5,1,3\\n0.25,0,7\\n")
    >>> X, y = load_dataset(path)
    >>> X.tolist(), y.tolist()
    ([[0.5, 1.0], [0.25, 0.0]], [3, 7])
    """
    path = check_readable(path, "file")
    suffix = path.suffix.lower()
    if suffix == ".mat":
        return load_ex4_data(path)
    if suffix == ".npz":
        X, y = _read_npz(path)
    elif suffix == ".csv":
        X, y = _read_csv(path)
    else:
        raise ValueError(f"'{path}': unknown data format {suffix!r}; use .mat, .npz or .csv.")
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(
            f"'{path}': X must be 2-D and y 1-D with one label per row; got X "
            f"{X.shape} and y {y.shape}."
        )
    return X, y


def _read_npz(path):
    """Arrays X and y of an .npz archive, with errors that name the file."""
    import zipfile

    if not zipfile.is_zipfile(path):
        raise ValueError(f"'{path}' is not an .npz archive (numpy.savez writes those).")
    try:
        with np.load(path, allow_pickle=False) as contents:
            missing = [k for k in ("X", "y") if k not in contents]
            if missing:
                raise ValueError(
                    f"'{path}' has no array {' or '.join(missing)}; it holds "
                    f"{sorted(contents.files)}. Expected X and y."
                )
            return contents["X"], contents["y"]
    except ValueError as error:
        if str(path) in str(error):
            raise
        raise ValueError(f"'{path}': {error} (object arrays are not read, for safety).") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"'{path}' is not a readable .npz archive ({error}).") from None


def _read_csv(path):
    try:
        with open(path, encoding="utf-8-sig") as handle:  # -sig: a leading BOM is no data
            first = handle.readline()
    except UnicodeDecodeError as error:
        raise ValueError(f"'{path}' is not UTF-8 text ({error}).") from None
    try:
        [float(v) for v in first.strip().split(",")]
        header = 0
    except ValueError:
        header = 1
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=header, ndmin=2, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"'{path}' is not a numeric CSV table ({error}).") from None
    if table.shape[1] < 2:
        raise ValueError(f"'{path}' needs at least one feature column and a label column.")
    labels = table[:, -1]
    if not np.isfinite(labels).all():
        raise ValueError(f"'{path}': the labels (last column) must be finite numbers.")
    # Whole labels become integers, if float64 holds them exactly (|y| < 2**53).
    if np.array_equal(labels, np.round(labels)) and np.abs(labels).max() < 2**53:
        labels = labels.astype(np.int64)
    return table[:, :-1], labels


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
        if not y_path.is_file():
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
        X_chunks.append(da.from_delayed(dask.delayed(np.load)(str(x_path)), x_shape, x_dtype))
        y_chunks.append(da.from_delayed(dask.delayed(np.load)(str(y_path)), y_shape, y_dtype))
    return da.concatenate(X_chunks), da.concatenate(y_chunks)


def _npy_header(path):
    """Shape and dtype of an ``.npy`` file, from its header alone."""
    try:
        with open(path, "rb") as file:
            version = np.lib.format.read_magic(file)
            reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, _, dtype = reader(file)
    except ValueError as error:
        raise ValueError(f"'{path}' is not an .npy file ({error}).") from None
    if dtype.hasobject:
        raise ValueError(f"'{path}' holds Python objects, which are not loaded.")
    return shape, dtype
