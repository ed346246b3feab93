"""Sizes checked before the work: the memory a job needs against what is available."""

import pytest

from sknn_digits import BackpropMLPClassifier
from sknn_digits._memory import available_memory, check_memory, format_bytes
from sknn_digits._training import check_fit_memory


def test_available_memory_is_a_positive_number_here():
    memory = available_memory()
    assert memory is None or memory > 2**20


def test_check_memory_names_what_and_sizes():
    check_memory(2**20, "small", available=2**30)  # fits: nothing raised
    with pytest.raises(ValueError, match=r"the thing needs about 2\.0 GiB .* 1\.0 GiB is "
                                         r"available\. Do less\."):
        check_memory(2**31, "the thing", "Do less.", available=2**30)
    assert format_bytes(1536) == "1.5 KiB"


def test_a_fit_too_large_for_memory_is_refused_at_once_naming_the_parameter(small_digits):
    X, y = small_digits
    model = BackpropMLPClassifier(hidden_layer_sizes=(10**9,), max_iter=1)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(1000000000,\) with \d+ "
                                         r"samples\) needs about .* GiB"):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")


def test_many_classes_are_refused_before_the_targets_are_built():
    n = 4000  # one class per sample: n x n targets, activations and weights
    with pytest.raises(ValueError, match=r"y has 4000 classes"):
        check_fit_memory((2, 5, n), n, 8, "L-BFGS-B", available=2**20)
    with pytest.raises(ValueError, match=r"y has 4000 classes"):
        check_fit_memory((2, 5, n), n, 8, "L-BFGS-B", available=n * n * 8)
    check_fit_memory((2, 5, n), n, 8, "L-BFGS-B", available=2**40)


def test_bfgs_dense_matrix_is_counted():
    # 64-3000-10: 225010 weights; BFGS's inverse Hessian alone is 377 GiB.
    with pytest.raises(ValueError, match=r"solver='BFGS' keeps a dense 225010x225010"):
        check_fit_memory((64, 3000, 10), 100, 8, "BFGS", available=2**36)
    check_fit_memory((64, 3000, 10), 100, 8, "L-BFGS-B", available=2**36)


_TRACED_TALL_FIT = """
import tracemalloc
import numpy as np
import sknn_digits._training as training
from sknn_digits import BackpropMLPClassifier

rng = np.random.default_rng(0)
X, y = rng.random((20000, 20)), rng.integers(0, 10, 20000)
estimate = []
real = training.check_memory
training.check_memory = lambda needed, *a, **k: estimate.append(needed)
training.check_fit_memory((20, 30, 10), 20000, 8, "L-BFGS-B")
training.check_memory = real
tracemalloc.start()
BackpropMLPClassifier(hidden_layer_sizes=30, max_iter=3, random_state=0).fit(X, y)
print(tracemalloc.get_traced_memory()[1], estimate[0])
"""


@pytest.mark.slow
def test_the_fit_estimate_covers_what_a_tall_fit_allocates():
    """The rows' share of the estimate bounds what a fit of many rows allocates, traced in a
    process of its own (tracemalloc counts every thread's allocations)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-W", "ignore", "-c", _TRACED_TALL_FIT],
                          capture_output=True, text=True, timeout=120, check=True)
    peak, estimate = map(int, done.stdout.split())
    assert 0 < peak <= estimate, (peak, estimate)


@pytest.mark.slow
def test_the_budget_respects_the_address_space_limit(tmp_path):
    """Under ulimit -v, a .npz declaring 22 GiB passed the check (which read the machine's
    free memory) and ended in a raw _ArrayMemoryError traceback."""
    import subprocess
    import sys
    import zipfile

    import numpy as np

    X_header = np.lib.format
    path = tmp_path / "huge.npz"

    with zipfile.ZipFile(path, "w") as archive:  # headers only: 3e9 float64 declared
        for name, shape in (("X", (250_000, 3000)), ("y", (250_000,))):  # 6 GB declared
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                X_header.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False,
                                                         "shape": shape})
    code = ("import resource\n"
            "resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))\n"
            "from sknn_digits._memory import available_memory\n"
            "from sknn_digits.datasets import load_dataset\n"
            "assert available_memory() < 4 * 2**30, available_memory()\n"
            "try:\n"
            f"    load_dataset({str(path)!r})\n"
            "except ValueError as error:\n"
            "    print('REFUSED', error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "REFUSED" in done.stdout and "huge.npz" in done.stdout
    assert "is available" in done.stdout  # refused by the budget, before reading


@pytest.mark.slow
def test_the_fit_estimate_covers_what_a_wide_fit_allocates():
    """2 rows x 10**6 features peaked at 7.8 GB against an estimate of 6.0 GiB: the solver's
    own copies of the parameter vector were not counted.  Measured here with the process's
    own high-water mark, in a process of its own, at a fifth of that width."""
    import subprocess
    import sys

    code = (
        "import resource, numpy as np\n"
        "from sknn_digits import BackpropMLPClassifier\n"
        "from sknn_digits._training import check_fit_memory\n"
        "n = 50_000\n"
        "X = np.random.default_rng(0).random((2, n))\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "BackpropMLPClassifier(hidden_layer_sizes=25, max_iter=30, random_state=0)"
        ".fit(X, [0, 1])\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base\n"
        "estimate = []\n"
        "import sknn_digits._training as t\n"
        "t.check_memory = lambda needed, *a, **k: estimate.append(needed)\n"
        "check_fit_memory((n, 25, 1), 2, 8, 'L-BFGS-B')\n"
        "print(peak, estimate[0])\n")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                          text=True, timeout=600, check=True)
    peak, estimate = map(int, done.stdout.split())
    assert peak <= estimate, (peak, estimate)
