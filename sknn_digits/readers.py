"""Safe readers of data files: CSV, .npz, .npy and .mat, bounded before they read.

Every reader sizes what it will hold from the file's own headers (or the
file's size) and checks it against the memory available before reading,
reads text in bounded blocks and lines, never unpickles, and names the file
in every error.  :mod:`sknn_digits.datasets` builds the data sets from them.
"""

import math
import os
import warnings
from pathlib import Path

import numpy as np
from scipy.io import loadmat, whosmat

from ._files import check_readable
from ._memory import check_memory, format_bytes

__all__ = ["LABEL_NAMES", "LABEL_RULE", "MAX_CSV_LINE", "check_rows", "csv_names_its_labels"]

#: Bytes per element of the MATLAB classes a numeric variable may have.
_MAT_ITEMSIZE = {"double": 8, "single": 4, "int8": 1, "uint8": 1, "logical": 1, "int16": 2,
                 "uint16": 2, "int32": 4, "uint32": 4, "int64": 8, "uint64": 8}


def _read_mat(path, names, check_shapes=None):
    """Variables ``names`` from a .mat file, with errors that name the file.

    Only those variables are read.  Their shapes and classes are read from
    their headers first (a compressed variable's header without inflating
    its data), checked by ``check_shapes({name: shape})`` when given, and
    their size against the memory available, so a small file cannot inflate
    to gigabytes before it is refused.
    """
    path = check_readable(path, "file")
    try:
        declared = {name: (tuple(shape), kind) for name, shape, kind in whosmat(path)}
    except Exception as error:  # scipy raises several types for a bad file
        raise ValueError(f"'{path}' is not a readable MATLAB/Octave .mat file ({error}).") from None
    missing = [name for name in names if name not in declared]
    if missing:
        raise ValueError(
            f"'{path}' has no variable {' or '.join(missing)}; it holds {sorted(declared)}. "
            f"Expected {', '.join(names)}."
        )
    for name in names:
        if declared[name][1] not in _MAT_ITEMSIZE:
            raise ValueError(f"'{path}': {name} is a MATLAB {declared[name][1]}, not an array "
                             "of numbers.")
    if check_shapes is not None:
        check_shapes({name: declared[name][0] for name in names})
    sizes = {name: math.prod(declared[name][0]) * _MAT_ITEMSIZE[declared[name][1]]
             for name in names}
    check_memory(sum(sizes.values()), f"'{path}' ("
                 + ", ".join(f"{n}: {format_bytes(s)}" for n, s in sizes.items())
                 + " once inflated)")
    try:
        contents = loadmat(path, variable_names=list(names))
    except Exception as error:
        raise ValueError(f"'{path}' is not a readable MATLAB/Octave .mat file ({error}).") from None
    return [np.asarray(contents[name]) for name in names]


def check_rows(X, source):
    """Refuse rows that are not real, finite numbers, with one error naming ``source``.

    Examples
    --------
    >>> import numpy as np
    >>> check_rows(np.array([[1.0, np.nan]]), "'data.npz'")
    Traceback (most recent call last):
    ...
    ValueError: 'data.npz': X holds NaN or infinity (row 0, column 1); rows must be finite numbers.
    """
    kind = X.dtype.kind
    if kind not in "biuf":
        what = {"M": "dates", "m": "time spans", "U": "text", "S": "bytes", "O": "objects",
                "c": "complex numbers", "V": "records of several fields"}.get(kind, X.dtype)
        raise ValueError(f"{source}: X holds {what} ({X.dtype}), not real numbers; "
                         "every feature must be a number.")
    if kind == "f" and X.size and not np.isfinite(X).all():
        row, column = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"{source}: X holds NaN or infinity (row {row}, column {column}); "
                         "rows must be finite numbers.")


def _read_npz(path, need_y=True):
    """Arrays X and y of an .npz archive (y None when ``need_y`` is false and it has none),
    with errors that name the file.

    Each member's size is read from its header and checked against the
    memory available before anything is inflated.
    """
    import zipfile

    if not zipfile.is_zipfile(path):
        raise ValueError(f"'{path}' is not an .npz archive (numpy.savez writes those).")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            keys = ["X"] + (["y"] if need_y or "y.npy" in names else [])
            missing = [k for k in ("X", "y") if f"{k}.npy" not in names and k in keys]
            if missing or "X.npy" not in names:
                held = sorted(n[:-4] for n in names if n.endswith(".npy"))
                raise ValueError(f"'{path}' has no array {' or '.join(missing or ['X'])}; it "
                                 f"holds {held}. Expected X{' and y' if need_y else ''}.")
            sizes = {"y": 0}
            for key in keys:
                with archive.open(f"{key}.npy") as member:
                    shape, dtype = _npy_header(member, f"'{path}' member {key}.npy")
                sizes[key] = math.prod(shape) * dtype.itemsize
        check_memory(sum(sizes.values()), f"'{path}' (X: {format_bytes(sizes['X'])}, y: "
                     f"{format_bytes(sizes['y'])} once inflated)")
        with np.load(path, allow_pickle=False) as contents:
            return contents["X"], (contents["y"] if "y" in keys else None)
    except ValueError as error:
        if str(path) in str(error):
            raise
        raise ValueError(f"'{path}': {error} (object arrays are not read, for safety).") from None
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"'{path}' is not a readable .npz archive ({error}).") from None


