"""Tests of sknn_digits.core: cost, gradient, layout, numerical care."""

import warnings

import numpy as np
import pytest
from scipy import sparse

from sknn_digits.core import (
    ACTIVATIONS,
    Network,
    forward,
    n_params,
    sigmoid,
    softplus,
    unpack,
)
from sknn_digits.course import roll, unroll
from sknn_digits.gradient_check import numerical_gradient, relative_difference
from sknn_digits.initialization import initial_params


def loss_and_gradient(params, layer_sizes, X, Y, alpha=0.0, activation="logistic",
                      output="logistic", sample_weight=None, workspace=None):
    """``Network(...).loss_gradient`` in one call, as these tests read it."""
    network = Network(layer_sizes, activation, output, workspace=workspace)
    return network.loss_gradient(params, X, Y, sample_weight, alpha=alpha)


def hessian_vector_product(params, vector, layer_sizes, X, Y, alpha=0.0,
                           activation="logistic", output="logistic", sample_weight=None):
    """``Network(...).hessian_product`` in one call, as these tests read it."""
    return Network(layer_sizes, activation, output).hessian_product(
        params, vector, X, Y, sample_weight, alpha=alpha)


def _problem(layer_sizes, m=7, output="logistic", seed=0, multilabel=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, layer_sizes[0]))
    k = layer_sizes[-1]
    if multilabel or k == 1:
        Y = (rng.random((m, k)) < 0.5).astype(float)
    else:
        Y = np.eye(k)[rng.integers(0, k, m)]
    params = rng.uniform(-1, 1, n_params(layer_sizes))
    return params, X, Y


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", ["logistic", "softmax"])
@pytest.mark.parametrize("hidden", [(5,), (4, 3), (3, 4, 2)])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_central_differences(activation, output, hidden, weighted):
    layer_sizes = (4, *hidden, 3)
    params, X, Y = _problem(layer_sizes)
    sample_weight = np.random.default_rng(1).uniform(0.1, 3, X.shape[0]) if weighted else None

    def cost(p):
        return loss_and_gradient(p, layer_sizes, X, Y, 0.7, activation, output, sample_weight)

    _, grad = cost(params)
    numerical = numerical_gradient(cost, params, epsilon=1e-5)
    assert relative_difference(numerical, grad) < 1e-7


def _slow_cost(params, layer_sizes, X, Y, alpha, activation, output, sample_weight):
    """Per-sample loop straight from the definitions (notebook 001's idea)."""
    g = {"identity": lambda z: z, "logistic": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
         "relu": lambda z: np.maximum(z, 0)}[activation]
    thetas = roll(params, layer_sizes)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    total = 0.0
    for x, y, weight in zip(X, Y, w):
        a = x
        for theta in thetas[:-1]:
            a = g(theta @ np.concatenate(([1.0], a)))
        z = thetas[-1] @ np.concatenate(([1.0], a))
        if output == "logistic":
            h = 1 / (1 + np.exp(-z))
            total += weight * np.sum(-y * np.log(h) - (1 - y) * np.log(1 - h))
        else:
            h = np.exp(z) / np.exp(z).sum()
            total += weight * -np.sum(y * np.log(h))
    penalty = sum(np.sum(theta[:, 1:] ** 2) for theta in thetas)
    return total / w.sum() + alpha / (2 * w.sum()) * penalty


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", ["logistic", "softmax"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cost_matches_per_sample_loop(activation, output, weighted):
    layer_sizes = (5, 4, 3, 3)
    params, X, Y = _problem(layer_sizes, m=9, seed=3)
    sw = np.arange(1.0, 10.0) if weighted else None
    J, _ = loss_and_gradient(params, layer_sizes, X, Y, 1.3, activation, output, sw)
    expected = _slow_cost(params, layer_sizes, X, Y, 1.3, activation, output, sw)
    assert pytest.approx(expected, rel=1e-12) == J


