"""The default stopping rule on a panel of data sets: held-out accuracy and cost evaluations.

Each data set is split 75/25 (stratified) for each of three seeds; every model has 25
logistic hidden units and alpha = 1.  MLPClassifier (L-BFGS-B, stopping when the
gradient is under its tol = 1e-4) is compared with BackpropMLPClassifier under its
cost test at several tolerances (J, in nats per sample, not falling by ``tol`` for more
than 10 iterations).  Accuracy and evaluations are counts, not timings: a busy machine
does not change them.

    python benchmarks/stopping.py [--out benchmarks/stopping_results.md]
"""

import argparse
import sys
import warnings

import numpy as np
from scipy import ndimage
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknn_digits import BackpropMLPClassifier

TOLERANCES = (1e-4, 3e-4, 1e-3)
SEEDS = (0, 1, 2)


def panel():
    """(name, X, y) for each data set of the panel."""
    digits_X, digits_y = load_digits(return_X_y=True)
    # 784-feature digits: each 8x8 image enlarged to 28x28 (linear interpolation).
    big = np.stack([ndimage.zoom(image.reshape(8, 8), 3.5, order=1).ravel()
                    for image in digits_X])
    # The course's shape: 5000 x 400, ten classes.
    course_X, course_y = make_classification(5000, 400, n_informative=60, n_redundant=40,
                                             n_classes=10, n_clusters_per_class=2,
                                             class_sep=2.0, random_state=0)
    synthetic_X, synthetic_y = make_classification(2000, 20, n_informative=10, n_classes=3,
                                                   random_state=0)
    sets = [("digits 1797×64", MinMaxScaler().fit_transform(digits_X), digits_y),
            ("digits 1797×784", MinMaxScaler().fit_transform(big), digits_y),
            ("course shape 5000×400", StandardScaler().fit_transform(course_X), course_y),
            ("iris", *load_iris(return_X_y=True)),
            ("wine", *load_wine(return_X_y=True)),
            ("breast cancer", *load_breast_cancer(return_X_y=True)),
            ("make_classification 2000×20", synthetic_X, synthetic_y)]
    return [(name, StandardScaler().fit_transform(X) if name in ("iris", "wine",
                                                                "breast cancer") else X, y)
            for name, X, y in sets]


def run():
    rows = []
    for name, X, y in panel():
        results = {}
        for seed in SEEDS:
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.25, stratify=y, random_state=seed)
            models = {"MLPClassifier": MLPClassifier(
                (25,), activation="logistic", solver="lbfgs", alpha=1.0, max_iter=400,
                random_state=seed)}
            for tol in TOLERANCES:
                models[tol] = BackpropMLPClassifier(hidden_layer_sizes=25, alpha=1.0,
                                                    tol=tol, random_state=seed)
            for key, model in models.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X_train, y_train)
                results.setdefault(key, []).append((model.score(X_test, y_test),
                                                    model.n_iter_))
        accuracy = {k: 100 * np.mean([a for a, _ in v]) for k, v in results.items()}
        iterations = {k: np.mean([n for _, n in v]) for k, v in results.items()}
        rows.append((name, accuracy, iterations))
        print(name, {str(k): f"{accuracy[k]:.2f}% {iterations[k]:.0f} it" for k in accuracy},
              flush=True)
    return rows


def table(rows):
    keys = ["MLPClassifier", *TOLERANCES]
    header = ("| data set | " + " | ".join(
        f"{'MLPClassifier' if k == 'MLPClassifier' else f'tol={k:g}'}: accuracy, iterations"
        for k in keys) + " |")
    lines = [header, "|" + "---|" * (len(keys) + 1)]
    for name, accuracy, iterations in rows:
        lines.append(f"| {name} | " + " | ".join(
            f"{accuracy[k]:.2f}%, {iterations[k]:.0f}" for k in keys) + " |")
    total = {k: sum(it[k] for _, _, it in rows) for k in keys}
    lines.append("| all: iterations against tol=0.0001 | " + " | ".join(
        f"{total[k] / total[1e-4]:.2f}" for k in keys) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="write the table (markdown) to this file")
    args = parser.parse_args(argv)
    text = ("## The stopping rule on a panel of data sets\n\n"
            "Held-out accuracy (mean of 3 seeds, 25% held out) and iterations (mean); "
            "25 logistic hidden units, alpha = 1.\n\n" + table(run()) + "\n")
    print(text)
    if args.out:
        from pathlib import Path

        from sknn_digits._files import write_atomic

        write_atomic(args.out, lambda temporary: Path(temporary).write_text(text),
                     overwrite=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
