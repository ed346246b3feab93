"""The ``sknn-digits`` command line program.

With no arguments it trains the course's network on scikit-learn's bundled
digits and reports how well it does on digits it has not seen.  Subcommands
train, evaluate, grid-search, check gradients, draw pictures and read
handwritten digits from image files; ``sknn-digits COMMAND --help`` tells
more.  This module parses the arguments and turns errors into one line and an
exit status; :mod:`sknn_digits.commands` does each command's work.  The two
are the only modules that read files the user named, print results or exit.
"""

import argparse
import os
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import __version__
from ._training import SOLVERS
from .commands import (
    USER_ERRORS,
    run_draw,
    run_evaluate,
    run_export,
    run_gradient_check,
    run_grid_search,
    run_main,
    run_predict,
    run_show,
    run_train,
)
from .core import ACTIVATIONS, OUTPUTS

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
    """Descriptions as written, and an option's default after its help when it has one."""

    def _get_help_string(self, action):
        if action.default is None or action.required or "default" in (action.help or ""):
            return action.help  # nothing to add, or the help says it already
        return super()._get_help_string(action)


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
        help="'digits' (scikit-learn's bundled 8x8 digits), 'mnist' (downloaded once from "
             "openml.org, then cached by scikit-learn), a course .mat file "
             "(ex4data1.mat), an .npz (arrays X, y) or .csv file (its labels: see "
             "--label-column), or a folder of .npy chunks (X_0.npy, y_0.npy, X_1.npy, ...) "
             "read lazily on a cluster",
    )
    _add_label_column(parser)


def _add_label_column(parser):
    parser.add_argument(
        "--label-column", metavar="NAME|INDEX",
        help="the CSV column holding the labels, by header name or 0-based index (default: "
             "the column the header names label, y, target or class, else the last)")


def _add_scheduler(parser, work="train"):
    parser.add_argument(
        "--scheduler", metavar="ADDRESS",
        help=f"{work} on a Dask cluster: its scheduler's address (tcp://host:8786), or "
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


def build_parser():
    """The ``sknn-digits`` argument parser, every command and option with its help."""
    parser = _Parser(prog="sknn-digits", description=DESCRIPTION, formatter_class=_Help)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    parser.commands = {}  # each command's parser, so that its own mistakes name its --help

    def command(name, summary):
        parser.commands[name] = commands.add_parser(name, help=summary,
                                                    description=summary + ".",
                                                    formatter_class=_Help)
        return parser.commands[name]

    train = command("train", "train a network, report held-out accuracy")
    _add_data(train)
    _add_model_options(train)
    train.add_argument("--test-size", type=_fraction, default=0.25,
                       help="fraction held out for testing (0 trains on all)")
    train.add_argument("--out", type=Path,
                       help="save the trained model here (a .sknn model file: data, no code)")
    train.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    train.add_argument("--quiet", action="store_true", help="no progress display")
    _add_scheduler(train)

    evaluate = command("evaluate", "accuracy, per-class report and confusion matrix")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", type=Path, help="a saved model")
    source.add_argument("--ex4-weights", type=Path, help="the course's ex4weights.mat")
    _add_data(evaluate)
    evaluate.add_argument("--test-size", type=_fraction, default=0.25,
                          help="score the part `train` held out with the same --test-size "
                               "and --random-state (0 scores every sample)")
    evaluate.add_argument("--random-state", type=int, default=0, help="seed of the split")
    _add_scheduler(evaluate, "score")

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
                      help="fits run in parallel (-1: one per core; default: one at a time)")
    grid.add_argument("--max-iter", type=_positive_int, default=200,
                      help="most solver iterations per fit (half of train's: a search "
                           "makes candidates x folds fits, and ranks them before most "
                           "would have converged)")
    grid.add_argument("--quiet", action="store_true", help="no progress display")
    grid.add_argument("--random-state", type=int, default=0,
                      help="seed of the weights and of the folds")
    grid.add_argument("--out", type=Path,
                      help="train the best setting on every sample and save it here (.sknn)")
    grid.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    _add_scheduler(grid, "search")

    gradient = command("gradient-check", "backpropagation against numerical gradients on "
                                         "the course's debug network (3-5-3, 5 samples); "
                                         "it passes when their relative difference is below "
                                         "1e-9")
    gradient.add_argument("--lambda", dest="lambda_", type=_non_negative, default=3.0,
                          metavar="LAMBDA", help="regularisation strength")
    gradient.add_argument("--verbose", action="store_true", help="print both gradients")

    show = command("show", "write pictures as PNG files")
    show.add_argument("--out-dir", type=Path, default=Path("."),
                      help="folder for the PNG files (made if missing)")
    source = show.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path, help="a saved model (default: train one)")
    source.add_argument("--ex4-weights", type=Path, help="the course's ex4weights.mat")
    _add_data(show)
    show.add_argument("--force", action="store_true", help="overwrite existing PNG files")

    predict = command("predict", "read the digit in each image file, or label the rows of a "
                                 "data file")
    predict.add_argument("images", nargs="*", type=Path, metavar="IMAGE",
                         help="a picture of one digit (PNG, JPEG, ...); several may be given")
    _add_reading_model(predict)
    predict.add_argument("--data", type=Path, metavar="FILE",
                         help="instead of pictures: a .csv or .npz file of rows (a label "
                              "column, if present, is left out)")
    _add_label_column(predict)
    predict.add_argument("--out", type=Path, metavar="FILE.csv",
                         help="with --data: write the labels as Kaggle's submission file "
                              "(ImageId,Label, ImageId from 1) instead of printing them")
    predict.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    predict.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                         help="dark ink on light paper: yes; light on dark: no")
    predict.add_argument("--json", action="store_true", help="print JSON for scripts")

    export = command("export", "write a saved model as an ONNX file, for onnxruntime")
    export.add_argument("--model", type=Path, required=True, help="a saved model (.sknn)")
    export.add_argument("--onnx", type=Path, required=True, help="the ONNX file to write")
    export.add_argument("--double", action="store_true",
                        help="a float64 graph (the default takes float32 input)")
    export.add_argument("--force", action="store_true", help="overwrite --onnx if it exists")

    draw = command("draw", "a page in the browser to draw a digit on and watch the network "
                           "read it")
    _add_reading_model(draw)
    draw.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (127.0.0.1 is this machine only)")
    draw.add_argument("--port", type=_port, default=8765, help="port to listen on (0: any free)")
    draw.add_argument("--no-browser", action="store_true",
                      help="only print the page's address; do not open a browser")
    return parser


