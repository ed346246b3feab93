"""The ``sknn-digits`` command line program.

With no arguments it trains the course's network on scikit-learn's bundled
digits and reports how well it does on digits it has not seen.  Subcommands
train, evaluate, grid-search, check gradients, draw pictures and read
handwritten digits from image files; ``sknn-digits COMMAND --help`` tells
more.  This is the only module that reads files the user named, prints
results or exits.
"""

import argparse
import json
import os
import sys
import warnings
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np

from . import __version__
from ._files import check_writable, write_atomic
from ._models import json_label
from ._observers import Observer, observing
from ._training import SOLVERS
from .core import ACTIVATIONS, OUTPUTS

# scikit-learn and the package's estimator-level modules are imported by the
# commands that use them, so --help and --version answer at once.

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, FileExistsError, ImportError, OSError)

DESCRIPTION = """\
The handwritten-digits backpropagation exercise as a command line tool.

With no COMMAND it trains the course's network (64-25-10, lambda = 1) on
scikit-learn's bundled 8x8 digits and reports its accuracy on digits it did
not learn from.  'sknn-digits COMMAND --help' tells more about each command."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions as written, and every option's default after its help."""


def _sizes(text):
    """'50' -> (50,), '50,25' -> (50, 25)."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive: {text!r}")
    return sizes


def _number(kind, test, requirement):
    """An argparse type: ``kind(text)``, refused unless ``test(value)`` holds."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}: {text!r}")
        return value

    return parse


_non_negative = _number(float, lambda v: np.isfinite(v) and v >= 0, "a finite number >= 0")
_fraction = _number(float, lambda v: np.isfinite(v) and 0 <= v < 1, "at least 0 and below 1")
_positive_int = _number(int, lambda v: v >= 1, "a whole number of at least 1")
_port = _number(int, lambda v: 0 <= v <= 65535, "a port number, 0..65535")


def _alphas(text):
    """'0.1,1,3' -> [0.1, 1.0, 3.0], each finite and >= 0."""
    return [_non_negative(part) for part in text.split(",")]


def _candidates(text):
    """'25;50;50,25' -> [(25,), (50,), (50, 25)]: ';' between networks, ',' between layers."""
    return [_sizes(part) for part in text.split(";")]


def _add_data(parser):
    parser.add_argument(
        "--data", default="digits",
        help="'digits' (scikit-learn's bundled 8x8 digits), a course .mat file "
             "(ex4data1.mat), an .npz (arrays X, y) or .csv (label last) file, or a folder "
             "of .npy chunks (X_0.npy, y_0.npy, X_1.npy, ...) read lazily on a cluster",
    )


def _add_scheduler(parser):
    parser.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="train on a Dask cluster: its scheduler's address (tcp://host:8786), or "
             "'local' for a cluster of this machine's cores; a folder of chunks needs one")


def _add_model_options(parser):
    parser.add_argument("--hidden", type=_sizes, default="25", metavar="SIZES",
                        help="hidden layer sizes, e.g. 25, or 50,25 for two layers")
    parser.add_argument("--alpha", type=_non_negative, default=1.0,
                        help="regularisation strength (the course's lambda)")
    parser.add_argument("--solver", choices=SOLVERS, default="L-BFGS-B",
                        help="the scipy.optimize.minimize method")
    parser.add_argument("--max-iter", type=_positive_int, default=400,
                        help="most solver iterations")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="logistic",
                        help="hidden-layer activation")
    parser.add_argument("--output-activation", choices=sorted(OUTPUTS), default="logistic",
                        help="output layer: sigmoid units (the course) or softmax")
    parser.add_argument("--random-state", type=int, default=0,
                        help="seed of the starting weights and of the test split")


