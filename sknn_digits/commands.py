"""The commands of ``sknn-digits``: each reads what the user named, calls the library and prints.

:mod:`sknn_digits.cli` parses the arguments, runs one of these and turns its
errors into one line and an exit status; the two modules are the command
line, the only part of the package that prints.  scikit-learn and the
estimator-level modules are imported by the commands that use them, so
``--help`` and ``--version`` answer at once.
"""

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ._files import check_writable, write_atomic, write_atomic_all
from ._observers import Progress, observing

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, FileExistsError, ImportError, OSError)


def _load(data, label_column=None):
    from .datasets import load_data

    return load_data(data, label_column)


@contextmanager
def _cluster(address, quiet=False):
    """A client of the cluster at ``address`` (None without one), announced on stdout."""
    if address is None:
        yield None
        return
    from .workflow import connect, n_workers

    if not quiet:
        print("Starting a Dask cluster of this machine's cores ..." if address == "local"
              else f"Connecting to the Dask scheduler at {address} ...", file=sys.stderr,
              flush=True)

    with connect(address) as client:
        print(f"On the Dask cluster at {client.scheduler.address} ({n_workers(client)} "
              "workers).")
        yield client


def _placed(X, y, client, command):
    """The data where the command runs: spread over ``client``'s workers, or as they are."""
    from .workflow import on_cluster, spread

    if client is not None:
        return spread(X, y, client)
    if on_cluster(X):
        raise ValueError(f"a folder of chunks is {command}ed on a Dask cluster: pass "
                         "--scheduler ADDRESS, or --scheduler local for this machine.")
    return X, y


def _course_pipeline(**params):
    """The course's network with ``params``, behind the scaler."""
    from .estimator import BackpropMLPClassifier
    from .workflow import default_pipeline

    return default_pipeline(BackpropMLPClassifier(**params))


def _classifier(args):
    from .estimator import BackpropMLPClassifier

    return BackpropMLPClassifier(
        hidden_layer_sizes=args.hidden, activation=args.activation,
        output_activation=args.output_activation, alpha=args.alpha, solver=args.solver,
        max_iter=args.max_iter, random_state=args.random_state,
    )


def _with_progress(work, quiet=False):
    """Run ``work()``, showing the network's iterations on stderr through the fit's observers."""
    if quiet:
        return work()
    with observing(Progress(sys.stderr)):
        return work()


