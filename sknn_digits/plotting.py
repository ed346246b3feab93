"""Pictures: digits, hidden units, predictions, the loss curve, the confusion matrix.

Every function returns a :class:`matplotlib.figure.Figure` made with pyplot,
so it shows in a notebook and can be saved with ``fig.savefig(...)``.
matplotlib is an optional extra: ``pip install "sknn_digits[plot]"``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .preprocessing import features_to_images, guess_layout, split_pipeline

__all__ = [
    "OVERVIEW",
    "display_data",
    "overview",
    "plot_confusion_matrix",
    "plot_hidden_units",
    "plot_loss_curve",
    "plot_predictions",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            'Pictures need matplotlib: pip install "sknn_digits[plot]"'
        ) from None
    return plt


def _mosaic(images, n_cols, pad, fill):
    """Tile equally sized images into one array, ``pad`` pixels apart."""
    n, height, width = images.shape
    n_rows = -(-n // n_cols)
    mosaic = np.full(
        (pad + n_rows * (height + pad), pad + n_cols * (width + pad)), fill, dtype=float
    )
    for k, image in enumerate(images):
        row, col = divmod(k, n_cols)
        top, left = pad + row * (height + pad), pad + col * (width + pad)
        mosaic[top: top + height, left: left + width] = image
    return mosaic


def display_data(X, layout=None, n_cols=None, cmap="gray", diverging=False, title=None):
    """Show rows of ``X`` as a grid of digit images (the course's ``displayData``).

    Parameters
    ----------
    X : array-like of shape (n_images, n_features)
        One image per row, in a digit layout.
    layout : {"digits", "ex4", "mnist"}, optional
        How a row stores its image; guessed from the number of features
        (64, 400, 784) when not given.
    n_cols : int, optional
        Images per row of the grid; about ``sqrt(n_images)`` by default.
    cmap : str, default="gray"
        Colour map for ink; ignored when ``diverging``.
    diverging : bool, default=False
        Scale each image by its largest absolute value and use a diverging
        map (blue negative, red positive): for weights rather than ink.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits.plotting import display_data
    >>> X, y = load_digits(return_X_y=True)
    >>> fig = display_data(X[:25])
    >>> fig.axes[0].images[0].get_array().shape   # 5 x 5 images of 8 x 8, 1 pixel apart
    (46, 46)
    """
    plt = _pyplot()
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    if X.shape[0] == 0:
        raise ValueError("display_data needs at least one image.")
    images = features_to_images(X, layout or guess_layout(X.shape[1]))
    if diverging:
        peak = np.abs(images).max(axis=(1, 2), keepdims=True)
        images = images / np.where(peak > 0, peak, 1.0)
        cmap, limits, fill = "RdBu_r", (-1.0, 1.0), 0.0
    else:
        limits, fill = (images.min(), max(images.max(), images.min() + 1e-12)), images.min()
    n_cols = n_cols or int(np.ceil(np.sqrt(len(images))))
    mosaic = _mosaic(images, n_cols, pad=1, fill=fill)
    fig, ax = plt.subplots(figsize=(min(10, 0.6 * n_cols + 1),) * 2)
    ax.imshow(mosaic, cmap=cmap, vmin=limits[0], vmax=limits[1], interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def plot_hidden_units(estimator, layout=None, n_cols=None):
    """Each first-layer hidden unit's incoming weights, drawn as an image.

    Parameters
    ----------
    estimator : fitted BackpropMLPClassifier (or a Pipeline ending in one)
        A network trained on digit images.
    layout : {"digits", "ex4", "mnist"}, optional
        The layout of the images it was trained on (guessed when not given).
    n_cols : int, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.plotting import plot_hidden_units
    >>> X, y = load_digits(return_X_y=True)
    >>> model = BackpropMLPClassifier(hidden_layer_sizes=16, max_iter=20).fit(X / 16, y)
    >>> fig = plot_hidden_units(model)   # 16 images of 8 x 8 weights
    """
    estimator = split_pipeline(estimator)[1]
    check_is_fitted(estimator, "coefs_")
    weights = estimator.coefs_[0].T  # one row of input weights per hidden unit
    return display_data(
        weights, layout, n_cols, diverging=True,
        title=f"{weights.shape[0]} hidden units: weights from each pixel",
    )


def plot_predictions(estimator, X, y=None, layout=None, n_cols=5, max_images=25):
    """Digits titled with the model's prediction and confidence; wrong ones in red.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n_images, n_features)
    y : array-like of shape (n_images,), optional
        True labels: wrong predictions are marked.
    layout : {"digits", "ex4", "mnist"}, optional
    n_cols : int, default=5
    max_images : int, default=25
        Only the first ``max_images`` rows are drawn.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.plotting import plot_predictions
    >>> X, y = load_digits(return_X_y=True)
    >>> model = BackpropMLPClassifier(max_iter=50).fit(X / 16, y)
    >>> fig = plot_predictions(model, X[:10] / 16, y[:10])
    >>> len([ax for ax in fig.axes if ax.images])
    10
    """
    plt = _pyplot()
    X = np.asarray(X, dtype=np.float64)[:max_images]
    proba = estimator.predict_proba(X)
    classes = split_pipeline(estimator)[1].classes_
    predicted, confidence = classes[proba.argmax(axis=1)], proba.max(axis=1)
    images = features_to_images(X, layout or guess_layout(X.shape[1]))
    n_rows = -(-len(images) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2 * n_cols, 2.2 * n_rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= len(images):
            continue
        ax.imshow(images[k], cmap="gray", interpolation="nearest")
        wrong = y is not None and predicted[k] != np.asarray(y)[k]
        label = f"{predicted[k]} ({confidence[k]:.0%})"
        if wrong:
            label += f"\ntrue: {np.asarray(y)[k]}"
        ax.set_title(label, color="red" if wrong else "black", fontsize=10)
    fig.tight_layout()
    return fig


def plot_loss_curve(estimator):
    """The cost ``J`` after each solver iteration of a fit.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.plotting import plot_loss_curve
    >>> X, y = load_digits(return_X_y=True)
    >>> model = BackpropMLPClassifier(max_iter=30).fit(X / 16, y)
    >>> len(plot_loss_curve(model).axes[0].lines[0].get_ydata())
    30
    """
    plt = _pyplot()
    estimator = split_pipeline(estimator)[1]
    check_is_fitted(estimator, "loss_curve_")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(np.arange(1, len(estimator.loss_curve_) + 1), estimator.loss_curve_)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_yscale("log")
    ax.set_title(f"{estimator.solver}: J = {estimator.loss_:.4f} after {estimator.n_iter_} "
                 "iterations")
    ax.grid(True, alpha=0.3)
    return fig


def plot_confusion_matrix(estimator, X, y, normalize=None, title="Confusion matrix"):
    """Confusion matrix of a fitted classifier on ``(X, y)``, by scikit-learn's display.

    Parameters
    ----------
    estimator : fitted classifier
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    normalize : {"true", "pred", "all"} or None, default=None
        Passed to :class:`~sklearn.metrics.ConfusionMatrixDisplay`.
    title : str, default="Confusion matrix"

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.plotting import plot_confusion_matrix
    >>> X, y = load_digits(return_X_y=True)
    >>> model = BackpropMLPClassifier(max_iter=50).fit(X / 16, y)
    >>> fig = plot_confusion_matrix(model, X / 16, y)
    >>> fig.axes[0].get_title()
    'Confusion matrix'
    """
    plt = _pyplot()
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(6, 6))
    ConfusionMatrixDisplay.from_estimator(
        estimator, X, y, normalize=normalize, ax=ax, colorbar=False, cmap="Blues"
    )
    ax.set_title(title)
    return fig


#: The pictures :func:`overview` draws, in order.
OVERVIEW = ("digits", "hidden_units", "predictions", "confusion_matrix", "loss_curve")


def overview(model, X, X_test, y_test, source, names=OVERVIEW, seed=0):
    """The course's pictures of a data set and a model, by name (see :data:`OVERVIEW`).

    Parameters
    ----------
    model : BackpropMLPClassifier or Pipeline ending in one
        Fitted; ``"loss_curve"`` needs one trained in this session.
    X : ndarray of shape (n_samples, n_features)
        The data set, of which 100 digits are drawn at random.
    X_test, y_test : held-out digits
        25 of them are shown with their predictions; all make the confusion matrix.
    source : str
        The data set's name, for the titles.
    names : sequence of str
        Which pictures to draw.
    seed : int
        Seed of the random choice of digits.

    Returns
    -------
    dict of str to matplotlib Figure

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> model = BackpropMLPClassifier(max_iter=20).fit(X / 16, y)
    >>> sorted(overview(model, X / 16, X[:50] / 16, y[:50], "digits", ["digits", "predictions"]))
    ['digits', 'predictions']
    """
    layout = guess_layout(X.shape[1])
    rng = np.random.default_rng(seed)
    n_shown, n_sample = min(100, len(X)), min(25, len(X_test))
    sample = rng.choice(len(X_test), size=n_sample, replace=False)
    draw = {
        "digits": lambda: display_data(X[rng.choice(len(X), n_shown, replace=False)], layout,
                                       title=f"{n_shown} digits of {source}"),
        "hidden_units": lambda: plot_hidden_units(model, layout),
        "predictions": lambda: plot_predictions(model, X_test[sample], y_test[sample], layout),
        "confusion_matrix": lambda: plot_confusion_matrix(
            model, X_test, y_test,
            title=f"Confusion matrix on {len(y_test)} held-out digits (rows: true)"),
        "loss_curve": lambda: plot_loss_curve(model),
    }
    return {name: draw[name]() for name in names}
