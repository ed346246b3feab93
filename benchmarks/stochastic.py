"""The stochastic solvers against MLPClassifier's: the same epochs, side by side.

For each data set and solver, ``sknn_digits.MLPClassifier`` and
scikit-learn's ``MLPClassifier`` get the same parameters (scikit-learn's
defaults but for those named in the table) and run the same number of
epochs (``n_iter_no_change=inf``, so neither stops early); the table gives
the time per epoch at one BLAS thread and at the default threads, the ratio,
and the held-out accuracy of each, averaged over three seeds.  Run from the
project's root::

    python benchmarks/stochastic.py            # about two minutes on 2 cores
    python benchmarks/stochastic.py --quick

``--update-docs`` writes ``benchmarks/stochastic_results.md``, which the
performance page cites.
"""

import statistics
import sys
import warnings
from contextlib import nullcontext

import numpy as np
import scipy
import sklearn
from run import ROOT, Report, digits_784, interleaved_runs, parse_options
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as Original
from threadpoolctl import threadpool_limits

import sknn_digits
from sknn_digits import MLPClassifier


def epochs_against_mlp(report, datasets, repeats, seeds):
    rows = []
    for name, (X, y), solver, params, epochs in datasets:
        X_train, X_test, y_train, y_test = train_test_split(
            X / X.max(), y, test_size=0.25, stratify=y, random_state=0)
        settings = {"solver": solver, "max_iter": epochs, "n_iter_no_change": np.inf, **params}
        ours = [MLPClassifier(random_state=seed, **settings) for seed in seeds]
        theirs = [Original(random_state=seed, **settings) for seed in seeds]

        def fits(models, threads):
            def fit():
                with threadpool_limits(threads, "blas") if threads else nullcontext(), \
                        warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    for model in models:
                        model.fit(X_train, y_train)
            return fit

        runs = interleaved_runs({"ours 1": fits(ours, 1), "mlp 1": fits(theirs, 1),
                                 "ours": fits(ours, None), "mlp": fits(theirs, None)}, repeats)
        per_epoch = {key: 1000 * statistics.median(values) / (epochs * len(seeds))
                     for key, values in runs.items()}
        worst = max(a / b for a, b in zip(runs["ours 1"], runs["mlp 1"]))
        accuracy = [np.mean([m.score(X_test, y_test) for m in models])
                    for models in (ours, theirs)]
        ratio_1 = per_epoch["ours 1"] / per_epoch["mlp 1"]
        ratio = per_epoch["ours"] / per_epoch["mlp"]
        described = ", ".join([solver, *(f"{k}={v}" for k, v in params.items())])
        rows.append([name, f"{X_train.shape[0]}×{X.shape[1]}", described,
                     epochs, f"{per_epoch['ours 1']:.1f}", f"{per_epoch['mlp 1']:.1f}",
                     f"**{ratio_1:.2f}** (worst run {worst:.2f})", f"{per_epoch['ours']:.1f}",
                     f"{per_epoch['mlp']:.1f}", f"**{ratio:.2f}**",
                     f"{accuracy[0]:.4f}", f"{accuracy[1]:.4f}",
                     "yes" if max(worst, ratio) <= 0.8 and abs(accuracy[0] - accuracy[1]) <= 0.005
                     else "**no**"])
    report.table(
        "Epochs of sgd and adam against MLPClassifier's",
        ["data", "training rows × features", "solver and settings", "epochs",
         "ours, 1 thread (ms/epoch)", "MLP, 1 thread (ms/epoch)", "ratio at 1 thread",
         "ours, default threads (ms/epoch)", "MLP, default threads (ms/epoch)",
         "ratio at default threads", "ours: held-out acc.", "MLP: held-out acc.",
         "goal ≤ 0.8 met"],
        rows,
        f"100 relu hidden units, softmax outputs, alpha = 1e-4, batch_size 'auto' (200), "
        f"every other parameter at MLPClassifier's default; {len(seeds)} seeds, each fit "
        "running exactly the epochs shown (n_iter_no_change = inf). Times per epoch are "
        "medians of interleaved runs; the worst run's ratio beside the median. Accuracy on "
        "the held-out quarter, the seeds' mean. The two draw different initial weights and "
        "shuffles from the same seed (ours: Glorot's uniform range sqrt(6 / (fan_in + "
        "fan_out)) for every activation, scikit-learn's: sqrt(2 / ...) for logistic units), "
        "so their accuracies differ by the spread of seeds. Goal: ≤ 0.8 of MLPClassifier's "
        "time at both thread settings, accuracy within half a point.")


def main(argv=None):
    args = parse_options(__doc__.split("\n\n")[0], "sknn_digits_stochastic.md",
                         "benchmarks/stochastic_results.md", argv)
    quick = args.quick
    header = (f"sknn_digits {sknn_digits.__version__}, numpy {np.__version__}, scipy "
              f"{scipy.__version__}, scikit-learn {sklearn.__version__}"
              f"{' (--quick)' if quick else ''}")
    results = ROOT / "benchmarks" / "stochastic_results.md" if args.update_docs else args.out
    report = Report(results, header)
    X8, y8 = load_digits(return_X_y=True)
    X784, y784 = digits_784(copies=1 if quick else 3)
    epochs_against_mlp(report, [
        ("digits 8×8", (X8, y8), "adam", {}, 10 if quick else 50),
        ("digits 8×8", (X8, y8), "sgd", {"learning_rate_init": 0.1}, 10 if quick else 50),
        ("digits 28×28", (X784, y784), "adam", {}, 5 if quick else 20),
        ("digits 28×28", (X784, y784), "sgd", {"learning_rate_init": 0.1}, 5 if quick else 20),
    ], 1 if quick else 3, (0,) if quick else (0, 1, 2))
    print(f"Wrote {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