def test_integer_weights_equal_repeated_samples():
    layer_sizes = (3, 4, 2)
    params, X, Y = _problem(layer_sizes, m=5, multilabel=True)
    counts = np.array([1, 0, 3, 2, 1])
    J_w, g_w = loss_and_gradient(params, layer_sizes, X, Y, 0.5, sample_weight=counts)
    J_r, g_r = loss_and_gradient(
        params, layer_sizes, X.repeat(counts, axis=0), Y.repeat(counts, axis=0), 0.5
    )
    assert J_w == pytest.approx(J_r, rel=1e-13)
    np.testing.assert_allclose(g_w, g_r, rtol=1e-11, atol=1e-15)


def test_penalty_leaves_biases_alone():
    layer_sizes = (3, 2, 2)
    params, X, Y = _problem(layer_sizes)
    J0, g0 = loss_and_gradient(params, layer_sizes, X, Y, 0.0)
    J1, g1 = loss_and_gradient(params, layer_sizes, X, Y, 2.0)
    thetas = roll(params, layer_sizes)
    m = X.shape[0]
    penalty = sum((t[:, 1:] ** 2).sum() for t in thetas)
    assert pytest.approx(2.0 / (2 * m) * penalty) == J1 - J0
    for d0, d1, t in zip(roll(g0, layer_sizes), roll(g1, layer_sizes), thetas):
        np.testing.assert_allclose(d1[:, 0], d0[:, 0])
        np.testing.assert_allclose(d1[:, 1:] - d0[:, 1:], 2.0 / m * t[:, 1:])


@pytest.mark.parametrize("output", ["logistic", "softmax"])
def test_saturated_network_gives_finite_cost_without_warnings(output):
    layer_sizes = (2, 3, 3)
    X = np.array([[1e6, -1e6], [-1e6, 1e6], [1e300, 0.0]])
    Y = np.eye(3)
    params = np.random.default_rng(0).uniform(-1e3, 1e3, n_params(layer_sizes))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        J, grad = loss_and_gradient(params, layer_sizes, X, Y, 1.0, "logistic", output)
    assert np.isfinite(J) and np.all(np.isfinite(grad))
    assert J > 100  # badly wrong, confident predictions cost a lot: not log(0) = inf