def _search_progress(stream=None):
    """``progress(done, total, best)`` for :func:`~sknn_digits.workflow.grid_search`.

    On a terminal one line is rewritten in place; elsewhere a line at each
    tenth of the fits.
    """
    stream = stream or sys.stderr
    interactive = stream.isatty()

    def show(done, total, best):
        line = f"{done}/{total} fits done"
        if best is not None:
            line += (f"; best so far: alpha = {best.alpha:g}, hidden = "
                     f"{','.join(map(str, best.hidden_layer_sizes))}, accuracy {best.mean:.4f}")
        if interactive:
            stream.write(f"\r{line}   " + ("\n" if done == total else ""))
        elif done == total or done % max(1, total // 10) == 0:
            stream.write(line + "\n")
        stream.flush()

    return show


def _report(model, X, y, title):
    from sklearn.metrics import classification_report, confusion_matrix

    from .workflow import on_cluster, predicted_labels

    predicted = predicted_labels(model, X)
    y = np.asarray(y.compute() if on_cluster(y) else y)
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
    from .workflow import holdout

    return holdout(X, y, test_size, random_state)


def run_main(args):
    """The main job: train on the bundled digits, report on held-out digits."""
    X, y = _load("digits")
    X_train, X_test, y_train, y_test = _split(X, y, 0.25, 0)
    print(f"Training a 64-25-10 sigmoid network (lambda = 1, L-BFGS-B) on {len(y_train)} "
          f"of scikit-learn's {len(y)} 8x8 digits ...")
    model = _with_progress(lambda: _course_pipeline(random_state=0).fit(X_train, y_train))
    print(f"Stopped after {model[-1].n_iter_} iterations with J = {model[-1].loss_:.4f}.")
    _report(model, X_test, y_test, "Test accuracy")
    return 0


def run_train(args):
    from .workflow import accuracy, train_pipeline

    if args.out is not None:  # before any work: a bad --out fails at once
        _check_out(args.out, args.force)
    X, y = _load(args.data, args.label_column)
    if args.out is not None:  # before the fit, which a full disk would otherwise waste
        _check_model_space(args.out, X, y, args.hidden)
    with _cluster(args.scheduler, args.quiet) as client:
        X, y = _placed(X, y, client, "train")
        if args.test_size > 0:
            X_train, X_test, y_train, y_test = _split(X, y, args.test_size, args.random_state)
        else:
            X_train, y_train, X_test, y_test = X, y, None, None
        chunks = f", in {len(X_train.chunks[0])} chunks" if client is not None else ""
        print(f"Training on {X_train.shape[0]} samples with {X.shape[1]} features{chunks} ...")
        model = _with_progress(lambda: train_pipeline(_classifier(args), X_train, y_train),
                               quiet=args.quiet)
        print(f"Stopped after {model[-1].n_iter_} iterations with J = {model[-1].loss_:.4f}.")
        print(f"Training accuracy: {accuracy(model, X_train, y_train):.4f}")
        if X_test is not None:
            print(f"Test accuracy: {accuracy(model, X_test, y_test):.4f} ({X_test.shape[0]} "
                  "samples held out, the ones evaluate with the same --test-size and "
                  "--random-state scores)")
    if args.out is not None:
        from .persistence import save_model

        save_model(model, args.out, overwrite=args.force)
        print(f"Model saved to {args.out}")
    return 0


def run_evaluate(args):
    model = _given_model(args)
    X, y = _load(args.data, args.label_column)
    _check_labelled(model, X.shape[1], args.data, args.label_column)
    check_features(model, X.shape[1], args.data)
    with _cluster(args.scheduler) as client:
        X, y = _placed(X, y, client, "evaluate")
        if args.test_size > 0:  # the part `train` held out, by the same rule anywhere
            _, X, _, y = _split(X, y, args.test_size, args.random_state)
            print(f"Scoring the {X.shape[0]} held-out samples of {args.data} (test size "
                  f"{args.test_size:g}, random state {args.random_state}: the samples `train` "
                  "with the same options did not learn from).")
        else:
            print(f"Scoring all {X.shape[0]} samples of {args.data}.")
        _report(model, X, y, "Accuracy")
    return 0


def _check_labelled(model, n_features, data, label_column):
    """Refuse a CSV file with no label column to score (Kaggle's test.csv), naming the rule.

    Without a label column named, the last column is taken as the labels: a
    file of the model's features alone then looks one feature short.
    """
    from .readers import LABEL_RULE, csv_names_its_labels

    if (str(data).lower().endswith(".csv") and label_column is None
            and n_features + 1 == getattr(model, "n_features_in_", None)
            and not csv_names_its_labels(data)):
        raise ValueError(
            f"'{data}' has no label column to score against: its "
            f"{model.n_features_in_} columns are the model's features. The labels are "
            f"{LABEL_RULE}; to label rows without labels use predict --data.")


def run_grid_search(args):
    from .estimator import BackpropMLPClassifier
    from .workflow import grid_search, on_cluster, train_pipeline

    if args.out is not None:  # before any work: a bad --out fails at once
        _check_out(args.out, args.force)
    X, y = _load(args.data, args.label_column)
    with _cluster(args.scheduler, args.quiet) as client:
        if client is None:  # in-memory data stay here; with a client their fits go there
            X, y = _placed(X, y, client, "grid-search")
        n_settings = len(args.alphas) * len(args.hidden)
        networks = ", ".join(",".join(map(str, sizes))
                             + (f" ({len(sizes)} hidden layers)" if len(sizes) > 1 else "")
                             for sizes in args.hidden)
        print(f"Hidden sizes to try: {networks}; lambda: "
              f"{', '.join(map(format, args.alphas))}.")
        if on_cluster(X):
            print(f"Cross-validating {n_settings} settings x {args.cv} folds on {X.shape[0]} "
                  f"samples in {len(X.chunks[0])} chunks ...")
        else:
            print(f"Cross-validating {n_settings} settings x {args.cv} folds = "
                  f"{n_settings * args.cv} fits on {X.shape[0]} samples ...")
        results = grid_search(
            BackpropMLPClassifier(max_iter=args.max_iter, random_state=args.random_state),
            X, y, args.alphas, args.hidden, cv=args.cv, n_jobs=args.n_jobs,
            random_state=args.random_state, client=client,
            progress=None if args.quiet else _search_progress())
        _print_grid(results)
        if args.out is None:
            return 0
        # The search's best_estimator_: its best setting trained on every sample, where the
        # data are.
        best = max(results, key=lambda row: row.mean)
        classifier = BackpropMLPClassifier(
            alpha=best.alpha, hidden_layer_sizes=best.hidden_layer_sizes,
            max_iter=args.max_iter, random_state=args.random_state)
        print(f"Training the best setting on all {X.shape[0]} samples ...")
        model = _with_progress(lambda: train_pipeline(classifier, X, y), quiet=args.quiet)
    from .persistence import save_model

    save_model(model, args.out, overwrite=args.force)
    print(f"Model saved to {args.out}")
    return 0


def _print_grid(results):
    print(f"{'alpha':>8}  {'hidden':<12} {'accuracy':>9} {'+/-':>7}")
    for row in results:
        print(f"{row.alpha:>8g}  {','.join(map(str, row.hidden_layer_sizes)):<12} "
              f"{row.mean:>9.4f} {row.std:>7.4f}")
    best = max(results, key=lambda row: row.mean)
    print(f"Best: alpha = {best.alpha:g}, hidden = {','.join(map(str, best.hidden_layer_sizes))}"
          f", accuracy {best.mean:.4f}")


def run_gradient_check(args):
    from .gradient_check import TOLERANCE, check_nn_gradients

    difference = check_nn_gradients(args.lambda_, verbose=args.verbose)
    verdict = "correct" if difference < TOLERANCE else "WRONG"
    print(f"Relative difference between backprop and numerical gradients "
          f"(lambda = {args.lambda_:g}): {difference:.3e} (correct below {TOLERANCE:g}): "
          f"backpropagation is {verdict}.")
    return 0 if difference < TOLERANCE else 1


def run_show(args):
    from .plotting import OVERVIEW, overview

    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise NotADirectoryError(f"'{args.out_dir}' is a file, not a directory.")
    given = args.model is not None or args.ex4_weights is not None
    names = [n for n in OVERVIEW if not given or n != "loss_curve"]
    if given:
        print("A saved model keeps no loss curve: loss_curve.png is drawn only for a "
              "model trained here (leave out --model).")
    existing = [f"{n}.png" for n in names if (args.out_dir / f"{n}.png").exists()]
    if existing and not args.force:
        raise FileExistsError(
            f"{', '.join(existing)} exist(s) in '{args.out_dir}'; use --force to overwrite."
        )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    X, y = _load(args.data, args.label_column)
    X_train, X_test, y_train, y_test = _split(X, y, 0.25, 0)
    if given:
        model = _given_model(args)
        check_features(model, X.shape[1], args.data)
    else:
        model = _course_pipeline(random_state=0).fit(X_train, y_train)
    import matplotlib.pyplot as plt

    figures = overview(model, X, X_test, y_test, args.data, names)
    try:  # all the pictures or none: a full disk leaves nothing a rerun trips over
        written = write_atomic_all(
            {args.out_dir / f"{name}.png": lambda temporary, f=figure: f.savefig(
                temporary, format="png", dpi=100, bbox_inches="tight")
             for name, figure in figures.items()}, overwrite=args.force)
    finally:
        for figure in figures.values():
            plt.close(figure)
    for path in written:
        print(f"Wrote {path}")
    return 0


def run_export(args):
    from .persistence import load_model

    _check_out(args.onnx, args.force)
    from .onnx import export_onnx  # the optional extra: its error names it

    model = load_model(args.model)
    X = np.zeros((1, model.n_features_in_), dtype=np.float64 if args.double else np.float32)
    graph = export_onnx(model, X, options={"zipmap": False})
    write_atomic(args.onnx, lambda temporary: Path(temporary).write_bytes(
        graph.SerializeToString()), overwrite=args.force)
    print(f"Wrote {args.onnx}: input {graph.graph.input[0].name!r} ({X.dtype}, "
          f"{model.n_features_in_} features), outputs 'label' and 'probabilities'.")
    return 0


def _given_model(args):
    """The model named by --model or --ex4-weights."""
    from .datasets import load_ex4_model
    from .persistence import load_model

    if args.ex4_weights is not None:
        return load_ex4_model(args.ex4_weights)
    return load_model(args.model)


def _reading_model(args):
    """The model ``predict`` and ``draw`` read digits with (given, or trained now), and how it
    wants pictures when that is known from where it came (else None)."""
    from .preprocessing import COURSE_PICTURES

    if args.model is not None or args.ex4_weights is not None:
        return _given_model(args), (COURSE_PICTURES if args.ex4_weights is not None else None)
    from .workflow import default_reader

    print("No --model given: training the default reader on the bundled digits first "
          "(a few seconds) ...", file=sys.stderr)
    return default_reader(), None


def _picture_input(model, known, args):
    """How ``model`` wants pictures, or one error saying why it cannot read them."""
    from .preprocessing import picture_input

    if known is not None:
        return known
    try:
        return picture_input(model)
    except ValueError as error:
        raise ValueError(f"'{args.model}' cannot read pictures: {error}") from None


def _check_finite(proba):
    """Refuse probabilities that are not numbers (weights that overflow on these inputs):
    never a NaN confidence, which JSON cannot hold either."""
    if not np.isfinite(proba).all():
        raise ValueError("the model's probabilities are not finite numbers for these inputs "
                         "(its weights overflow on them): it cannot answer.")


#: Files of rows that ``predict`` takes with ``--data``, never as pictures.
TABLE_SUFFIXES = (".csv", ".npz", ".npy", ".mat")


def run_predict(args):
    if bool(args.images) == (args.data is not None):
        raise ValueError("give pictures to read (predict IMAGE ...) or a file of rows "
                         "(predict --data FILE), one of the two.")
    if args.out is not None and args.data is None:
        raise ValueError("--out writes the labels of the rows --data names, as Kaggle's "
                         "submission file; pictures' labels are printed.")
    if args.out is not None:  # before any work: a bad --out fails at once
        _check_out(args.out, args.force)
    model, known = _reading_model(args)
    if args.data is not None:
        return _predict_rows(model, args)
    from .preprocessing import DigitImageTransformer

    pictures = _picture_input(model, known, args)
    invert = {"auto": "auto", "yes": True, "no": False}[args.invert]
    from ._data import json_label

    transformer = DigitImageTransformer(layout=pictures.layout, invert=invert)
    results, failed = [], 0
    for path in args.images:  # each picture on its own: one bad file spoils no other
        try:
            if Path(path).suffix.lower() in TABLE_SUFFIXES:
                raise ValueError(f"'{path}' is a file of rows, not a picture: label its rows "
                                 "with predict --data.")
            proba = model.predict_proba(pictures.rows(transformer.transform([str(path)])))[0]
            _check_finite(proba)
        except USER_ERRORS as error:
            failed += 1
            results.append({"path": _printable(path), "error": str(error)})
            print(f"sknn-digits: error: {_printable(path)}: {error}", file=sys.stderr)
            continue
        results.append({"path": _printable(path),
                        "prediction": json_label(model.classes_[proba.argmax()]),
                        "confidence": round(float(proba.max()), 6)})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in (r for r in results if "error" not in r):
            print(f"{result['path']}: {result['prediction']} "
                  f"(confidence {result['confidence']:.1%})")
    return 1 if failed else 0


def _predict_rows(model, args):
    """``predict --data``: every row's label, printed or written as Kaggle's submission."""
    from ._data import json_label
    from .datasets import load_rows

    X = load_rows(args.data, model.n_features_in_, args.label_column)
    check_features(model, X.shape[1], args.data)
    proba = model.predict_proba(X)
    _check_finite(proba)
    labels = [json_label(label) for label in model.classes_[proba.argmax(axis=1)]]
    if args.out is not None:
        text = "ImageId,Label\n" + "".join(f"{i},{label}\n" for i, label in
                                            enumerate(labels, start=1))
        write_atomic(args.out, lambda temporary: Path(temporary).write_text(text),
                     overwrite=args.force)
        print(f"Wrote {args.out}: {len(labels)} labels (ImageId,Label, ImageId from 1).")
    elif args.json:
        print(json.dumps([{"row": i, "prediction": label, "confidence": round(float(p), 6)}
                          for i, (label, p) in enumerate(zip(labels, proba.max(axis=1)),
                                                         start=1)], indent=2))
    else:
        print("\n".join(map(str, labels)))
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
        model, known = _reading_model(args)
        server.reader = DigitReader(model, _picture_input(model, known, args))
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


def _check_model_space(path, X, y, hidden):
    """The space a trained model's file will take, checked before training."""
    from ._files import check_free_space
    from .workflow import on_cluster

    labels = y.compute() if on_cluster(y) else y
    n_classes = len(np.unique(np.asarray(labels)))
    sizes = (X.shape[1], *hidden, 1 if n_classes == 2 else n_classes)
    n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    # The weights once, float64; the scaler's five arrays of one number a
    # feature; the manifest, the loss curve and the zip's directory.
    check_free_space(path, 8 * n_params + 5 * 8 * X.shape[1] + 2**17)


def _check_out(path, force):
    """A file the command will write: refused before any work, with the way to replace it."""
    try:
        check_writable(path, force)
    except FileExistsError as error:
        raise FileExistsError(f"{error} Use --force to overwrite it.") from None


def _printable(path):
    """The path as text: bytes that are not UTF-8 in a file name show as U+FFFD."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def check_features(model, n_features, source):
    """Refuse data whose rows do not have the ``n_features`` ``model`` was fitted with.

    Examples
    --------
    >>> from sknn_digits import BackpropMLPClassifier
    >>> model = BackpropMLPClassifier(max_iter=2).fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])
    >>> check_features(model, 3, "data.csv")
    Traceback (most recent call last):
    ...
    ValueError: the model expects 2 features per sample but data.csv has 3.
    """
    if getattr(model, "n_features_in_", n_features) != n_features:
        raise ValueError(f"the model expects {model.n_features_in_} features per sample but "
                         f"{source} has {n_features}.")
