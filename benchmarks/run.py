"""The sknn_digits benchmark: every comparison runs both sides in this process.

Run from the project's root::

    python benchmarks/run.py            # the full run, about half an hour on 2 cores
    python benchmarks/run.py --quick    # smaller problems, under two minutes

It prints each table as it goes and writes them to a file named by ``--out``
(by default in the system's temporary folder) with two plots beside it, or
with ``--update-docs`` to ``benchmarks/results.md`` and ``docs/_static/``.
Times are medians of interleaved repeats (A B A B ...), and the figures that
matter are the ratios, which drift far less than absolute times on a shared
machine.  Needs matplotlib and threadpoolctl (``pip install ".[test]"``).
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import scipy
import sklearn
from notebook_baseline import notebook_cost_and_gradient
from scipy import ndimage
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

import sknn_digits
from sknn_digits import (
    BackpropMLPClassifier,
    _threads,
    _training,
    nn_cost_function,
)
from sknn_digits._files import write_atomic
from sknn_digits._observers import Observer, observing
from sknn_digits.core import Network, kernel, unpack
from sknn_digits.initialization import initial_params

ROOT = Path(__file__).resolve().parents[1]
warnings.simplefilter("ignore", ConvergenceWarning)


# --------------------------------------------------------------------- tools


def interleaved_runs(functions, repeats):
    """Seconds of each function in each of ``repeats`` turns (A B A B ...), so drift hits
    all alike."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return times


def interleaved(functions, repeats):
    """Median seconds of each function, timed in turns so drift hits all alike."""
    return {name: statistics.median(values)
            for name, values in interleaved_runs(functions, repeats).items()}