#: Header names that mark the label column of a CSV file, compared in lower case.
LABEL_NAMES = ("label", "y", "target", "class")


#: Bytes of CSV text parsed at a time: the reader's overhead beyond the table itself.
_CSV_BLOCK = 1 << 22


#: The longest line of a CSV file read (characters): a row of over a million
#: features at ten characters each.  Longer ones are refused as soon as this
#: much of them is read, before they are held whole or parsed.
MAX_CSV_LINE = 1 << 24


def _read_csv(path, label_column=None):
    """X and y of a numeric CSV file: the label column by :func:`_label_column`'s rule."""
    table, names = _read_csv_table(path)
    if table.shape[1] < 2:
        raise ValueError(f"'{path}' needs at least one feature column and a label column.")
    column = _label_column(path, names, table.shape[1], label_column)
    return _split_labels(path, table, names, column)


def _read_csv_table(path):
    """The numbers of a CSV file and its header's names (None without a header), read in
    blocks into one preallocated table.

    Memory: the table (8 bytes a value) plus one block of text; the file's
    size bounds the table (every value takes at least two characters, its
    digit and a comma or a newline), and that bound is checked against the
    memory available first.  Blank lines hold no row; a table whose rows
    times its first row's width could not fit in the file is refused before
    it is allocated, and so is a file that grows while it is read.
    """
    size = path.stat().st_size
    check_memory(4 * size + 8, f"Reading '{path}'")
    names, n_lines = _csv_shape(path)
    with open(path, encoding="utf-8-sig") as handle:
        if names is not None:
            handle.readline()
        first = None
        table, row = None, 0
        for block in _line_blocks(handle, path):
            try:
                values = np.loadtxt(block, delimiter=",", ndmin=2, dtype=np.float64)
            except ValueError as error:
                raise ValueError(f"'{path}' is not a numeric CSV table ({error}).") from None
            if table is None:
                first = values.shape[1]
                if n_lines * first > size // 2 + 1:  # more values than the file has room for
                    raise ValueError(
                        f"'{path}': its first row has {first} columns, and {n_lines} rows of "
                        f"that width cannot fit in its {format_bytes(size)}: the rows have "
                        "different widths; every row needs the same number of columns.")
                table = np.empty((n_lines, first))
            elif values.shape[1] != first:
                raise ValueError(f"'{path}': rows have {first} and {values.shape[1]} "
                                 "columns; every row needs the same number.")
            if row + len(values) > n_lines:
                raise ValueError(f"'{path}' changed while it was read (it held {n_lines} rows "
                                 "when they were counted, and more now): read a file that "
                                 "is not being written.")
            table[row:row + len(values)] = values
            row += len(values)
    if table is None:
        raise ValueError(f"'{path}' holds no rows of numbers.")
    return table[:row], names


def _split_labels(path, table, names, column):
    """``X, y``: the table without its label column, and that column."""
    labels = table[:, column]
    X = np.delete(table, column, axis=1) if column != table.shape[1] - 1 else table[:, :-1]
    if not np.isfinite(labels).all():
        raise ValueError(f"'{path}': the labels ({_describe(column, names)}) must be finite "
                         "numbers.")
    whole = np.array_equal(labels, np.round(labels)) and np.abs(labels).max() < 2**53
    n_values = np.unique(labels).size
    if not whole or n_values > 100:
        warnings.warn(
            f"'{path}': took {_describe(column, names)} as the label, but its values ("
            f"{'not whole numbers' if not whole else f'{n_values} different ones'}) look "
            "like pixel intensities, not classes. If the labels are in another column, name "
            "it (label_column=, or --label-column on the command line).", UserWarning,
            stacklevel=3)
    # Whole labels become integers, if float64 holds them exactly (|y| < 2**53).
    return X, labels.astype(np.int64) if whole else labels


