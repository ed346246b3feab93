"""Array namespaces, dtypes and memory: where and in what the network is evaluated.
"""


import numpy as np
from scipy import sparse

# ---------------------------------------------------------------------------
# Array namespaces.  numpy arrays (and scipy sparse inputs) take the fast path:
# arrays reused between calls and written in place.  Arrays of another
# array-API namespace (torch, CuPy, array-api-strict: scikit-learn's
# array_api_dispatch) are computed with the standard's functions, on their
# device, in their dtype.  Each function below that has a numpy-only shortcut
# keeps it behind one ``isinstance`` test.
# ---------------------------------------------------------------------------


def namespace(*arrays):
    """The array namespace of ``arrays``: numpy itself for numpy, sparse and plain Python input.

    Examples
    --------
    >>> from sknn_digits.core import namespace
    >>> namespace(np.ones(2), [1.0]) is np
    True
    """
    others = None
    for a in arrays:  # the numpy case first and fast: this runs in every evaluation
        if a is None or isinstance(a, _NUMPY_LIKE) or sparse.issparse(a):
            continue
        if hasattr(a, "__dask_graph__"):  # numpy chunks; the client holds numpy weights
            continue
        others = [a] if others is None else [*others, a]
    if others is None:
        return np
    return _array_api("namespace")(*others)


_NUMPY_LIKE = (np.ndarray, np.generic, list, tuple, float, int)


def to_numpy(array):
    """``array`` as a numpy array on the host (a copy from a device, the array itself otherwise)."""
    if isinstance(array, np.ndarray):
        return array
    if namespace(array) is np:  # lists and scalars: numpy's own conversion
        return np.asarray(array)
    return _array_api("to_numpy")(array, namespace(array))


def device_of(array):
    """The device ``array`` lives on (``"cpu"`` for numpy)."""
    if namespace(array) is np:
        return "cpu"
    return _array_api("device")(array)


#: The helpers for arrays of other namespaces: ``namespace(*arrays)``,
#: ``device(array)`` and ``to_numpy(array, xp)``.  The package plugs in
#: scikit-learn's (:func:`use_array_api`, called by ``sknn_digits._compat``),
#: the ones its ``array_api_dispatch`` validates inputs with, so that the core
#: itself imports nothing of scikit-learn.
_ARRAY_API = {}


def use_array_api(namespace_of, device, to_numpy):
    """Evaluate arrays of other namespaces with these helpers (see :data:`_ARRAY_API`)."""
    _ARRAY_API.update(namespace=namespace_of, device=device, to_numpy=to_numpy)


def _array_api(name):
    """One of the array-API helpers: those plugged in, else the array-api-compat package's."""
    if name not in _ARRAY_API:
        try:
            import array_api_compat
        except ImportError:
            raise ImportError("Arrays of another namespace than numpy are evaluated through "
                              "sknn_digits' estimators (scikit-learn's array_api_dispatch) "
                              "or with the array-api-compat package installed.") from None
        use_array_api(array_api_compat.array_namespace, array_api_compat.device,
                      lambda array, xp: np.asarray(array_api_compat.to_device(array, "cpu")))
    return _ARRAY_API[name]


def host_dtype(X):
    """The numpy dtype matching ``X``'s float dtype (float32 or float64), whatever its namespace."""
    if namespace(X) is np:
        return np.dtype(_compute_dtype(X))
    return np.dtype(np.float32 if X.dtype == namespace(X).float32 else np.float64)


def _astype(x, dtype):
    """``x`` in ``dtype``, not copied when it is already (numpy 1.26 has no ``np.astype``)."""
    if isinstance(x, np.ndarray):
        return x.astype(dtype, copy=False)
    return namespace(x).astype(x, dtype, copy=False)


def _scratch(workspace, key, shape, dtype):
    """A reusable array: taken from ``workspace`` (a dict) when it fits, else new.

    The solver evaluates the cost hundreds of times on the same data; reusing
    the activation-sized arrays saves allocating and first-touching them every
    time.  With ``workspace=None`` every array is new.
    """
    if workspace is None:
        return np.empty(shape, dtype)
    array = workspace.get(key)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = workspace[key] = np.empty(shape, dtype)
    return array


def aligned(array):
    """``array``, or a copy of it where its data do not start on an item boundary.

    Numpy's BLAS may assume that alignment: one of OpenBLAS's x86 dot
    kernels loads pairs of doubles with an aligned instruction, and on a
    misaligned vector the process dies of a segmentation fault.  Numpy
    arrays unpickled on a Dask worker lie wherever the message put them (a
    scattered parameter vector arrives at any byte offset), so every numpy
    array the evaluation hands to BLAS passes through here first; aligned
    arrays, the usual case, are returned as they are.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_digits.core import aligned
    >>> odd = np.frombuffer(bytes(17), dtype=np.float64, count=2, offset=1)
    >>> odd.flags.aligned, aligned(odd).flags.aligned
    (False, True)
    >>> x = np.ones(3)
    >>> aligned(x) is x
    True
    """
    if isinstance(array, np.ndarray) and not array.flags.aligned:
        return array.copy(order="K")
    return array


def _numpy_params(params, dtype):
    """The parameter vector as an aligned numpy array of ``dtype`` (a copy only if needed)."""
    return aligned(np.asarray(params).astype(dtype, copy=False))


def _product(a, W, out):
    """``a @ W`` written into ``out`` (sparse ``a`` gives a new array, copied in).

    Without ``out`` (another namespace than numpy) a new array.
    """
    if out is None:
        return a @ W
    if sparse.issparse(a):
        out[...] = a @ W
        return out
    return np.matmul(a, W, out=out)


def _compute_dtype(X):
    if namespace(X) is not np:
        return X.dtype  # validated as a float dtype of its namespace
    return X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