class Report:
    """Collects markdown tables; prints each as it is made and saves them all."""

    def __init__(self, path, header):
        self.path, self.header, self.parts = path, header, []
        self.clock = time.perf_counter()

    def table(self, title, header, rows, note=""):
        lines = [f"### {title}", "", "| " + " | ".join(header) + " |",
                 "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        if note:
            lines += ["", note]
        text = "\n".join(lines) + "\n"
        now = time.perf_counter()
        print(text + f"(this table: {now - self.clock:.0f} s)\n", flush=True)
        self.clock = now
        self.parts.append(text)
        text = "## Benchmark results\n\n" + self.header + "\n\n" + "\n".join(self.parts)
        # After every table, so an interrupted run keeps its results; atomically.
        write_atomic(self.path, lambda temporary: Path(temporary).write_text(text),
                     overwrite=True)


def problem(m, n, k, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.random((m, n)).astype(dtype)
    Y = np.eye(k, dtype=dtype)[rng.integers(0, k, m)]
    return X, Y


def digits_784(copies=3, seed=0):
    """A 784-feature problem from the bundled digits: 28x28, shifted, noisy."""
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    images = ndimage.zoom(X.reshape(-1, 8, 8) / 16, (1, 2.5, 2.5), order=1)  # 20 x 20
    out = []
    for _ in range(copies):
        canvas = np.zeros((len(X), 28, 28))
        for i, image in enumerate(images):
            top, left = rng.integers(2, 7, size=2)
            canvas[i, top:top + 20, left:left + 20] = image
        out.append(np.clip(canvas + rng.normal(0, 0.05, canvas.shape), 0, 1).reshape(len(X), -1))
    return np.vstack(out), np.tile(y, copies)


# ---------------------------------------------------------------- benchmarks


def _met(value, goal, lower=True):
    """"yes" when ``value`` meets ``goal`` (at most it, or with ``lower=False`` at least it)."""
    return "yes" if (value <= goal if lower else value >= goal) else "**no**"


def cost_against_floor(report, sizes, repeats):
    """One evaluation against its floor, through a fit's objective and through nn_cost_function.

    The floor: the five matrix products of backpropagation, one ``exp`` over
    the hidden pre-activations and a softplus (``exp``, ``log1p``) over the
    outputs, each timed alone on arrays of the same shapes.  Each product is
    timed with its operands rows by units (``X W``) and transposed, units by
    rows (``W^T X^T``), and counts at the faster: BLAS runs some of them a
    third faster one way, and the floor must not be a layout's handicap.
    """
    rows, bars = [], []
    for m, n, h, k, threads in sizes:
        X, Y = problem(m, n, k)
        y = Y.argmax(axis=1) + 1
        layer_sizes = (n, h, k)
        network = Network(layer_sizes)
        params = initial_params(layer_sizes, random_state=0)
        (W1, W2), _ = unpack(params, layer_sizes)
        rng = np.random.default_rng(1)
        A, D2, D1 = rng.random((m, h)), rng.random((m, k)), rng.random((m, h))
        At, D1t = np.ascontiguousarray(A.T), np.ascontiguousarray(D1.T)
        Zh, Zo = rng.normal(size=(m, h)), rng.normal(size=(m, k))
        Bh, Bo = np.empty_like(Zh), np.empty_like(Zo)

        def into(shape):  # every result into an array made once, as the fit's
            return np.empty(shape)

        products = {  # rows by units, then units by rows
            "X·W1": [lambda o=into((m, h)): np.matmul(X, W1, out=o),
                     lambda o=into((h, m)): np.matmul(W1.T, X.T, out=o)],
            "A·W2": [lambda o=into((m, k)): np.matmul(A, W2, out=o),
                     lambda o=into((k, m)): np.matmul(W2.T, At, out=o)],
            "Aᵀ·δ3": [lambda o=into((h, k)): np.matmul(A.T, D2, out=o),
                      lambda o=into((h, k)): np.matmul(At, D2, out=o)],
            "δ3·W2ᵀ": [lambda o=into((m, h)): np.matmul(D2, W2.T, out=o),
                       lambda o=into((h, m)): np.matmul(W2, D2.T, out=o)],
            "Xᵀ·δ2": [lambda o=into((n, h)): np.matmul(X.T, D1, out=o),
                      lambda o=into((h, n)): np.matmul(D1t, X, out=o)],
        }
        elementwise = {
            "exp": lambda: np.exp(Zh, out=Bh),  # the hidden sigmoid's exp
            "softplus": lambda: (np.exp(Zo, out=Bo), np.log1p(Bo, out=Bo)),  # the output's
        }
        calls = max(1, int(repeats * 2e7 / (m * n * h)))  # short calls: many of them

        def many(function):
            def run():
                for _ in range(calls):
                    function()
            return run

        parts = {f"{name} {i}": many(f) for name, fs in products.items()
                 for i, f in enumerate(fs)}
        parts.update({name: many(f) for name, f in elementwise.items()})
        with threadpool_limits(threads, "blas"):
            t = interleaved({
                "objective": many(lambda: network.loss_gradient(params, X, Y, alpha=1.0)),
                "course": many(lambda: nn_cost_function(params, n, h, k, X, y, 1.0)),
                **parts,
            }, repeats)
        t = {name: value / calls for name, value in t.items()}
        t["floor"] = (sum(min(t[f"{name} {i}"] for i in range(2)) for name in products)
                      + sum(t[name] for name in elementwise))
        worst = max(t["objective"], t["course"]) / t["floor"]
        bars.append((f"{m}×{n}\n{h} hidden\n{threads} thread{'s' * (threads > 1)}", worst))
        rows.append([f"{m}×{n}, {h} hidden, {k} out", threads, f"{t['floor'] * 1e3:.2f}",
                     f"{t['objective'] * 1e3:.2f} (**{t['objective'] / t['floor']:.2f}**)",
                     f"{t['course'] * 1e3:.2f} (**{t['course'] / t['floor']:.2f}**)",
                     _met(worst, 1.15)])
    report.table(
        "One evaluation of J and its gradient against its floor",
        ["problem", "BLAS threads", "floor (ms)", "a fit's objective (ms, ratio)",
         "nn_cost_function (ms, ratio)", "goal ≤ 1.15 met"],
        rows,
        "The floor is the five matrix products backpropagation cannot avoid (X·W1, A·W2, "
        "Aᵀ·δ3, δ3·W2ᵀ, Xᵀ·δ2), one exp over the hidden pre-activations and the softplus "
        "(exp, log1p) over the outputs, each timed alone on arrays of the same shapes, "
        "written into arrays made once; each product at the faster of its two layouts "
        "(rows by units, or transposed). "
        "1437×64 is a fold of a 5-fold search over the bundled digits, 5000×400 the "
        "course's data. nn_cost_function is called the course's way, with labels 1..10.",
    )
    return bars


def blas_threads_now():
    """The threads numpy's BLAS runs on now."""
    return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"),
               default=1)


def notebook_baseline(report, repeats):
    """The package against a notebook-001-style implementation, course size."""
    m, n, h, k = 5000, 400, 25, 10
    X, Y = problem(m, n, k)
    params = initial_params((n, h, k), random_state=0)
    workspace = {}
    t = interleaved({
        "package": lambda: Network((n, h, k), workspace=workspace).loss_gradient(
            params, X, Y, alpha=1.0),
        "notebook": lambda: notebook_cost_and_gradient(params, X, Y, h, 1.0),
    }, repeats)
    J_package = Network((n, h, k)).loss_gradient(params, X, Y, alpha=1.0)[0]
    J_notebook = notebook_cost_and_gradient(params, X, Y, h, 1.0)[0]
    report.table(
        "Against the approach it replaces (notebook 001's loops and m×m trace)",
        ["implementation", "cost + gradient (ms)", "J"],
        [["notebook-style", f"{t['notebook'] * 1e3:.0f}", f"{J_notebook:.10f}"],
         ["sknn_digits", f"{t['package'] * 1e3:.1f}", f"{J_package:.10f}"]],
        f"5000×400 data, 25 hidden units, 10 outputs, both on the BLAS threads the process "
        f"started with ({blas_threads_now()}): sknn_digits is "
        f"**{t['notebook'] / t['package']:.0f}× faster** and agrees on J. (The floor table "
        "above times one thread, so its figures for the same size are larger.)",
    )
    return t["notebook"] / t["package"]


def fits_against_mlp(report, datasets, repeats, seeds=(0, 1, 2)):
    """Whole fits against MLPClassifier(solver='lbfgs'): at one BLAS thread and at its default.

    Each cell is the time of one fit per seed in ``seeds`` (their starting
    weights differ, and so do the iterations to converge), summed.
    """
    rows, ratios = [], {}
    for name, (X, y), hidden, max_iter, output in datasets:
        X_train, X_test, y_train, y_test = train_test_split(
            X / X.max(), y, test_size=0.25, stratify=y, random_state=0)
        sizes = hidden if isinstance(hidden, tuple) else (hidden,)
        ours = [BackpropMLPClassifier(hidden_layer_sizes=sizes, alpha=1.0, max_iter=max_iter,
                                      output_activation=output, random_state=seed)
                for seed in seeds]
        theirs = [MLPClassifier(hidden_layer_sizes=sizes, activation="logistic",
                                solver="lbfgs", alpha=1.0, max_iter=max_iter, random_state=seed)
                  for seed in seeds]

        def fits(models, threads):
            def fit():
                with threadpool_limits(threads, "blas") if threads else nullcontext():
                    for model in models:
                        model.fit(X_train, y_train)
            return fit

        runs = interleaved_runs({"ours": fits(ours, 1), "mlp": fits(theirs, 1),
                                 "mlp default": fits(theirs, None)}, repeats)
        t = {name: statistics.median(values) for name, values in runs.items()}
        worst = max(a / b for a, b in zip(runs["ours"], runs["mlp"]))  # each run's ratio
        a_ours = np.mean([model.score(X_test, y_test) for model in ours])
        a_mlp = np.mean([model.score(X_test, y_test) for model in theirs])
        label = (f"{name.split()[-1]} {sizes}"  # the data's side and the hidden sizes
                 + (", softmax" if output == "softmax" else ""))
        ratios[label] = t["ours"] / t["mlp"]
        iterations = lambda models: "/".join(str(m.n_iter_) for m in models)  # noqa: E731
        rows.append([name, f"{X.shape[0]}×{X.shape[1]}, hidden {sizes}, {output} outputs",
                     f"{t['ours']:.2f} ({iterations(ours)} it.)",
                     f"{t['mlp']:.2f} ({iterations(theirs)} it.)", f"{t['mlp default']:.2f}",
                     f"**{ratios[label]:.2f}** (worst run {worst:.2f})",
                     f"{t['ours'] / t['mlp default']:.2f}", f"{a_ours:.4f}", f"{a_mlp:.4f}",
                     _met(worst, 0.7) if abs(a_ours - a_mlp) <= 0.003 else "accuracy"])
    report.table(
        "A whole fit against MLPClassifier(solver='lbfgs', activation='logistic')",
        ["data", "problem", "ours, 1 thread (s)", "MLP, 1 thread (s)", "MLP, default threads (s)",
         "ratio to MLP at 1 thread", "ratio to MLP default", "ours: held-out acc.",
         "MLP: held-out acc.", "goal ≤ 0.7 met"],
        rows,
        f"Fits of {len(seeds)} seeds each, summed. Same hidden sizes, alpha = 1, max_iter and "
        "tol = 1e-4, and each stops by its own default rule: MLPClassifier's L-BFGS-B when "
        "the gradient is under tol; ours then too, or when J has not fallen by tol for more "
        "than n_iter_no_change = 10 iterations, whichever comes first. So the iterations "
        "differ and are shown. MLPClassifier always has softmax outputs; ours "
        "have the course's sigmoid units unless the row says softmax (then both fit the same "
        "model). MLPClassifier is fastest on one BLAS thread for these sizes, so the fair "
        "ratio is against that. Medians of the runs, and the worst run's ratio. Goal: ≤ 0.7 in "
        "every run at equal held-out accuracy (within 0.3 points).",
    )
    return ratios


class _IterationModels:
    """A scikit-learn fit callback that keeps each iteration's model and when it was made."""

    def setup(self, estimator, context):
        self.start, self.models = time.perf_counter(), []

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kwargs):
        if fitted_estimator is not None:
            self.models.append((time.perf_counter() - self.start, fitted_estimator))
        return False