def test_softplus_and_sigmoid_at_extremes():
    z = np.array([-1e308, -800.0, 0.0, 800.0, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(softplus(z), [0.0, 0.0, np.log(2), 800.0, 1e308])
        np.testing.assert_array_equal(sigmoid(z), [0.0, 0.0, 0.5, 1.0, 1.0])


def test_roll_is_inverse_of_unroll_and_uses_octave_order():
    theta_1 = np.arange(8.0).reshape(2, 4)
    theta_2 = np.arange(9.0).reshape(3, 3) + 100
    params = unroll(theta_1, theta_2)
    # Octave's Theta(:) walks down the columns.
    np.testing.assert_array_equal(params[:4], [0.0, 4.0, 1.0, 5.0])
    back = roll(params, (3, 2, 3))
    np.testing.assert_array_equal(back[0], theta_1)
    np.testing.assert_array_equal(back[1], theta_2)
    back[0][0, 0] = -1.0  # views: writing through them changes params
    assert params[0] == -1.0


def test_unpack_views_match_thetas():
    layer_sizes = (3, 2, 4)
    params = np.arange(float(n_params(layer_sizes)))
    coefs, intercepts = unpack(params, layer_sizes)
    for W, b, theta in zip(coefs, intercepts, roll(params, layer_sizes)):
        np.testing.assert_array_equal(W, theta[:, 1:].T)
        np.testing.assert_array_equal(b, theta[:, 0])
        assert W.flags.c_contiguous and np.shares_memory(W, params)


def test_roll_rejects_wrong_length():
    with pytest.raises(ValueError, match="17 values"):
        roll(np.zeros(16), (3, 2, 3))


def test_sparse_input_gives_dense_result():
    layer_sizes = (6, 4, 3)
    params, X, Y = _problem(layer_sizes, m=8)
    X[X < 0.3] = 0.0
    dense = loss_and_gradient(params, layer_sizes, X, Y, 0.3)
    for fmt in (sparse.csr_matrix, sparse.csc_array):
        J, grad = loss_and_gradient(params, layer_sizes, fmt(X), Y, 0.3)
        assert pytest.approx(dense[0], rel=1e-13) == J
        np.testing.assert_allclose(grad, dense[1], rtol=1e-12, atol=1e-15)


def test_float32_input_is_computed_in_float32():
    layer_sizes = (6, 4, 3)
    params, X, Y = _problem(layer_sizes, m=8)
    J64, g64 = loss_and_gradient(params, layer_sizes, X, Y, 0.3)
    X32 = X.astype(np.float32)
    activations, z = forward(X32, *unpack(params.astype(np.float32), layer_sizes))
    assert z.dtype == np.float32 and activations[1].dtype == np.float32
    J32, g32 = loss_and_gradient(params, layer_sizes, X32, Y.astype(np.float32), 0.3)
    assert pytest.approx(J64, rel=1e-5) == J32
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-5)


def test_forward_pass_matches_explicit_layers():
    layer_sizes = (3, 4, 2)
    params = initial_params(layer_sizes, random_state=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    theta_1, theta_2 = roll(params, layer_sizes)
    a2 = 1 / (1 + np.exp(-(np.hstack([np.ones((5, 1)), X]) @ theta_1.T)))
    z3 = np.hstack([np.ones((5, 1)), a2]) @ theta_2.T
    activations, z_out = forward(X, *unpack(params, layer_sizes))
    np.testing.assert_allclose(activations[1], a2, rtol=1e-14)
    np.testing.assert_allclose(z_out, z3, rtol=1e-13)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", ["logistic", "softmax"])
@pytest.mark.parametrize("hidden", [(5,), (4, 3), (3, 4, 2)])
@pytest.mark.parametrize("weighted", [False, True])
def test_hessian_vector_product_matches_differences_of_the_gradient(
    activation, output, hidden, weighted
):
    layer_sizes = (4, *hidden, 3)
    params, X, Y = _problem(layer_sizes, seed=2)
    rng = np.random.default_rng(7)
    vector = rng.normal(size=params.size)
    sw = rng.uniform(0.1, 3, X.shape[0]) if weighted else None
    args = (layer_sizes, X, Y, 0.4, activation, output, sw)
    hv = hessian_vector_product(params, vector, *args)
    eps = 1e-5
    plus = loss_and_gradient(params + eps * vector, *args)[1]
    minus = loss_and_gradient(params - eps * vector, *args)[1]
    assert relative_difference((plus - minus) / (2 * eps), hv) < 1e-7


def test_hessian_is_symmetric():
    layer_sizes = (3, 4, 2)
    params, X, Y = _problem(layer_sizes, m=6)
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=params.size), rng.normal(size=params.size)
    args = (layer_sizes, X, Y, 0.1, "tanh", "softmax")
    assert u @ hessian_vector_product(params, v, *args) == pytest.approx(
        v @ hessian_vector_product(params, u, *args), rel=1e-10)


def test_workspace_reuse_gives_identical_results():
    layer_sizes = (6, 5, 4, 3)
    params, X, Y = _problem(layer_sizes, m=12)
    workspace = {}
    first = loss_and_gradient(params, layer_sizes, X, Y, 0.3, workspace=workspace)
    assert workspace  # arrays were kept for the next call
    again = loss_and_gradient(params, layer_sizes, X, Y, 0.3, workspace=workspace)
    fresh = loss_and_gradient(params, layer_sizes, X, Y, 0.3)
    assert first[0] == again[0] == fresh[0]
    np.testing.assert_array_equal(again[1], fresh[1])
    assert not np.shares_memory(first[1], again[1])  # each call returns a new gradient


def test_fast_hidden_sigmoid_agrees_with_exact_sigmoid():
    z = np.linspace(-50, 50, 1001)
    np.testing.assert_allclose(ACTIVATIONS["logistic"].g(z.copy()), sigmoid(z), atol=2e-16)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_numpy_output_error_keeps_its_digits_at_every_pre_activation(dtype):
    """The output's h - y (the gradient of the last layer's bias, one row) against
    scipy's expit: a few ulps of h however small, for z from -700 to 700, with
    both of its branches (1 / (1 + e) and e / (1 + e)) and z = 0 between them."""
    from scipy.special import expit

    z = np.concatenate([-np.geomspace(700, 1e-3, 40), [0.0], np.geomspace(1e-3, 700, 40)])
    z = z[np.abs(z) < (80 if dtype == np.float32 else 700)].astype(dtype)
    network = Network((1, z.size), "identity", "logistic")
    params = np.zeros(network.n_params, dtype)
    params[: z.size] = z  # the output bias: every unit's z in one row
    X, Y = np.zeros((1, 1), dtype), np.zeros((1, z.size), dtype)
    _, grad = network.loss_gradient(params, X, Y)
    h = grad[: z.size]
    exact = expit(z.astype(np.float64))
    tiny = np.finfo(dtype).tiny
    ulps = np.abs(h - exact) / np.spacing(np.maximum(exact, tiny).astype(dtype))
    assert ulps.max() <= 4, z[ulps.argmax()]


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("output", ["logistic", "softmax"])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_fused_numpy_evaluation_matches_the_equations(activation, output, weighted):
    """Cost and gradient against a plain, independent forward pass and finite differences."""
    from scipy.special import expit, log_softmax, softmax

    from sknn_digits.core import Network

    rng = np.random.default_rng(3)
    sizes = (6, 5, 4, 3)
    network = Network(sizes, activation, output)
    X = rng.normal(size=(40, 6))
    Y = np.eye(3)[rng.integers(0, 3, 40)]
    w = rng.random(40) + 0.5 if weighted else None
    params = rng.normal(size=network.n_params)
    g = {"logistic": expit, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
         "identity": lambda z: z}[activation]

    def reference(p):
        coefs, intercepts = network.unpack(p)
        a = X
        for W, b in zip(coefs[:-1], intercepts[:-1]):
            a = g(a @ W + b)
        z = a @ coefs[-1] + intercepts[-1]
        if output == "logistic":  # -y log g(z) - (1 - y) log(1 - g(z)), in a stable form
            losses = (Y * np.logaddexp(0, -z) + (1 - Y) * np.logaddexp(0, z)).sum(axis=1)
        else:
            losses = -(Y * log_softmax(z, axis=1)).sum(axis=1)
            assert np.allclose(softmax(z, axis=1).sum(axis=1), 1)
        weights = np.ones(40) if w is None else w
        return (weights @ losses + 0.7 / 2 * sum((W * W).sum() for W in coefs)) / weights.sum()

    J, grad = network.loss_gradient(params, X, Y, w, alpha=0.7)
    assert pytest.approx(reference(params), rel=1e-12) == J
    step = 1e-6
    numerical = np.array([(reference(params + step * e) - reference(params - step * e)) / (2 * step)
                          for e in np.eye(network.n_params)])
    mask = np.ones(network.n_params, bool) if activation != "relu" else np.abs(numerical) > 0
    np.testing.assert_allclose(grad[mask], numerical[mask], rtol=1e-5, atol=1e-8)
    # Called again (reused buffers), the answer is the same.
    J2, grad2 = network.loss_gradient(params, X, Y, w, alpha=0.7)
    assert J2 == J and np.array_equal(grad2, grad)


def test_float32_cost_of_a_confident_network_keeps_its_digits():
    """Large, right-signed outputs: J is small while sum(softplus) and sum(y z) are large.

    Summing those two apart and subtracting lost J's digits in float32; the
    terms are formed before any sum.
    """
    from sknn_digits.core import Network

    rng = np.random.default_rng(0)
    network = Network((5, 8, 4), "identity", "logistic")
    X = rng.normal(size=(2000, 5))
    params = 15 * rng.normal(size=network.n_params)
    z = network.decision(params, X)
    Y = (z > 0).astype(np.float64)  # every unit right: a confident, well-fit network
    J64, _ = network.loss_gradient(params, X, Y)
    J32, _ = network.loss_gradient(params, X.astype(np.float32), Y.astype(np.float32))
    assert J64 < 0.05
    assert pytest.approx(J64, rel=1e-3) == J32


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_a_chunk_with_no_rows_adds_nothing(activation):
    # A cluster's chunk may hold no rows: its data term and gradient are zero.
    network = Network((6, 5, 4, 3), activation=activation)
    params = np.random.default_rng(0).normal(size=network.n_params)
    J, grad = network.loss_gradient(params, np.empty((0, 6)), np.empty((0, 3)), normaliser=7.0)
    assert J == 0.0
    np.testing.assert_array_equal(grad, np.zeros(network.n_params))


@pytest.mark.parametrize("layer_sizes", [(6, 3), (6, 5, 3), (6, 5, 4, 3)])
@pytest.mark.parametrize("layout", ["C", "F", "csr"])
def test_every_depth_and_input_layout_agrees_with_the_per_sample_loop(layer_sizes, layout):
    # The numpy evaluation keeps hidden layers transposed below a row of ones and
    # takes the first layer's product from X in whatever layout X has.
    params, X, Y = _problem(layer_sizes, m=11, seed=4)
    X[X < 0.2] = 0.0
    given = {"C": X, "F": np.asfortranarray(X), "csr": sparse.csr_matrix(X)}[layout]

    def slow(p):
        return _slow_cost(p, layer_sizes, X, Y, 0.4, "logistic", "logistic", None)

    J, grad = loss_and_gradient(params, layer_sizes, given, Y, 0.4)
    assert pytest.approx(slow(params), rel=1e-13) == J
    assert relative_difference(numerical_gradient(slow, params, epsilon=1e-5), grad) < 1e-8


def _misaligned(array, offset=3):
    """A copy of ``array`` whose data start ``offset`` bytes past an aligned address,
    as numpy arrays unpickled on a Dask worker may."""
    raw = np.zeros(array.nbytes + 64, dtype=np.uint8)
    start = -raw.ctypes.data % 64 + offset
    copy = raw[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    copy[...] = array
    return copy


_MISALIGNED_RUN = """
import numpy as np
from sknn_digits.core import Network
from test_core import _misaligned

rng = np.random.default_rng(0)
network = Network((64, 25, 10))
X, Y = rng.random((170, 64)), np.eye(10)[rng.integers(0, 10, 170)]
params, vector = rng.normal(size=(2, network.n_params))
expected = (network.loss_gradient(params, X, Y, alpha=1.0),
            network.hessian_product(params, vector, X, Y, alpha=1.0),
            network.decision(params, X))
for offset in (1, 3, 4):
    p, v, X_odd = _misaligned(params, offset), _misaligned(vector, offset), _misaligned(X, offset)
    assert not (p.flags.aligned or X_odd.flags.aligned)
    J, grad = network.loss_gradient(p, X_odd, Y, alpha=1.0)
    assert J == expected[0][0]
    np.testing.assert_array_equal(grad, expected[0][1])
    np.testing.assert_array_equal(network.hessian_product(p, v, X_odd, Y, alpha=1.0), expected[1])
    np.testing.assert_array_equal(network.decision(p, X_odd), expected[2])
"""


@pytest.mark.slow
def test_misaligned_arrays_are_evaluated_like_aligned_ones():
    # A parameter vector scattered to a Dask worker arrives at any byte offset.
    # Handed to BLAS so, one of OpenBLAS's x86 kernels (Prescott's, which it picks
    # on a CPU it does not recognise; forced here) dies of a segmentation fault:
    # CI lost every worker of its clusters that way. In a child process, so a crash
    # fails this test instead of ending the run.
    import os
    import subprocess
    import sys

    env = {**os.environ, "OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__),
                                          os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", _MISALIGNED_RUN], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]


def test_aligned_copies_only_what_is_misaligned():
    from sknn_digits.core import aligned

    x = np.arange(6.0).reshape(2, 3)
    assert aligned(x) is x
    odd = _misaligned(x.T).T  # column-major, as X may be
    assert odd.flags.f_contiguous and not odd.flags.aligned
    fixed = aligned(odd)
    assert fixed.flags.aligned and fixed.flags.f_contiguous
    np.testing.assert_array_equal(fixed, x)


@pytest.fixture(params=["numpy", "compiled", "compiled loops"])
def kernel(request, monkeypatch):
    """Each kernel in turn: the numpy one; where the compiled one was built, its whole
    evaluation (small problems) and its loops between numpy's products (large ones)."""
    from sknn_digits.core import numpy_kernel

    if request.param == "numpy":
        monkeypatch.setattr(numpy_kernel, "_fused", None)
    elif numpy_kernel.kernel() != "compiled":
        pytest.skip("the compiled kernel was not built here (no compiler at install time)")
    elif request.param == "compiled loops":  # every problem counts as large
        monkeypatch.setattr(numpy_kernel, "SMALL_EVALUATION_FLOPS", 0)
    return request.param


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
@pytest.mark.parametrize("output", ["logistic", "softmax"])
@pytest.mark.parametrize("case", ["plain", "weighted", "sparse", "float32", "no hidden",
                                  "two hidden", "chunk", "saturated", "float32 weighted"])
def test_the_numpy_kernel_equals_the_generic_path(activation, output, case, kernel):
    """The fast path and the equations as written, on the same numpy input: cost (the
    loss and the penalty), output error, backward pass and layer gradients all agree, with
    the compiled loops and without."""
    rng = np.random.default_rng(7)
    sizes = {"no hidden": (5, 3), "two hidden": (5, 6, 4, 3)}.get(case, (5, 6, 3))
    network = Network(sizes, activation, output)
    X = rng.normal(size=(30, 5))
    Y = np.eye(3)[rng.integers(0, 3, 30)]
    params = rng.normal(size=network.n_params)
    kwargs = {"alpha": 0.7}
    if case == "weighted":
        kwargs["sample_weight"] = rng.random(30) + 0.2
    if case == "sparse":
        X[X < 0.5] = 0.0
        X = sparse.csr_matrix(X)
    if case == "float32 weighted":
        kwargs["sample_weight"] = (rng.random(30) + 0.2).astype(np.float32)
    if case.startswith("float32"):
        X, Y, params = X.astype(np.float32), Y.astype(np.float32), params.astype(np.float32)
    if case == "saturated":  # |z| in the hundreds: the sigmoid's and softmax's tails
        params = params * 200
    if case == "chunk":  # a cluster's chunk: the whole set's normaliser, no penalty
        kwargs = {"normaliser": 120.0, "alpha": 0.0}
    fast = network.loss_gradient(params, X, Y, **kwargs)
    generic = network._loss_gradient_generic(params, X, Y, **kwargs)
    tolerance = 1e-5 if case.startswith("float32") else 1e-12
    assert fast[0] == pytest.approx(generic[0], rel=tolerance)
    np.testing.assert_allclose(fast[1], generic[1], rtol=tolerance,
                               atol=tolerance * np.abs(generic[1]).max())


def test_loading_the_compiled_kernel_leaves_subnormal_numbers_alone():
    """A module linked with -ffast-math may set the processor's flush-to-zero mode for the
    whole process as it loads; setup.py gives the flag to the compiler only."""
    import subprocess
    import sys

    code = ("import numpy as np\n"
            "from sknn_digits.core import numpy_kernel\n"
            "tiny = np.array([np.finfo(np.float64).tiny])\n"
            "print(numpy_kernel.kernel(), bool((tiny / 4)[0] > 0))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.split()[1] == "True", done.stdout


def test_the_core_imports_nothing_of_scikit_learn():
    """Numerics at the bottom: the core evaluates the network without scikit-learn, which the
    package plugs in only for arrays of other namespaces (sknn_digits._compat)."""
    import subprocess
    import sys

    code = ("import sys\nimport numpy as np\nfrom sknn_digits.core import Network\n"
            "net = Network((3, 4, 2), 'relu', 'softmax')\n"
            "Y = np.eye(2)[[0, 1, 0, 1, 0]]\n"
            "net.loss_gradient(np.zeros(net.n_params), np.ones((5, 3)), Y)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_saturation_is_read_from_the_activations_table():
    X = np.full((4, 2), 100.0)
    params = np.ones(n_params((2, 3, 1)))
    for name, activation in ACTIVATIONS.items():
        share = Network((2, 3, 1), name).saturation(params, X)
        assert (share == 1.0) if activation.saturates else (share == 0.0), name