def _build_parser():
    parser = _Parser(prog="sknn-digits", description=DESCRIPTION, formatter_class=_Help)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    def command(name, summary):
        return commands.add_parser(name, help=summary, description=summary + ".",
                                   formatter_class=_Help)

    train = command("train", "train a network, report held-out accuracy")
    _add_data(train)
    _add_model_options(train)
    train.add_argument("--test-size", type=_fraction, default=0.25,
                       help="fraction held out for testing (0 trains on all)")
    train.add_argument("--out", type=Path, help="save the trained model here (skops format)")
    train.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    train.add_argument("--quiet", action="store_true", help="no progress display")
    _add_scheduler(train)

    evaluate = command("evaluate", "accuracy, per-class report and confusion matrix")
    evaluate.add_argument("--model", type=Path, required=True, help="a saved model")
    _add_data(evaluate)
    evaluate.add_argument("--test-size", type=_fraction, default=0.25,
                          help="score the part `train` held out with the same --test-size "
                               "and --random-state (0 scores every sample)")
    evaluate.add_argument("--random-state", type=int, default=0, help="seed of the split")

    grid = command("grid-search", "cross-validated search over lambda and the hidden sizes")
    _add_data(grid)
    grid.add_argument("--alphas", type=_alphas, default="0.1,1,3", metavar="A,B,...",
                      help="values of lambda to try, ',' between them")
    grid.add_argument("--hidden", type=_candidates, default="25;50;100",
                      metavar="SIZES;SIZES;...",
                      help="networks to try, ';' between networks and ',' between the "
                           "layers of one: '25;50;50,25' is two one-layer networks and a "
                           "two-layer one")
    grid.add_argument("--cv", type=_positive_int, default=5, help="cross-validation folds")
    grid.add_argument("--n-jobs", type=int, default=None,
                      help="fits run in parallel (-1: one per core)")
    grid.add_argument("--max-iter", type=_positive_int, default=200,
                      help="most solver iterations per fit")
    grid.add_argument("--random-state", type=int, default=0,
                      help="seed of the weights and of the folds")
    _add_scheduler(grid)

    gradient = command("gradient-check", "backpropagation against numerical gradients")
    gradient.add_argument("--lambda", dest="lambda_", type=_non_negative, default=3.0,
                          metavar="LAMBDA", help="regularisation strength")
    gradient.add_argument("--verbose", action="store_true", help="print both gradients")

    show = command("show", "write pictures as PNG files")
    show.add_argument("--out-dir", type=Path, default=Path("."),
                      help="folder for the PNG files (made if missing)")
    show.add_argument("--model", type=Path, help="a saved model (default: train one)")
    _add_data(show)
    show.add_argument("--force", action="store_true", help="overwrite existing PNG files")

    predict = command("predict", "read the digit in each image file")
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    _add_reading_model(predict)
    predict.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                         help="dark ink on light paper: yes; light on dark: no")
    predict.add_argument("--json", action="store_true", help="print JSON for scripts")

    draw = command("draw", "a page in the browser to draw a digit on and watch the network "
                           "read it")
    _add_reading_model(draw)
    draw.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (the default is this machine only)")
    draw.add_argument("--port", type=_port, default=8765, help="port to listen on (0: any free)")
    draw.add_argument("--no-browser", action="store_true",
                      help="only print the page's address; do not open a browser")
    return parser


def _add_reading_model(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path,
                        help="a saved model (default: train one on the bundled digits)")
    source.add_argument("--ex4-weights", type=Path, help="the course's ex4weights.mat")