def time_to_accuracy(report, datasets, hidden, path):
    """Seconds for our fit to reach the held-out accuracy MLPClassifier's default fit ends at.

    For each training size, MLPClassifier(lbfgs, logistic) fits with its
    defaults (max_iter=200) and is timed; ours fits with its defaults while a
    fit callback keeps the model of every iteration and its time since the
    fit began (a fit stopped at max_iter=k is that model, after that time).
    Each is scored on the held-out set afterwards.  Everything on one BLAS
    thread.
    """
    rows, ratios, curves = [], {}, {}
    for n_train, (X, y) in datasets:
        X_train, X_test, y_train, y_test = train_test_split(
            X / X.max(), y, train_size=n_train, test_size=n_train // 3, stratify=y,
            random_state=0)
        theirs = MLPClassifier(hidden_layer_sizes=hidden, activation="logistic",
                               solver="lbfgs", alpha=1.0, random_state=0)
        monitor = _IterationModels()
        ours = BackpropMLPClassifier(hidden_layer_sizes=hidden, alpha=1.0,
                                     random_state=0).set_callbacks(monitor)
        with threadpool_limits(1, "blas"):
            t = interleaved({"mlp": lambda: theirs.fit(X_train, y_train),
                             "ours": lambda: ours.fit(X_train, y_train)}, 1)
        target = theirs.score(X_test, y_test)
        curve = [(seconds, model.score(X_test, y_test)) for seconds, model in monitor.models]
        first = next((i for i, (_, a) in enumerate(curve) if a >= target), None)
        stays = next((i for i in range(len(curve)) if all(a >= target for _, a in curve[i:])),
                     None)
        ratios[n_train] = None if first is None else curve[first][0] / t["mlp"]
        curves[n_train] = (curve, (t["mlp"], target))

        def cell(i):
            return "not reached" if i is None else f"{curve[i][0]:.2f} s (iteration {i + 1})"

        final = ours.score(X_test, y_test)
        rows.append([f"{n_train}×{X.shape[1]}",
                     f"{t['mlp']:.2f} s, {theirs.n_iter_} it., {100 * target:.1f} %",
                     f"{t['ours']:.2f} s, {ours.n_iter_} it., {100 * final:.1f} %",
                     cell(first), cell(stays),
                     "—" if first is None else f"**{ratios[n_train]:.2f}**",
                     "**no**" if first is None else _met(ratios[n_train], 0.7)])
    report.table(
        f"Time to MLPClassifier's accuracy: 784-feature digits, {hidden} hidden, one BLAS thread",
        ["training rows", "MLPClassifier's default fit", "our default fit",
         "ours first reaches its accuracy", "ours stays at or above it from", "time ratio",
         "goal ≤ 0.7 met"], rows,
        "Both with alpha = 1 and their default max_iter (200 for MLPClassifier, 400 for "
        "ours, which also stops when J has not fallen by tol for 10 iterations). Our "
        "iterations' models are kept by a scikit-learn fit callback and scored afterwards; "
        "the time ratio is the time ours first reaches MLPClassifier's final held-out "
        "accuracy over MLPClassifier's whole fit. Held-out accuracy moves up and down by "
        "a few tenths between iterations, so the column before gives the iteration from "
        "which it no longer falls below. Held-out sets are a third the size of the "
        "training set. The data are the bundled digits enlarged to 28×28, shifted and "
        "noised (benchmarks/run.py's digits_784), since the benchmark runs offline.")
    _plot_time_to_accuracy(path, curves, hidden)
    return ratios


