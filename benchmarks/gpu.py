"""The GPU benchmark: the network on a CUDA device through scikit-learn's array API.

Run from a checkout, on a machine with torch and scikit-learn::

    python benchmarks/gpu.py            # MNIST-sized: 60000 x 784, 300 hidden
    python benchmarks/gpu.py --quick    # 10000 rows, fewer iterations

It prints one table:

- one evaluation of J and its gradient on the device, float32 and float64,
  against the device's floor: its five matrix products of backpropagation,
  timed alone on arrays of the same shapes (goal for float32: at most 1.5x);
- a whole fit (synthetic data of MNIST's shape, labels from a random teacher
  network) on the device against the same fit with numpy on this machine's
  CPU (goal: at least 30x faster than the project's 2-core CPU).

Without a CUDA device it says so and runs its CPU half: torch on the CPU
against numpy.  Nothing is downloaded.  Needs SCIPY_ARRAY_API=1, which this
script sets before scipy is imported.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before scipy is imported

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the checkout's package, installed or not

import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from sknn_digits import BackpropMLPClassifier  # noqa: E402
from sknn_digits._training import Objective, Problem  # noqa: E402
from sknn_digits.core import Network  # noqa: E402
from sknn_digits.initialization import initial_params  # noqa: E402

warnings.simplefilter("ignore", ConvergenceWarning)


def synthetic(m, n=784, k=10, seed=0):
    """Pixels in 0..1 and labels from a random teacher network: learnable, MNIST's shape."""
    rng = np.random.default_rng(seed)
    X = rng.random((m, n), dtype=np.float32)
    teacher = rng.normal(size=(n, 64)).astype(np.float32) / np.sqrt(n)
    hidden = np.tanh((X - 0.5) @ teacher * 4)
    y = (hidden @ rng.normal(size=(64, k)).astype(np.float32)).argmax(axis=1)
    return X, y


def timed(function, repeats, synchronize):
    """Median seconds of ``function()`` over ``repeats`` calls, after one warm-up."""
    function()
    synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def evaluation_rows(torch, device, X, y, hidden, repeats, synchronize):
    rows = []
    m, n = X.shape
    k = int(y.max()) + 1
    for dtype in (torch.float32, torch.float64):
        Xd = torch.asarray(X, device=device).to(dtype)
        Yd = torch.nn.functional.one_hot(torch.asarray(y, device=device), k).to(dtype)
        network = Network((n, hidden, k))
        objective = Objective(Problem(network, Xd, Yd, None, alpha=1.0))
        params = [initial_params((n, hidden, k), "auto", seed) for seed in (0, 1)]
        turn = iter(range(10**9))
        # As in a fit: the host's float64 vector to the device, the gradient back.
        evaluation = timed(lambda: objective(params[next(turn) % 2]), repeats, synchronize)
        W1 = torch.randn(n, hidden, device=device, dtype=dtype)
        W2 = torch.randn(hidden, k, device=device, dtype=dtype)
        A = torch.randn(m, hidden, device=device, dtype=dtype)
        D3 = torch.randn(m, k, device=device, dtype=dtype)
        D2 = torch.randn(m, hidden, device=device, dtype=dtype)
        floor = timed(lambda: (Xd @ W1, A @ W2, A.T @ D3, D3 @ W2.T, Xd.T @ D2), repeats,
                      synchronize)
        name = str(dtype).replace("torch.", "")
        rows.append((f"one evaluation, {name}", f"{1e3 * evaluation:.1f} ms",
                     f"{1e3 * floor:.1f} ms (5 products)", f"**{evaluation / floor:.2f}**"))
    return rows


def fit_rows(torch, device, X, y, hidden, max_iter):
    params = {"hidden_layer_sizes": hidden, "max_iter": max_iter, "tol": 0.0, "random_state": 0}
    split = len(y) * 5 // 6
    start = time.perf_counter()
    on_cpu = BackpropMLPClassifier(**params).fit(X[:split], y[:split])
    cpu = time.perf_counter() - start
    cpu_accuracy = on_cpu.score(X[split:], y[split:])
    with sklearn.config_context(array_api_dispatch=True):
        Xd, yd = torch.asarray(X, device=device), torch.asarray(y, device=device)
        BackpropMLPClassifier(**{**params, "max_iter": 2}).fit(Xd[:1000], yd[:1000])  # warm-up
        start = time.perf_counter()
        on_device = BackpropMLPClassifier(**params).fit(Xd[:split], yd[:split])
        device_time = time.perf_counter() - start
        device_accuracy = on_device.score(Xd[split:], yd[split:])
    return [(f"whole fit, {max_iter} iterations, float32: {device} / numpy CPU",
             f"{device_time:.2f} s (acc. {device_accuracy:.3f})",
             f"{cpu:.2f} s (acc. {cpu_accuracy:.3f})", f"**{cpu / device_time:.1f}x**")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10000 rows, fewer iterations")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("benchmarks/gpu.py needs torch (pip install torch).")
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    m = 10000 if args.quick or not cuda else 60000
    max_iter = 20 if args.quick or not cuda else 100
    if cuda:
        print(f"CUDA device: {torch.cuda.get_device_name(0)}")
        synchronize = torch.cuda.synchronize
    else:
        print("No CUDA device here: running the CPU half (torch on the CPU against numpy), "
              f"{m} rows. GPU figures need a machine with one.")
        synchronize = lambda: None  # noqa: E731
    X, y = synthetic(m)
    rows = evaluation_rows(torch, device, X, y, 300, 5 if cuda else 3, synchronize)
    rows += fit_rows(torch, device, X, y, 300, max_iter)
    print(f"\n{m} x 784, 300 hidden, 10 outputs; torch {torch.__version__}, scikit-learn "
          f"{sklearn.__version__}, numpy {np.__version__} on {os.cpu_count()} CPU cores\n")
    print("| measure | on " + device + " | reference | ratio |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nGoals: float32 evaluation within 1.5x of the device's floor; a whole fit at least "
          "30x faster than numpy on the project's 2-core CPU. The fit's ratio is the numpy "
          "time over the device's.")


if __name__ == "__main__":
    main()