def main(argv=None):
    """Run ``sknn-digits``; returns the exit status."""
    args = _build_parser().parse_args(argv)
    try:
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return COMMANDS[args.command or "main"](args)
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the final flush
        return 0
    except USER_ERRORS as error:
        print(f"sknn-digits: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sknn-digits: interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------- commands


def _load(data):
    from sklearn.datasets import load_digits

    from .datasets import load_chunks, load_dataset

    if data == "digits":
        return load_digits(return_X_y=True)
    return load_chunks(data) if Path(data).is_dir() else load_dataset(data)


@contextmanager
def _cluster(address):
    """A client of the cluster at ``address`` ('local': one started here), or None."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError('--scheduler needs dask.distributed: pip install '
                          '"sknn_digits[cluster]"') from None
    with ExitStack() as stack:
        if address == "local":
            cluster = stack.enter_context(LocalCluster(
                threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=":0", silence_logs=40))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout="10s"))
            except (OSError, TimeoutError) as error:
                raise ValueError(f"cannot reach the Dask scheduler at {address}: "
                                 f"{error}") from None
        print(f"On the Dask cluster at {client.scheduler.address} "
              f"({len(client.scheduler_info()['workers'])} workers).")
        yield client


def _on_cluster(X, y, client, command):
    """``X`` and ``y`` as dask arrays spread over ``client``'s workers."""
    from . import _dask

    if client is None:
        if _dask.is_dask(X):
            raise ValueError(f"a folder of chunks is {command}ed on a Dask cluster: pass "
                             "--scheduler ADDRESS, or --scheduler local for this machine.")
        return None
    import dask.array as da

    if not _dask.is_dask(X):
        workers = max(1, len(client.scheduler_info()["workers"]))
        rows = -(-len(X) // (4 * workers))  # a few chunks per worker
        X, y = da.from_array(X, chunks=(rows, -1)), da.from_array(np.asarray(y), chunks=rows)
    return X, y


def _fitted_scaler(X):
    """MinMaxScaler(clip=True) fitted to dask ``X``'s columns: one pass on the workers."""
    import dask
    from sklearn.preprocessing import MinMaxScaler

    low, high = dask.compute(X.min(axis=0), X.max(axis=0))
    return MinMaxScaler(clip=True).fit(np.vstack([low, high]))


def _scaled(scaler, X):
    return X.map_blocks(scaler.transform, dtype=np.float64)


def _random_split(X, y, test_size, random_state):
    """Rows held out at random (not stratified: the labels stay on the workers)."""
    import dask.array as da

    held_out = da.random.default_rng(random_state).random(X.shape[0], chunks=X.chunks[0])
    held_out = held_out < test_size
    parts = [X[~held_out], y[~held_out], X[held_out], y[held_out]]
    return [part.compute_chunk_sizes() for part in parts]


def _pipeline(classifier):
    """Features scaled to 0..1 by their training range (clipped), then the network."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    return make_pipeline(MinMaxScaler(clip=True), classifier)


def _network(**params):
    """The course's network with ``params``, behind the scaler."""
    from .estimator import BackpropMLPClassifier

    return _pipeline(BackpropMLPClassifier(**params))


def _estimator(args):
    return _network(
        hidden_layer_sizes=args.hidden, activation=args.activation,
        output_activation=args.output_activation, alpha=args.alpha, solver=args.solver,
        max_iter=args.max_iter, random_state=args.random_state,
    )


class _Progress(Observer):
    """Shows each fit's iterations: one line rewritten in place, or every 25th line."""

    def __init__(self, stream, every=25):
        self.stream, self.every, self.count = stream, every, 0
        self.interactive = stream.isatty()

    def step(self, step):
        line = str(step)
        self.count += 1
        if self.interactive:
            self.stream.write(f"\r{line}   ")
        elif self.count % self.every == 0:
            self.stream.write(line + "\n")
        self.stream.flush()
        return False

    def close(self):
        if self.interactive and self.count:
            self.stream.write("\n")
        self.count = 0


def _fit_with_progress(model, X, y, quiet=False):
    """Fit, showing the network's iterations compactly through the trainer's observers."""
    if quiet:
        return model.fit(X, y)
    with observing(_Progress(sys.stdout)):
        return model.fit(X, y)


def _report(model, X, y, title):
    from sklearn.metrics import classification_report, confusion_matrix

    predicted = model.predict(X)
    print(f"{title}: {np.mean(predicted == y):.4f} ({np.sum(predicted == y)} of {len(y)})")
    print()
    print(classification_report(y, predicted, digits=3))
    labels = np.unique(np.concatenate([np.asarray(y), predicted]))
    matrix = confusion_matrix(y, predicted, labels=labels)
    width = max(4, len(str(matrix.max())) + 1, max(len(str(c)) for c in labels) + 1)
    print("Confusion matrix (rows: true digit, columns: predicted):")
    print(" " * 6 + "".join(f"{c!s:>{width}}" for c in labels))
    for label, row in zip(labels, matrix):
        print(f"{label!s:>5} " + "".join(f"{v:>{width}}" for v in row))


def _split(X, y, test_size, random_state):
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=test_size, stratify=y, random_state=random_state)


def run_main(args):
    """The main job: train on the bundled digits, report on held-out digits."""
    X, y = _load("digits")
    X_train, X_test, y_train, y_test = _split(X, y, 0.25, 0)
    print(f"Training a 64-25-10 sigmoid network (lambda = 1, L-BFGS-B) on {len(y_train)} "
          f"of scikit-learn's {len(y)} 8x8 digits ...")
    model = _network(random_state=0)
    _fit_with_progress(model, X_train, y_train)
    print(f"Stopped after {model[-1].n_iter_} iterations with J = {model[-1].loss_:.4f}.")
    _report(model, X_test, y_test, "Test accuracy")
    return 0


def run_train(args):
    if args.out is not None:  # before any work: a bad --out fails at once
        check_writable(args.out, args.force)
    X, y = _load(args.data)
    with _cluster(args.scheduler) as client:
        spread = _on_cluster(X, y, client, "train")
        if spread is not None:
            return _train_on_cluster(args, *spread)
    model = _estimator(args)
    if args.test_size > 0:
        X_train, X_test, y_train, y_test = _split(X, y, args.test_size, args.random_state)
    else:
        X_train, y_train, X_test, y_test = X, y, None, None
    print(f"Training on {len(y_train)} samples with {X.shape[1]} features ...")
    _fit_with_progress(model, X_train, y_train, quiet=args.quiet)
    print(f"Stopped after {model[-1].n_iter_} iterations with J = {model[-1].loss_:.4f}.")
    print(f"Training accuracy: {model.score(X_train, y_train):.4f}")
    if X_test is not None:
        print(f"Test accuracy: {model.score(X_test, y_test):.4f}")
    if args.out is not None:
        from .persistence import save_model

        save_model(model, args.out, overwrite=args.force)
        print(f"Model saved to {args.out}")
    return 0


def _train_on_cluster(args, X, y):
    """``train`` with the data on the cluster: each evaluation a map over its chunks."""
    from sklearn.pipeline import make_pipeline

    if args.test_size > 0:
        X_train, y_train, X_test, y_test = _random_split(X, y, args.test_size, args.random_state)
    else:
        X_train, y_train, X_test, y_test = X, y, None, None
    scaler = _fitted_scaler(X_train)
    network = _estimator(args)[-1]
    print(f"Training on {X_train.shape[0]} samples with {X.shape[1]} features, in "
          f"{len(X_train.chunks[0])} chunks ...")
    _fit_with_progress(network, _scaled(scaler, X_train), y_train, quiet=args.quiet)
    print(f"Stopped after {network.n_iter_} iterations with J = {network.loss_:.4f}.")
    print(f"Training accuracy: {float(network.score(_scaled(scaler, X_train), y_train)):.4f}")
    if X_test is not None:
        print(f"Test accuracy: {float(network.score(_scaled(scaler, X_test), y_test)):.4f} "
              f"({X_test.shape[0]} samples held out at random)")
    if args.out is not None:
        from .persistence import save_model

        save_model(make_pipeline(scaler, network), args.out, overwrite=args.force)
        print(f"Model saved to {args.out}")
    return 0


def run_evaluate(args):
    from .persistence import load_model

    model = load_model(args.model)
    X, y = _load(args.data)
    _check_features(model, X.shape[1], args.data)
    if args.test_size > 0:  # the part `train` held out, split the same way
        _, X, _, y = _split(X, y, args.test_size, args.random_state)
        print(f"Scoring the {len(y)} held-out samples of {args.data} (test size "
              f"{args.test_size:g}, random state {args.random_state}: the samples `train` "
              "with the same options did not learn from).")
    else:
        print(f"Scoring all {len(y)} samples of {args.data}.")
    _report(model, X, y, "Accuracy")
    return 0


def run_grid_search(args):
    X, y = _load(args.data)
    with _cluster(args.scheduler) as client:
        if client is None:
            _on_cluster(X, y, None, "grid-search")  # refuses a folder of chunks
            return _grid_search(args, X, y)
        from . import _dask

        if _dask.is_dask(X):
            return _grid_search_on_chunks(args, X, y)
        import joblib

        with joblib.parallel_backend("dask"):  # the fits go to the workers
            return _grid_search(args, X, y, n_jobs=-1)


def _grid_search(args, X, y, n_jobs=None):
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    grid = GridSearchCV(
        _network(max_iter=args.max_iter, random_state=args.random_state),
        {"backpropmlpclassifier__alpha": args.alphas,
         "backpropmlpclassifier__hidden_layer_sizes": args.hidden},
        cv=StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state),
        n_jobs=args.n_jobs if n_jobs is None else n_jobs,
    )
    n_fits = len(args.alphas) * len(args.hidden) * args.cv
    networks = ", ".join(",".join(map(str, sizes))
                         + (f" ({len(sizes)} hidden layers)" if len(sizes) > 1 else "")
                         for sizes in args.hidden)
    print(f"Hidden sizes to try: {networks}; lambda: {', '.join(map(format, args.alphas))}.")
    print(f"Cross-validating {len(args.alphas) * len(args.hidden)} settings x {args.cv} "
          f"folds = {n_fits} fits on {len(y)} samples ...")
    grid.fit(X, y)
    results = grid.cv_results_
    _grid_table([_alpha_and_sizes(params) for params in results["params"]],
                results["mean_test_score"], results["std_test_score"])
    return 0