def _plot_time_to_accuracy(path, curves, hidden):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for (n_train, (curve, (t_mlp, target))), colour in zip(curves.items(), ("C0", "C1")):
        ax.plot([t for t, _ in curve], [100 * a for _, a in curve], "-", color=colour,
                label=f"sknn_digits, {n_train} rows")
        ax.plot([t_mlp], [100 * target], "s", color=colour, markersize=9, fillstyle="none",
                label=f"MLPClassifier's default fit, {n_train} rows")
    ax.set_xscale("log")
    ax.set_xlabel("seconds (one BLAS thread)")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_title(f"Time to accuracy, 784-feature digits, {hidden} hidden")
    ax.legend(fontsize="small")
    fig.tight_layout()
    write_atomic(path, lambda temporary: fig.savefig(temporary, format="png", dpi=100),
                 overwrite=True)
    plt.close(fig)


def _readme_split(X, y):
    """The Quick start's training rows: ``train_test_split(X, y, stratify=y, random_state=0)``."""
    X_train, _, y_train, _ = train_test_split(X, y, stratify=y, random_state=0)
    return X_train, y_train


def _readme_search(estimator, hidden, n_jobs):
    """The README's GridSearchCV: scaler + network, alpha × hidden sizes, 5 folds."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    name = type(estimator).__name__.lower()
    return GridSearchCV(make_pipeline(MinMaxScaler(), estimator),
                        {f"{name}__alpha": [0.1, 1.0, 3.0],
                         f"{name}__hidden_layer_sizes": hidden},
                        cv=5, n_jobs=n_jobs)


def grid_search_against_mlp(report, X, y, hidden, repeats):
    """The README's grid search for both estimators, with n_jobs 1 (once) and 2 (medians of
    ``repeats``: the goal is set for n_jobs=2).

    Both estimators with their defaults (MLPClassifier with solver='lbfgs'
    and logistic units, as the README's comparison says), on the README's
    training split of the digits.
    """
    X_train, y_train = _readme_split(X, y)
    rows, ratios = [], {}
    for n_jobs in (1, 2):
        _warm_workers(n_jobs)  # whichever runs first must not pay the workers' start-up
        grids = {"ours": _readme_search(BackpropMLPClassifier(random_state=0), hidden, n_jobs),
                 "mlp": _readme_search(MLPClassifier(activation="logistic", solver="lbfgs",
                                                     random_state=0), hidden, n_jobs)}
        t = interleaved({name: (lambda g=g: g.fit(X_train, y_train))
                         for name, g in grids.items()}, repeats if n_jobs == 2 else 1)
        ratios[n_jobs] = t["ours"] / t["mlp"]
        close = abs(grids["ours"].best_score_ - grids["mlp"].best_score_) <= 0.005
        rows.append([n_jobs, f"{t['ours']:.1f}", f"{t['mlp']:.1f}", f"**{ratios[n_jobs]:.2f}**",
                     f"{grids['ours'].best_score_:.4f}", f"{grids['mlp'].best_score_:.4f}",
                     _met(ratios[n_jobs], 0.6) if close else "accuracy"])
    report.table(
        f"GridSearchCV: the README's search (alpha in [0.1, 1.0, 3.0] × hidden in "
        f"{[h if isinstance(h, int) else tuple(h) for h in hidden]} × 5 folds)",
        ["n_jobs", "ours (s)", "MLPClassifier (s)", "time ratio", "ours: best CV acc.",
         "MLP: best CV acc.", "goal ≤ 0.6 met"],
        rows,
        f"MinMaxScaler + classifier on the README's training split of the bundled digits "
        f"({len(X_train)} rows), each estimator with its defaults and its default threads "
        "(under n_jobs=2, joblib gives each worker one BLAS thread). n_jobs=2: medians of "
        f"{repeats} interleaved runs. Goal ≤ 0.6 at equal best CV accuracy (within half a "
        "point).",
    )
    return ratios[2]


def grid_search_backends(report, X, y, hidden, repeats):
    """Our README search sequentially, and with n_jobs=2 in processes (loky) and in threads."""
    import resource

    from joblib import parallel_config

    X_train, y_train = _readme_split(X, y)
    _warm_workers(2)
    switches = {}

    def search(backend):
        def run():
            grid = _readme_search(BackpropMLPClassifier(random_state=0), hidden,
                                  1 if backend is None else 2)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw
            with parallel_config(backend=backend) if backend else nullcontext():
                grid.fit(X_train, y_train)
            switches[backend] = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - before
            scores[backend] = grid.cv_results_["mean_test_score"]
        return run

    scores = {}
    t = interleaved({backend: search(backend) for backend in (None, "loky", "threading")},
                    repeats)

    def mlp_search(backend):  # MLPClassifier's own ratio, measured beside ours
        def run():
            grid = _readme_search(MLPClassifier(activation="logistic", solver="lbfgs",
                                                random_state=0), hidden, 2)
            with parallel_config(backend=backend):
                grid.fit(X_train, y_train)
        return run

    t_mlp = interleaved({backend: mlp_search(backend) for backend in ("loky", "threading")},
                        repeats)
    same = all(np.array_equal(scores[None], scores[b]) for b in ("loky", "threading"))
    ratio_loky, ratio_sequential = t["threading"] / t["loky"], t["threading"] / t[None]
    rows = [["sequential (n_jobs=1)", f"{t[None]:.1f}", f"{switches[None]}", "1.00"],
            ["loky processes, n_jobs=2", f"{t['loky']:.1f}", f"{switches['loky']}",
             f"{t['loky'] / t[None]:.2f}"],
            ["threads, n_jobs=2", f"{t['threading']:.1f}", f"{switches['threading']}",
             f"**{ratio_sequential:.2f}**"]]
    report.table(
        "Fits side by side: the README's search in processes and in threads",
        ["backend", "time (s)", "this process's waits (voluntary context switches)",
         "time / sequential"], rows,
        f"Medians of {repeats} interleaved runs; every candidate's CV score "
        f"{'equal' if same else '**not equal**'} across the three. Threads take "
        f"**{ratio_loky:.2f}×** loky's time (goal ≤ 1.2: "
        f"{_met(ratio_loky, 1.2).strip('*')}) and {ratio_sequential:.2f}× the sequential "
        f"search's (goal ≤ 1: {_met(ratio_sequential, 1.0).strip('*')}); MLPClassifier's "
        f"same search takes {t_mlp['threading'] / t_mlp['loky']:.2f}× its loky time in "
        f"threads ({t_mlp['threading']:.1f} s against {t_mlp['loky']:.1f} s). The compiled "
        "kernel evaluates without the interpreter lock; a thread still waits for it around "
        "L-BFGS-B's own step, which holds it.",
    )
    return ratio_loky
def _import_both():
    import sklearn.neural_network  # noqa: F401

    import sknn_digits.estimator  # noqa: F401


def _warm_workers(n_jobs):
    """Start joblib's reusable worker processes and import both estimators in them."""
    from joblib import Parallel, delayed

    Parallel(n_jobs=n_jobs)(delayed(_import_both)() for _ in range(4 * n_jobs))


def float32_against_float64(report, X, y, hidden, max_iter, repeats):
    X_train, X_test, y_train, y_test = train_test_split(
        X / X.max(), y, test_size=0.25, stratify=y, random_state=0)
    X32_train, X32_test = X_train.astype(np.float32), X_test.astype(np.float32)
    models = {dtype: BackpropMLPClassifier(hidden_layer_sizes=hidden, max_iter=max_iter,
                                           random_state=0) for dtype in ("64", "32")}
    t = interleaved({"64": lambda: models["64"].fit(X_train, y_train),
                     "32": lambda: models["32"].fit(X32_train, y_train)}, repeats)
    a64, a32 = models["64"].score(X_test, y_test), models["32"].score(X32_test, y_test)
    speedup = t["64"] / t["32"]
    report.table(
        "float32 against float64, the same fit",
        ["dtype", "fit (s)", "held-out accuracy"],
        [["float64", f"{t['64']:.2f}", f"{a64:.4f}"], ["float32", f"{t['32']:.2f}", f"{a32:.4f}"]],
        f"float32 is **{speedup:.2f}×** faster (goal ≥ 1.6× at the same accuracy); "
        f"{X.shape[0]}×{X.shape[1]}, {hidden} hidden, {max_iter} iterations.",
    )
    return speedup


def cost_growth(report, sizes, n, h, k, repeats):
    rows, per_sample = [], []
    for m in sizes:
        X, Y = problem(m, n, k)
        params = initial_params((n, h, k), random_state=0)
        network = Network((n, h, k))
        t = interleaved({"eval": lambda: network.loss_gradient(params, X, Y, alpha=1.0)},
                        repeats)
        per_sample.append(t["eval"] / m)
        rows.append([m, f"{t['eval'] * 1e3:.1f}", f"{t['eval'] / m * 1e6:.2f}"])
    report.table(
        f"Growth of one evaluation with the number of samples ({n} features, {h} hidden)",
        ["samples", "evaluation (ms)", "µs per sample"], rows,
        "Linear growth shows as a constant time per sample.",
    )
    return rows


def peak_memory(report, sizes, n, h, k):
    rows = []
    for m in sizes:
        X, y = problem(m, n, k)
        y = y.argmax(axis=1)
        tracemalloc.start()
        BackpropMLPClassifier(hidden_layer_sizes=h, max_iter=5, random_state=0).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        activations = m * (h + k) * 8
        rows.append([m, f"{X.nbytes / 2**20:.0f}", f"{activations / 2**20:.1f}",
                     f"{peak / 2**20:.1f}", f"{peak / activations:.1f}"])
    report.table(
        "Peak memory of a fit (5 iterations), beyond the caller's X",
        ["samples", "X (MiB)", "activations (MiB)", "peak allocated (MiB)",
         "peak / activations"],
        rows,
        f"{n} features, {h} hidden, {k} outputs, measured with tracemalloc. X itself is "
        "not copied (it has no duplicate rows) and no evaluation allocates anything of its "
        "size. The peak is three activation-sized buffers reused by every evaluation plus "
        "L-BFGS-B's history (2 × 10 vectors of n_params, 36 MiB here), which does not grow "
        "with the samples: the ratio falls towards 3 as m grows.",
    )
    return rows


@contextmanager
def another_program_busy():
    """A second process keeping one core busy, as another user's job would."""
    # It ends with the benchmark: a killed run once left one spinning beside the next.
    burner = subprocess.Popen([sys.executable, "-c", f"import os\nwhile os.getppid() == "
                               f"{os.getpid()}: pass"])
    time.sleep(0.3)
    try:
        yield
    finally:
        burner.kill()
        burner.wait()


def thread_policy(report, cases, repeats):
    """Fit time with 1 BLAS thread against 2, across problem sizes, on a quiet and a loaded
    machine."""
    rows = []
    for m, n, h, k, max_iter in cases:
        X, Y = problem(m, n, k)
        y = Y.argmax(axis=1)
        fits = {threads: BackpropMLPClassifier(hidden_layer_sizes=h, max_iter=max_iter,
                                               random_state=0, n_threads=threads)
                for threads in (1, 2)}
        flops = 3 * m * (n * h + h * k)
        timings = {}
        for load in ("quiet", "loaded"):
            with another_program_busy() if load == "loaded" else nullcontext():
                chosen = _threads._wanted(None, (n, h, k), m, 2)
                t = interleaved({threads: (lambda f=f: f.fit(X, y)) for threads, f in fits.items()},
                                repeats)
            timings[load] = (t[1], t[2], chosen)
        with threadpool_limits(2, "blas"):  # what a fit with no thread policy would use
            everything = interleaved({"all": lambda: _fit_without_policy(X, y, h, max_iter)},
                                     repeats)["all"]
        quiet, loaded = timings["quiet"], timings["loaded"]
        rows.append([f"{m}×{n}, {h} hidden", f"{flops:.1e}", f"{quiet[0]:.2f}", f"{quiet[1]:.2f}",
                     f"{everything:.2f}", quiet[2], f"{loaded[0]:.2f}", f"{loaded[1]:.2f}",
                     loaded[2]])
    report.table(
        "BLAS threads: fits on 1 thread or 2, on a quiet "
        "machine and with another program keeping one core busy",
        ["problem", "multiply-adds per evaluation", "quiet: 1 thread (s)", "quiet: 2 (s)",
         "quiet: 2 threads everywhere (s)", "quiet: picks", "loaded: 1 thread (s)",
         "loaded: 2 (s)", "loaded: picks"],
        rows,
        "L-BFGS-B's own work is on vectors of n_params; a second thread there only "
        "costs time in a small fit.  With n_threads=None a fit picks its "
        "threads by the problem's size alone: on a loaded machine the user sets n_threads.",
    )
    return rows


def _fit_without_policy(X, y, hidden, max_iter):
    """The same fit with every BLAS library left at the threads it has."""
    from contextlib import contextmanager

    @contextmanager
    def untouched(*args):
        yield None

    real, _training.blas_threads = _training.blas_threads, untouched
    try:
        BackpropMLPClassifier(hidden_layer_sizes=hidden, max_iter=max_iter,
                              random_state=0).fit(X, y)
    finally:
        _training.blas_threads = real


class _StopAt(Observer):
    """Stops a fit at its first iteration with ``J`` at or below ``target``."""

    reason = "J reached the target"

    def __init__(self, target):
        self.target = target

    def step(self, step):
        return step.loss <= self.target


def second_order(report, X, y, repeats):
    """Time for Newton-type solvers to reach the loss L-BFGS-B reaches.

    Each timed fit stops at its own first iteration at or below the target,
    so the time is the time to reach it in that very run (trust-krylov's
    path differs from one fit to the next, so a fit stopped at an iteration
    count read from an earlier fit need not reach it).
    """
    X = X / X.max()
    reference = BackpropMLPClassifier(max_iter=100, random_state=0).fit(X, y)
    target = reference.loss_
    rows = []
    for solver in ("L-BFGS-B", "Newton-CG", "trust-ncg", "trust-krylov"):
        model = BackpropMLPClassifier(solver=solver, max_iter=400, random_state=0)
        fits = []

        def fit():
            with observing(_StopAt(target)):
                model.fit(X, y)
            fits.append((model.n_iter_, model.loss_))

        t = interleaved({"fit": fit}, repeats)
        iterations = sorted({n for n, _ in fits})
        worst = max(J for _, J in fits)
        rows.append([solver, "–".join(str(n) for n in iterations[:: max(1, len(iterations) - 1)]),
                     f"{worst:.4f}" if worst <= target else f"{worst:.4f} (not reached)",
                     f"{t['fit']:.2f}"])
    report.table(
        f"Second-order solvers: time to reach J = {target:.4f} (L-BFGS-B after 100 iterations)",
        ["solver", "iterations", "J (the highest of the runs)", "time (s)"], rows,
        "Bundled digits, 25 hidden units, alpha = 1, each fit stopped at its first iteration "
        "at or below the target (a range of iterations where runs differ). Newton-CG and the "
        "trust-region methods use exact Hessian-vector products.",
    )
    return rows


def _bar_panel(ax, labels, values, colour, goal, goal_label, xlabel, title):
    """Horizontal bars of ratios, each with its value, the goal dashed in red and parity (1.0)
    in grey: labels read across, at the size of the page's text."""
    positions = range(len(values))[::-1]  # the first row on top
    ax.barh(positions, values, color=colour)
    ax.set_yticks(positions, labels, fontsize=11)
    for y, value in zip(positions, values):
        ax.text(value, y, f" {value:.2f}", va="center", fontsize=11)
    ax.axvline(goal, color="red", linestyle="--", label=goal_label)
    ax.axvline(1.0, color="gray", linewidth=0.8)
    ax.set_xlim(0, max(*values, goal, 1.0) * 1.5)  # room for the legend beside the bars
    ax.set_xlabel(xlabel, fontsize=11)
    ax.set_title(title, fontsize=12)
    ax.legend(fontsize=10, loc="lower right")


def plot(path, floor_bars, fit_ratios, grid_ratio, f32_speedup):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 9),
                                      height_ratios=[len(floor_bars), len(fit_ratios) + 2])
    _bar_panel(top, [label.replace("\n", ", ") for label, _ in floor_bars],
               [ratio for _, ratio in floor_bars], "#4c72b0", 1.15, "goal 1.15",
               "evaluation time / its floor (the slower entry)",
               "Cost and gradient against the floor")
    _bar_panel(bottom, [*(f"fit {label}" for label in fit_ratios), "grid search, n_jobs=2",
                        "float32 (1 / speed-up)"],
               [*fit_ratios.values(), grid_ratio, 1 / f32_speedup], "#55a868",
               0.7, "goal 0.7 (grid search 0.6, float32 0.625)", "time ratio (lower is faster)",
               "sknn_digits / MLPClassifier at one thread; float32 / float64")
    fig.tight_layout()
    write_atomic(path, lambda temporary: fig.savefig(temporary, format="png", dpi=100),
                 overwrite=True)


