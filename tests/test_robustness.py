"""Bad input, numerical extremes, properties over many inputs, determinism."""

import hashlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sknn_digits import BackpropMLPClassifier, nn_cost_function, predict

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


def _fit(X, y, **params):
    return BackpropMLPClassifier(max_iter=20, random_state=0, **params).fit(X, y)


X_OK = np.random.default_rng(0).random((20, 3))
Y_OK = np.arange(20) % 2


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), [0, 1], "NaN"),
        (np.array([[np.inf, 1.0], [0.0, 1.0]]), [0, 1], "infinity"),
        (np.empty((0, 3)), [], "0 sample"),
        (X_OK[:1], Y_OK[:1], "one class"),
        (X_OK, Y_OK[:-1], "inconsistent numbers of samples"),
        (X_OK[:, 0], Y_OK, "Expected 2D array"),
        (X_OK[:, :, None], Y_OK, "dim 3"),
        (X_OK + 1j, Y_OK, "Complex data not supported"),
        (np.array([["a", "b"], ["c", "d"]]), [0, 1], "could not convert|dtype"),
        (X_OK, np.zeros(20), "one class"),
        (X_OK, np.linspace(0, 1, 20), "continuous"),
    ],
    ids=["nan", "inf", "empty", "one-sample", "lengths", "1-d", "3-d", "complex",
         "strings", "one-class", "continuous-y"],
)
def test_bad_training_data_is_named(X, y, match):
    with pytest.raises(ValueError, match=match):
        BackpropMLPClassifier().fit(X, y)


@pytest.mark.parametrize(
    "weights, match",
    # scikit-learn's own validation of sample weights, which names the parameter.
    [(-np.ones(20), "Negative values .*sample_weight"), (np.full(20, np.nan), "NaN"),
     (np.full(20, np.inf), "infinity"),
     (np.zeros(20), "zero for every sample|at least one non-zero"),
     (np.ones(19), r"sample_weight.shape == \(19,\), expected \(20,\)"),
     (np.ones((20, 2)), "1D array")],
)
def test_bad_sample_weights_are_named(weights, match):
    with pytest.raises(ValueError, match=match):
        BackpropMLPClassifier().fit(X_OK, Y_OK, sample_weight=weights)


def test_bad_prediction_input_is_named():
    clf = _fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="3 features"):
        clf.predict(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="0 sample"):
        clf.predict(np.empty((0, 3)))


def test_course_functions_reject_bad_shapes_clearly():
    with pytest.raises(ValueError, match="labels 1..3"):
        nn_cost_function(np.zeros(2 * 3 + 3 * 3), 2, 2, 3, np.zeros((2, 2)), [0, 4])
    with pytest.raises(ValueError, match="Theta 2 has shape"):
        predict(np.zeros((2, 3)), np.zeros((3, 2)), np.zeros((1, 2)))


@pytest.mark.parametrize(
    "X, params",
    [
        (X_OK * 1e6, {}),
        (X_OK * 1e-6, {}),
        (np.column_stack([X_OK, np.full(20, 7.0)]), {}),
        (X_OK, {"alpha": 1e12}),
        (X_OK, {"hidden_layer_sizes": 1}),
        (X_OK * 1e6, {"activation": "relu", "output_activation": "softmax"}),
    ],
    ids=["huge-features", "tiny-features", "constant-column", "huge-alpha", "one-unit",
         "huge-relu"],
)
def test_numerical_extremes_stay_finite(X, params):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow or invalid values
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = BackpropMLPClassifier(max_iter=30, random_state=0, **params).fit(X, Y_OK)
        proba = clf.predict_proba(X)
    assert np.isfinite(clf.loss_) and all(np.isfinite(J) for J in clf.loss_curve_)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0)


def test_a_fit_that_cannot_learn_says_so():
    # Features of order 1e6 saturate every sigmoid: the gradient vanishes.
    X = np.vstack([np.full((10, 3), 1e6), np.full((10, 3), 2e6)])
    with pytest.warns(ConvergenceWarning, match="saturated.*scale the features"):
        BackpropMLPClassifier(random_state=0).fit(X, Y_OK)


def test_a_fit_that_makes_no_progress_says_so():
    # Zero weights and identical rows: nothing for the gradient to move.
    X = np.ones((20, 3))
    y = np.arange(20) % 2
    with pytest.warns(ConvergenceWarning, match="no progress"):
        BackpropMLPClassifier(init_epsilon=0.0, random_state=0).fit(X, y)


def _weights_digest(clf):
    return hashlib.sha256(b"".join(t.tobytes() for t in clf.thetas_)).hexdigest()


@pytest.mark.slow
def test_same_random_state_gives_bit_identical_weights_across_processes():
    code = (
        "import warnings, hashlib, numpy as np\n"
        "warnings.simplefilter('ignore')\n"
        "from sknn_digits import BackpropMLPClassifier\n"
        "X = np.random.default_rng(0).random((20, 3)); y = np.arange(20) % 2\n"
        "clf = BackpropMLPClassifier(max_iter=20, random_state=0).fit(X, y)\n"
        "print(hashlib.sha256(b''.join(t.tobytes() for t in clf.thetas_)).hexdigest())\n"
    )
    # The other process imports this very package: from the source folder, Python would
    # take the source tree, which holds no compiled kernel, over the installed build.
    import os

    import sknn_digits

    package_parent = os.path.dirname(os.path.dirname(sknn_digits.__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [package_parent, os.environ.get("PYTHONPATH", "")])}
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120, check=True, env=env,
                           cwd=package_parent).stdout.strip()
    assert other == _weights_digest(_fit(X_OK, Y_OK)) == _weights_digest(_fit(X_OK, Y_OK))


labels = st.sampled_from([
    np.array([0, 1, 2]), np.array(["cat", "dog"]), np.array([True, False]),
    np.array([-1.0, 3.5]), np.array([10, 20, 30, 40]),
])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    n_samples=st.integers(1, 25),
    n_features=st.integers(1, 5),
    dtype=st.sampled_from([np.float64, np.float32, np.int64]),
    classes=labels,
    output_activation=st.sampled_from(["logistic", "softmax"]),
)
def test_fit_and_predict_work_or_raise_clearly(
    data, n_samples, n_features, dtype, classes, output_activation
):
    values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32)
    if dtype is np.int64:
        values = st.integers(-1000, 1000)
    X = data.draw(hnp.arrays(dtype, (n_samples, n_features), elements=values))
    y = classes[data.draw(hnp.arrays(np.int64, n_samples,
                                     elements=st.integers(0, len(classes) - 1)))]
    X_before = X.copy()
    clf = BackpropMLPClassifier(hidden_layer_sizes=3, max_iter=5, random_state=0,
                                output_activation=output_activation)
    try:
        clf.fit(X, y)
    except (ValueError, TypeError) as error:
        assert str(error)  # a message, not a bare exception
        # The only ways these inputs may fail: one class, or float labels that are
        # not whole numbers (scikit-learn reads those as a regression target).
        assert len(np.unique(y)) < 2 or "continuous" in str(error)
        return
    proba = clf.predict_proba(X)
    assert proba.shape == (n_samples, len(clf.classes_))
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert set(clf.predict(X)) <= set(clf.classes_)
    np.testing.assert_array_equal(X, X_before)