def _grid_table(candidates, means, stds):
    print(f"{'alpha':>8}  {'hidden':<12} {'accuracy':>9} {'+/-':>7}")
    for (alpha, sizes), mean, std in zip(candidates, means, stds):
        print(f"{alpha:>8g}  {sizes:<12} {mean:>9.4f} {std:>7.4f}")
    best = int(np.argmax(means))
    alpha, sizes = candidates[best]
    print(f"Best: alpha = {alpha:g}, hidden = {sizes}, accuracy {means[best]:.4f}")


def _grid_search_on_chunks(args, X, y):
    """Cross-validation with the data on the cluster: chunk i is in fold i mod cv.

    Each fit is data-parallel over the workers; the scaler is fitted once to
    the whole data's range (a fold's own range could differ slightly).
    """
    from .estimator import BackpropMLPClassifier

    n_chunks = len(X.chunks[0])
    if n_chunks < args.cv:
        raise ValueError(f"--cv {args.cv} needs at least {args.cv} chunks; the data has "
                         f"{n_chunks}.")
    X = _scaled(_fitted_scaler(X), X)
    fold = np.arange(n_chunks) % args.cv
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])])
    rows = [np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in np.flatnonzero(f)])
            for f in (fold[None] == np.arange(args.cv)[:, None])]
    candidates = [(alpha, sizes) for alpha in args.alphas for sizes in args.hidden]
    print(f"Cross-validating {len(candidates)} settings x {args.cv} folds on "
          f"{X.shape[0]} samples in {n_chunks} chunks ...")
    means, stds = [], []
    for alpha, sizes in candidates:
        scores = []
        for k in range(args.cv):
            test = rows[k]
            train = np.setdiff1d(np.arange(X.shape[0]), test, assume_unique=True)
            model = BackpropMLPClassifier(hidden_layer_sizes=sizes, alpha=alpha,
                                          max_iter=args.max_iter, random_state=args.random_state)
            model.fit(X[train], y[train])
            scores.append(float(model.score(X[test], y[test])))
        means.append(np.mean(scores))
        stds.append(np.std(scores))
    _grid_table([(alpha, ",".join(map(str, sizes))) for alpha, sizes in candidates], means, stds)
    return 0