def parse_options(description, name, docs, argv):
    """``--quick``, and where the results go: ``--out`` (not over a file without
    ``--force``), or with ``--update-docs`` the tracked copy the docs show."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller problems, fewer repeats")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / name,
                        help="where to write the results")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument("--update-docs", action="store_true",
                        help=f"write {docs}, the tables the docs show")
    args = parser.parse_args(argv)
    if not args.update_docs and args.out.exists() and not args.force:
        parser.error(f"{args.out} exists; use --force to replace it")
    return args


def _blas_owner(filepath):
    """Which package brought a BLAS library, from where it lives (numpy.libs, scipy.libs, ...)."""
    parts = Path(filepath).parts
    for part in reversed(parts[:-1]):
        if part.endswith(".libs") or part in ("numpy", "scipy", "torch"):
            return part.removesuffix(".libs").lstrip("_").split("_")[0]
    return Path(filepath).name


def main(argv=None):
    args = parse_options(__doc__.split("\n\n")[0], "sknn_digits_benchmark.md",
                         "benchmarks/results.md and docs/_static/benchmark.png", argv)
    quick = args.quick
    repeats = 2 if quick else 5
    blas = "; ".join(f"{_blas_owner(i['filepath'])}: {i['internal_api']} {i.get('version') or ''}"
                     f" ({i['num_threads']} threads)"
                     for i in threadpool_info() if i["user_api"] == "blas")
    header = (f"sknn_digits {sknn_digits.__version__}, numpy {np.__version__}, scipy "
              f"{scipy.__version__}, scikit-learn {sklearn.__version__}, Python "
              f"{platform.python_version()}, {platform.machine()}, kernel: {kernel()}, "
              f"BLAS: {blas}"
              f"{' (--quick)' if quick else ''}")
    print(header, "\n")
    if args.update_docs:
        results = ROOT / "benchmarks" / "results.md"
        picture = ROOT / "docs" / "_static" / "benchmark.png"
        curves = ROOT / "docs" / "_static" / "time_to_accuracy.png"
    else:
        results = args.out
        picture = results.with_suffix(".png")
        curves = results.with_name(results.stem + "_time_to_accuracy.png")
    results.parent.mkdir(parents=True, exist_ok=True)
    report = Report(results, header)

    mnist_m = 10000 if quick else 60000
    floor_bars = cost_against_floor(
        report, [(1437, 64, 25, 10, 1), (1437, 64, 100, 10, 1), (5000, 400, 25, 10, 1),
                 (mnist_m, 784, 300, 10, 1), (mnist_m, 784, 300, 10, 2)], 3 if quick else 5)
    notebook_baseline(report, 3)
    X8, y8 = load_digits(return_X_y=True)
    X784, y784 = digits_784(copies=2 if quick else 3)
    fit_ratios = fits_against_mlp(
        report, [("digits 8×8", (X8, y8), 25, 400, "logistic"),
                 ("digits 8×8", (X8, y8), 100, 400, "logistic"),
                 ("digits 8×8", (X8, y8), (100, 50), 400, "logistic"),
                 ("digits 8×8", (X8, y8), 25, 400, "softmax"),
                 ("digits 8×8", (X8, y8), 100, 400, "softmax"),
                 *([] if quick else [("digits 28×28", (X784, y784), 100, 200, "logistic")])],
        1 if quick else 3, seeds=(0,) if quick else (0, 1, 2))
    readme_hidden = [25, 50, (50, 25)]
    grid_ratio = grid_search_against_mlp(report, X8, y8, readme_hidden, 1 if quick else 3)
    grid_search_backends(report, X8, y8, readme_hidden, 1 if quick else 3)
    time_to_accuracy(report, [(4000, digits_784(copies=4)), (16000, digits_784(copies=12))]
                     if not quick else [(2000, (X784, y784))], 100, curves)
    f32 = float32_against_float64(report, X784, y784, 100, 100 if quick else 200, repeats)
    cost_growth(report, [5000, 10000 if quick else 20000] + ([] if quick else [60000]), 784,
                300, 10, 2 if quick else 3)
    peak_memory(report, [5000, 10000 if quick else 20000], 784, 300, 10)
    thread_policy(report, [*([] if quick else [(500, 64, 25, 10, 100)]),
                           (1797, 64, 25, 10, 100), (5000, 400, 25, 10, 50),
                           *([] if quick else [(20000, 784, 100, 10, 10),
                                               (60000, 784, 300, 10, 5)])], repeats)
    if not quick:  # the second-order solvers take their time
        second_order(report, X8, y8, repeats)

    plot(picture, floor_bars, fit_ratios, grid_ratio, f32)
    print(f"Wrote {results} and {picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