def _csv_shape(path, count_lines=True):
    """The header's names (None without a header) and how many lines with values follow it
    (blank lines are not rows)."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            first = handle.readline(1 << 20)
    except UnicodeDecodeError as error:
        raise ValueError(f"'{path}' is not UTF-8 text ({error}).") from None
    names = None
    cut = len(first) >= 1 << 20 and not first.endswith("\n")
    try:  # a long first line is judged by its whole fields in the first MiB
        np.loadtxt([first.rpartition(",")[0] if cut else first], delimiter=",", ndmin=2)
    except ValueError:  # not numbers: a header
        if cut:
            raise ValueError(f"'{path}': its first line is over 1 MiB and not numbers; "
                             "a header line names the columns.") from None
        names = [name.strip().strip('"').strip("'") for name in first.strip().split(",")]
    if not count_lines:
        return names, None
    n_lines, pending = 0, False  # pending: the line being read holds a value
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            *ended, rest = chunk.split(b"\n")
            for line in ended:
                n_lines += pending or bool(line.strip())
                pending = False
            pending = pending or bool(rest.strip())
    n_lines += pending  # a last line without its newline
    return names, max(n_lines - (names is not None), 0)


def _line_blocks(handle, path):
    """Lists of lines holding about :data:`_CSV_BLOCK` characters each; a line longer than
    :data:`MAX_CSV_LINE` is refused as soon as that much of it is read."""
    block, size, number = [], 0, 0
    while line := handle.readline(MAX_CSV_LINE + 1):
        number += 1
        if len(line) > MAX_CSV_LINE:
            raise ValueError(
                f"'{path}': row {number} is longer than {MAX_CSV_LINE // 2**20} MiB; a row "
                "of digits takes a few KB (784 pixels of MNIST: under 4 KB). Is it one row "
                "per line?")
        block.append(line)
        size += len(line)
        if size >= _CSV_BLOCK:
            yield block
            block, size = [], 0
    if block:
        yield block


def _named_label(path, names):
    """The index of the header name that marks labels (:data:`LABEL_NAMES`), or None; two
    such names are refused, naming them (which one holds the labels would be a guess)."""
    found = [i for i, name in enumerate(names or ()) if name.lower() in LABEL_NAMES]
    if len(found) > 1:
        raise ValueError(f"'{path}': its header names more than one label column "
                         f"({', '.join(_describe(i, names) for i in found)}); name the one "
                         "that holds the labels with --label-column (label_column=).")
    return found[0] if found else None


def csv_names_its_labels(path):
    """Whether a CSV file's header names its label column (label, y, target or class).

    Reads the first line only.
    """
    names, _ = _csv_shape(path, count_lines=False)
    return _named_label(path, names) is not None


#: The rule that picks a CSV file's label column, as the help and the messages state it.
LABEL_RULE = ("the column --label-column names, else the one the header names label, y, "
              "target or class (a header naming none of these has no label column), else, "
              "in a file without a header, the last")


def _label_column(path, names, n_columns, chosen):
    """The index of the label column: ``chosen``, a header name, or the last column."""
    if chosen is None:
        named = _named_label(path, names)
        if named is None and names is not None:  # the header says which columns there are
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise ValueError(
                f"'{path}' has a header naming its {len(names)} columns ({shown}), and none "
                f"is a label column ({', '.join(LABEL_NAMES[:-1])} or {LABEL_NAMES[-1]}): it "
                "has no label column to "
                "learn or score from. A file of rows to label (Kaggle's test.csv) goes to "
                "predict --data; if a column does hold the labels, name it with "
                "--label-column (label_column=).")
        return n_columns - 1 if named is None else named
    if isinstance(chosen, str) and not chosen.lstrip("-").isdigit():
        if names is None or chosen not in names:
            held = "it has no header line" if names is None else f"its header has {names[:5]}"
            raise ValueError(f"'{path}' has no column named {chosen!r} ({held}"
                             f"{'...' if names and len(names) > 5 else ''}).")
        return names.index(chosen)
    index = int(chosen)
    if not -n_columns <= index < n_columns:
        raise ValueError(f"'{path}': label column {index} does not exist; the file has "
                         f"{n_columns} columns (0 to {n_columns - 1}).")
    return index % n_columns


def _describe(column, names):
    if names is not None and column < len(names):
        return f"column {column} ({names[column]!r})"
    return f"column {column}"


def _npy_header(source, name=None):
    """Shape and dtype of an ``.npy`` file (a path or an open file), from its header alone.

    A path must be a regular file (a FIFO or a device would block or never
    end) holding as many bytes as its header declares (a truncated file is
    named here, before any work).
    """
    name = name or f"'{source}'"
    try:
        if hasattr(source, "read"):
            return _read_npy_header(source, name)[:2]
        if not Path(source).is_file():
            raise ValueError(f"{name} is not a regular file.")
        with open(source, "rb") as file:
            shape, dtype, offset, _ = _read_npy_header(file, name)
            size = os.fstat(file.fileno()).st_size
    except OSError as error:
        raise ValueError(f"{name} could not be read ({error}).") from None
    declared = math.prod(shape) * dtype.itemsize
    if size - offset != declared:
        raise ValueError(f"{name} is truncated or damaged: its header declares "
                         f"{declared} bytes of data, the file holds {size - offset}.")
    return shape, dtype


def _read_npy_header(file, name):
    """``(shape, dtype, offset, fortran_order)`` of an open ``.npy`` file, from its header;
    object arrays refused."""
    try:
        version = np.lib.format.read_magic(file)
        reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, fortran_order, dtype = reader(file)
    except ValueError as error:
        raise ValueError(f"{name} is not an .npy file ({error}).") from None
    if dtype.hasobject:
        raise ValueError(f"{name} holds Python objects: object arrays are not read, for "
                         "safety.")
    return shape, dtype, file.tell(), fortran_order