def _alpha_and_sizes(params):
    sizes = params["backpropmlpclassifier__hidden_layer_sizes"]
    return params["backpropmlpclassifier__alpha"], ",".join(map(str, sizes))


def run_gradient_check(args):
    from .gradient_check import TOLERANCE, check_nn_gradients

    difference = check_nn_gradients(args.lambda_, verbose=args.verbose)
    verdict = "correct" if difference < TOLERANCE else "WRONG"
    print(f"Relative difference between backprop and numerical gradients "
          f"(lambda = {args.lambda_:g}): {difference:.3e} (correct below {TOLERANCE:g}): "
          f"backpropagation is {verdict}.")
    return 0 if difference < TOLERANCE else 1


def run_show(args):
    from .persistence import load_model
    from .plotting import (
        display_data,
        plot_confusion_matrix,
        plot_hidden_units,
        plot_loss_curve,
        plot_predictions,
    )
    from .preprocessing import guess_layout

    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise NotADirectoryError(f"'{args.out_dir}' is a file, not a directory.")
    names = ["digits.png", "hidden_units.png", "predictions.png", "confusion_matrix.png"]
    if args.model is None:
        names.append("loss_curve.png")
    else:
        print("A saved model keeps no loss curve: loss_curve.png is drawn only for a "
              "model trained here (leave out --model).")
    existing = [n for n in names if (args.out_dir / n).exists()]
    if existing and not args.force:
        raise FileExistsError(
            f"{', '.join(existing)} exist(s) in '{args.out_dir}'; use --force to overwrite."
        )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    X, y = _load(args.data)
    X_train, X_test, y_train, y_test = _split(X, y, 0.25, 0)
    if args.model is not None:
        model = load_model(args.model)
        _check_features(model, X.shape[1], args.data)
    else:
        model = _network(random_state=0).fit(X_train, y_train)
    layout = guess_layout(X.shape[1])
    rng = np.random.default_rng(0)
    sample = rng.choice(len(X_test), size=min(25, len(X_test)), replace=False)
    figures = {
        "digits.png": display_data(X[rng.choice(len(X), min(100, len(X)), replace=False)],
                                   layout, title=f"{min(100, len(X))} digits of {args.data}"),
        "hidden_units.png": plot_hidden_units(model, layout),
        "predictions.png": plot_predictions(model, X_test[sample], y_test[sample], layout),
        "confusion_matrix.png": plot_confusion_matrix(
            model, X_test, y_test,
            title=f"Confusion matrix on {len(y_test)} held-out digits (rows: true)"),
    }
    if args.model is None:
        figures["loss_curve.png"] = plot_loss_curve(model)
    import matplotlib.pyplot as plt

    for name, figure in figures.items():
        write_atomic(args.out_dir / name,
                     lambda temporary, f=figure: f.savefig(temporary, format="png", dpi=100,
                                                           bbox_inches="tight"),
                     overwrite=args.force)
        plt.close(figure)
        print(f"Wrote {args.out_dir / name}")
    return 0