def _add_reading_model(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path,
                        help="a saved model (default: the default reader, trained in a few "
                             "seconds on the bundled digits and their slanted copies)")
    source.add_argument("--ex4-weights", type=Path, help="the course's ex4weights.mat")


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so every ``finally`` cleans up (temporary files)."""


#: Seconds the stack gets to unwind after SIGTERM before the process ends regardless.
TERMINATE_GRACE = 1.0


@contextmanager
def _terminate_cleanly():
    """While the command runs, SIGTERM unwinds the stack, and ends the process within
    :data:`TERMINATE_GRACE` seconds even when the main thread cannot unwind.

    Python runs a signal handler only between bytecodes of the main thread, so
    a long native computation (a large matrix product, a scikit-learn model's
    compiled loop) would delay it for as long as it runs.  The C-level handler
    also writes the signal's number to a pipe (``signal.set_wakeup_fd``); a
    watchdog thread waiting on that pipe gives the main thread the grace
    period and then ends the process with SIGTERM's status.  Temporary files
    a write leaves that way are removed by the next write, as a kill's are.
    The previous handler and wakeup descriptor come back after.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return

    def unwind(signum, frame):
        raise Terminated()

    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    finished = threading.Event()

    def watch():
        while not finished.is_set():
            try:
                got = os.read(read_end, 64)
            except OSError:
                return
            if not got:
                return
            if signal.SIGTERM in got and not finished.wait(TERMINATE_GRACE):
                os.write(2, b"sknn-digits: terminated\n")
                os._exit(128 + signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, unwind)
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    watchdog = threading.Thread(target=watch, name="sknn-digits SIGTERM watchdog", daemon=True)
    watchdog.start()
    try:
        yield
    finally:
        finished.set()
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGTERM, previous)
        os.close(write_end)  # the watchdog's read returns empty and it ends
        watchdog.join()
        os.close(read_end)


def main(argv=None):
    """Run ``sknn-digits``; returns the exit status."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # named by the command they were given to, which lists its own options
        parser.commands.get(args.command, parser).error(
            f"unrecognized arguments: {' '.join(unknown)}")
    try:
        from sklearn.exceptions import ConvergenceWarning

        with _terminate_cleanly(), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.showwarning = _show_warning
            return COMMANDS[args.command or "main"](args)
    except Terminated:
        print("sknn-digits: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the final flush
        return 0
    except USER_ERRORS as error:
        print(f"sknn-digits: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sknn-digits: interrupted", file=sys.stderr)
        return 130


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning as one line on stderr, like the errors (no source line to a user)."""
    print(f"sknn-digits: warning: {message}", file=sys.stderr)


# ---------------------------------------------------------------- commands


COMMANDS = {
    "main": run_main,
    "train": run_train,
    "evaluate": run_evaluate,
    "grid-search": run_grid_search,
    "gradient-check": run_gradient_check,
    "show": run_show,
    "predict": run_predict,
    "draw": run_draw,
    "export": run_export,
}


if __name__ == "__main__":
    sys.exit(main())
