"""Tests of the pictures (headless, Agg backend)."""


import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from sknn_digits import BackpropMLPClassifier  # noqa: E402
from sknn_digits.plotting import (  # noqa: E402
    display_data,
    plot_confusion_matrix,
    plot_hidden_units,
    plot_loss_curve,
    plot_predictions,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def model(small_digits):
    X, y = small_digits
    return BackpropMLPClassifier(hidden_layer_sizes=9, max_iter=60, random_state=0).fit(X, y)


def test_display_data_tiles_images_in_their_layout(small_digits):
    X = small_digits[0] * 16  # the digits layout: 0..16
    fig = display_data(X[:6], n_cols=3)
    mosaic = fig.axes[0].images[0].get_array()
    assert mosaic.shape == (1 + 2 * 9, 1 + 3 * 9)
    # The second image sits at row 0, column 1 of the grid, upright.
    np.testing.assert_allclose(mosaic[1:9, 10:18], X[1].reshape(8, 8) / 16)


def test_display_data_course_layout_is_column_major():
    x = np.zeros(400)
    x[20] = 1.0  # column 1, row 0 in column-major order
    mosaic = display_data(x[None], layout="ex4").axes[0].images[0].get_array()
    assert mosaic[1 + 0, 1 + 1] == 1.0


def test_display_data_diverging_scales_each_image():
    X = np.vstack([np.linspace(-2, 1, 64), np.linspace(0, 10, 64)])
    image = display_data(X, diverging=True).axes[0].images[0]
    assert image.get_cmap().name == "RdBu_r"
    assert image.get_array().min() == -1.0 and image.get_array().max() == 1.0


def test_display_data_errors():
    with pytest.raises(ValueError, match="No digit layout has 10 features"):
        display_data(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="at least one image"):
        display_data(np.zeros((0, 64)))


def test_plot_hidden_units_draws_each_units_weights(model):
    fig = plot_hidden_units(model)
    mosaic = fig.axes[0].images[0].get_array()
    first = model.coefs_[0][:, 0].reshape(8, 8)
    np.testing.assert_allclose(mosaic[1:9, 1:9], first / np.abs(first).max())
    assert "9 hidden units" in fig.axes[0].get_title()


def test_plot_predictions_marks_wrong_ones(model, small_digits):
    X, y = small_digits
    y_wrong = y.copy()
    y_wrong[0] = (y[0] + 1) % 10
    fig = plot_predictions(model, X[:10], y_wrong[:10])
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert len(titles) == 10
    predicted = model.predict(X[:10])
    proba = model.predict_proba(X[:10]).max(axis=1)
    assert titles[1].startswith(f"{predicted[1]} ({proba[1]:.0%})")
    red = [ax.title.get_color() == "red" for ax in fig.axes if ax.images]
    np.testing.assert_array_equal(red, predicted != y_wrong[:10])


def test_plot_loss_curve(model):
    fig = plot_loss_curve(model)
    line = fig.axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), model.loss_curve_)


def test_plot_confusion_matrix_uses_sklearn_counts(model, small_digits):
    X, y = small_digits
    fig = plot_confusion_matrix(model, X, y)
    texts = [int(t.get_text()) for t in fig.axes[0].texts]
    np.testing.assert_array_equal(np.reshape(texts, (10, 10)),
                                  confusion_matrix(y, model.predict(X)))


def test_pipelines_are_accepted(model, small_digits):
    _X, _ = small_digits
    pipe = make_pipeline(FunctionTransformer(), model)
    assert plot_hidden_units(pipe).axes and plot_loss_curve(pipe).axes


def test_missing_matplotlib_names_the_extra(monkeypatch):
    import builtins

    import sknn_digits.plotting as plotting

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"sknn_digits\[plot\]"):
        plotting.display_data(np.zeros((1, 64)))