def _reading_model(args):
    """The model ``predict`` and ``draw`` read digits with: given, or trained now."""
    from .datasets import load_ex4_model
    from .persistence import load_model

    if args.ex4_weights is not None:
        return load_ex4_model(args.ex4_weights)
    if args.model is not None:
        return load_model(args.model)
    print("No --model given: training one on the bundled digits first ...", file=sys.stderr)
    return _network(random_state=0).fit(*_load("digits"))


def run_predict(args):
    from .preprocessing import DigitImageTransformer, guess_layout

    model = _reading_model(args)
    layout = guess_layout(model.n_features_in_)
    invert = {"auto": "auto", "yes": True, "no": False}[args.invert]
    features = DigitImageTransformer(layout=layout, invert=invert).transform(
        [str(p) for p in args.images]
    )
    proba = model.predict_proba(features)
    predictions = model.classes_[proba.argmax(axis=1)]
    results = [
        {"path": _printable(path), "prediction": json_label(label),
         "confidence": round(float(p), 6)}
        for path, label, p in zip(args.images, predictions, proba.max(axis=1))
    ]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(f"{result['path']}: {result['prediction']} "
                  f"(confidence {result['confidence']:.1%})")
    return 0


def run_draw(args):
    import webbrowser

    from .web import DigitReader, make_server, serve

    try:  # the address first: a port in use is known before any training
        server = make_server(None, args.host, args.port)
    except OSError as error:
        raise ValueError(f"cannot listen on {args.host} port {args.port}: {error.strerror}; "
                         "choose another with --port (0: any free port).") from None
    try:
        server.reader = DigitReader(_reading_model(args))
    except BaseException:
        server.server_close()
        raise
    host, port = server.server_address[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    print(f"The drawing page is at {url} (Ctrl-C stops the server).", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    try:
        serve(server)
    except KeyboardInterrupt:
        print("Stopped.")
    return 0


def _printable(path):
    """The path as text: bytes that are not UTF-8 in a file name show as U+FFFD."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def _check_features(model, n_features, source):
    if getattr(model, "n_features_in_", n_features) != n_features:
        raise ValueError(
            f"the model expects {model.n_features_in_} features per sample but "
            f"{source} has {n_features}."
        )


COMMANDS = {
    "main": run_main,
    "train": run_train,
    "evaluate": run_evaluate,
    "grid-search": run_grid_search,
    "gradient-check": run_gradient_check,
    "show": run_show,
    "predict": run_predict,
    "draw": run_draw,
}


if __name__ == "__main__":
    sys.exit(main())
