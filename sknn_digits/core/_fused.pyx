# cython: boundscheck=False, wraparound=False, initializedcheck=False, language_level=3
"""The compiled kernel: the element-wise passes of :mod:`.numpy_kernel`, each fused into one
loop (``_fused_loops.h``) that runs without the interpreter lock.

Every function takes C-contiguous float64 or float32 arrays of one dtype, as the numpy
kernel's buffers are; :mod:`.numpy_kernel` calls them where they apply and does the rest
itself.
"""

ctypedef fused floating:
    float
    double

cdef extern from "_fused_loops.h" nogil:
    void sigmoid_slope_d(double *a, double *slope, Py_ssize_t n)
    void sigmoid_slope_f(float *a, float *slope, Py_ssize_t n)
    void sigmoid_back_d(double *back, const double *a, const double *slope, Py_ssize_t n)
    void sigmoid_back_f(float *back, const float *a, const float *slope, Py_ssize_t n)
    double logistic_output_d(const double *z, const double *y, const double *w, double unit,
                             double *delta, Py_ssize_t rows, Py_ssize_t cols)
    double logistic_output_f(const float *z, const float *y, const float *w, float unit,
                             float *delta, Py_ssize_t rows, Py_ssize_t cols)
    double softmax_output_d(const double *z, const double *y, const double *w, double unit,
                            double *delta, Py_ssize_t rows, Py_ssize_t cols)
    double softmax_output_f(const float *z, const float *y, const float *w, float unit,
                            float *delta, Py_ssize_t rows, Py_ssize_t cols)


def sigmoid_slope(floating[:, ::1] a, floating[:, ::1] slope):
    """``a`` holds ``-z``: it becomes ``g(z)``, and ``slope`` ``1 - g(z)``."""
    cdef Py_ssize_t n = a.shape[0] * a.shape[1]
    if n == 0:
        return
    with nogil:
        if floating is double:
            sigmoid_slope_d(&a[0, 0], &slope[0, 0], n)
        else:
            sigmoid_slope_f(&a[0, 0], &slope[0, 0], n)


def sigmoid_back(floating[:, ::1] back, const floating[:, ::1] a,
                 const floating[:, ::1] slope):
    """``back *= a * slope``: BP2's ``g'(z) = a (1 - a)``."""
    cdef Py_ssize_t n = back.shape[0] * back.shape[1]
    if n == 0:
        return
    with nogil:
        if floating is double:
            sigmoid_back_d(&back[0, 0], &a[0, 0], &slope[0, 0], n)
        else:
            sigmoid_back_f(&back[0, 0], &a[0, 0], &slope[0, 0], n)


def output(str kind, const floating[:, ::1] z, const floating[:, ::1] Y,
           const floating[::1] weights, double unit, floating[:, ::1] delta):
    """The output layer's data term of ``J`` (returned) and error ``delta`` (written).

    ``kind`` is ``"logistic"`` or ``"softmax"``; ``weights`` the rows' weights (already
    divided by ``m``) or None for equal ones, then scaled by ``unit``.
    """
    cdef Py_ssize_t rows = z.shape[0], cols = z.shape[1]
    cdef const floating *w = NULL
    cdef bint softmax = kind == "softmax"
    cdef double J
    if rows == 0 or cols == 0:
        return 0.0
    if weights is not None:
        w = &weights[0]
    with nogil:
        if floating is double:
            if softmax:
                J = softmax_output_d(&z[0, 0], &Y[0, 0], w, unit, &delta[0, 0], rows, cols)
            else:
                J = logistic_output_d(&z[0, 0], &Y[0, 0], w, unit, &delta[0, 0], rows, cols)
        else:
            if softmax:
                J = softmax_output_f(&z[0, 0], &Y[0, 0], w, <float>unit, &delta[0, 0], rows,
                                     cols)
            else:
                J = logistic_output_f(&z[0, 0], &Y[0, 0], w, <float>unit, &delta[0, 0], rows,
                                      cols)
    return J


# ---------------------------------------------------------------- one whole evaluation

from scipy.linalg.cython_blas cimport dgemm, sgemm


cdef void _gemm(bint ta, bint tb, int M, int N, int K, floating alpha,
                const floating *A, int lda, const floating *B, int ldb,
                floating beta, floating *C, int ldc) noexcept nogil:
    """Row-major ``C (M x N) = alpha op(A) op(B) + beta C`` through column-major BLAS, which
    computes ``C^T = op(B)^T op(A)^T``; ``lda``, ``ldb`` and ``ldc`` are row lengths."""
    cdef char transa = b'T' if tb else b'N'
    cdef char transb = b'T' if ta else b'N'
    if floating is double:
        dgemm(&transa, &transb, &N, &M, &K, &alpha, <double *>B, &ldb, <double *>A, &lda,
              &beta, C, &ldc)
    else:
        sgemm(&transa, &transb, &N, &M, &K, &alpha, <float *>B, &ldb, <float *>A, &lda,
              &beta, C, &ldc)


cdef void _sigmoid_slope(floating *a, floating *slope, Py_ssize_t n) noexcept nogil:
    if floating is double:
        sigmoid_slope_d(a, slope, n)
    else:
        sigmoid_slope_f(a, slope, n)


cdef void _sigmoid_back(floating *back, const floating *a, const floating *slope,
                        Py_ssize_t n) noexcept nogil:
    if floating is double:
        sigmoid_back_d(back, a, slope, n)
    else:
        sigmoid_back_f(back, a, slope, n)


cdef double _output(bint softmax, const floating *z, const floating *y, const floating *w,
                    floating unit, floating *delta, Py_ssize_t rows,
                    Py_ssize_t cols) noexcept nogil:
    if floating is double:
        if softmax:
            return softmax_output_d(z, y, w, unit, delta, rows, cols)
        return logistic_output_d(z, y, w, unit, delta, rows, cols)
    else:
        if softmax:
            return softmax_output_f(z, y, w, unit, delta, rows, cols)
        return logistic_output_f(z, y, w, unit, delta, rows, cols)


def workspace_size(layer_sizes, Py_ssize_t m):
    """The values :func:`loss_gradient`'s ``work`` holds for ``m`` rows: each hidden layer
    transposed below a row of ones and its slope, two hidden errors, ``z`` and ``delta``, and
    the first layer's weight gradient transposed."""
    n = len(layer_sizes)  # (no negative indices: wraparound is off)
    hidden, outputs = layer_sizes[1:n - 1], layer_sizes[n - 1]
    return (m * (sum(2 * h + 1 for h in hidden) + 2 * max(hidden) + 2 * outputs)
            + layer_sizes[0] * layer_sizes[1])


def loss_gradient(layer_sizes, bint softmax, const floating[:, ::1] X,
                  const floating[:, ::1] Y, const floating[::1] weights, double unit,
                  double penalty, const floating[::1] params, floating[::1] grad,
                  floating[::1] work):
    """``(data term of J, sum of squared weights)`` for sigmoid hidden layers and dense
    ``X``; the gradient, ``penalty * W`` added to each weight's, in ``grad``.

    :func:`~sknn_digits.core.numpy_kernel._backpropagate`'s forward and backward passes
    (BP1-BP4) in one call without the interpreter lock: the same products, through
    scipy's BLAS, and the same fused loops.  ``params`` and ``grad`` hold each layer's
    ``Theta_l^T = [b_l; W_l]`` one after another; ``weights`` (divided by ``m``) or
    ``unit`` scale the output error as in :func:`output`; ``penalty`` is the
    regulariser's ``alpha / m``; ``work`` holds :func:`workspace_size` values.  At least
    one hidden layer.
    """
    cdef Py_ssize_t L = len(layer_sizes) - 1  # layers of weights
    cdef Py_ssize_t m = X.shape[0], l, i, j
    cdef int[64] size
    cdef Py_ssize_t[64] offset  # each block's start in params and grad
    cdef Py_ssize_t[64] H_at  # each hidden layer's [1; a^T] in work
    cdef Py_ssize_t[64] slope_at
    cdef Py_ssize_t back_at, other_at, z_at, delta_at, first_at, position = 0
    cdef floating *P = &params[0]
    cdef floating *G = &grad[0]
    cdef floating *Wk = &work[0]
    cdef const floating *w = NULL
    cdef floating *H
    cdef floating *Hprev
    cdef floating *back
    cdef floating *swap
    cdef floating total
    cdef int rows = <int>m, widest = 0, n_out
    cdef double J, squares = 0.0
    cdef floating weight, step = <floating>penalty
    if L < 2 or L > 63:
        raise ValueError("the compiled evaluation takes 1 to 62 hidden layers")
    if weights is not None:
        w = &weights[0]
    for l in range(L + 1):
        size[l] = layer_sizes[l]
    for l in range(L):
        offset[l] = position
        position += (1 + size[l]) * size[l + 1]
    position = 0
    for l in range(1, L):
        H_at[l] = position
        position += (1 + size[l]) * m
        slope_at[l] = position
        position += size[l] * m
        widest = max(widest, size[l])
    back_at, other_at = position, position + widest * m
    z_at = other_at + widest * m
    delta_at = z_at + size[L] * m
    first_at = delta_at + size[L] * m
    n_out = size[L]
    with nogil:
        # Forward (-z^T = -(W^T X^T) - b, then g in place; the slope 1 - g beside it).
        for l in range(1, L):
            H = Wk + H_at[l]
            for i in range(m):
                H[i] = 1
            if l == 1:
                _gemm(True, True, size[1], rows, size[0], <floating>-1, P + offset[0] + size[1],
                      size[1], &X[0, 0], size[0], <floating>0, H + m, rows)
                for j in range(size[1]):
                    for i in range(m):
                        H[m + j * m + i] -= P[offset[0] + j]
            else:  # the bias rides in the product, below H's row of ones
                _gemm(True, False, size[l], rows, 1 + size[l - 1], <floating>-1,
                      P + offset[l - 1], size[l], Wk + H_at[l - 1], rows, <floating>0, H + m,
                      rows)
            _sigmoid_slope(H + m, Wk + slope_at[l], size[l] * m)
        # The output's z = [1, a] Theta, its cost and error (BP1).
        _gemm(True, False, rows, n_out, 1 + size[L - 1], <floating>1, Wk + H_at[L - 1], rows,
              P + offset[L - 1], n_out, <floating>0, Wk + z_at, n_out)
        J = _output(softmax, Wk + z_at, &Y[0, 0], w, <floating>unit, Wk + delta_at, m, n_out)
        # The last layer's gradient [dJ/db; dJ/dW] = [1; a^T] delta (BP3, BP4), and the error
        # passed back, times g' (BP2).
        _gemm(False, False, 1 + size[L - 1], n_out, rows, <floating>1, Wk + H_at[L - 1], rows,
              Wk + delta_at, n_out, <floating>0, G + offset[L - 1], n_out)
        back = Wk + back_at
        _gemm(False, True, size[L - 1], rows, n_out, <floating>1, P + offset[L - 1] + n_out,
              n_out, Wk + delta_at, n_out, <floating>0, back, rows)
        _sigmoid_back(back, Wk + H_at[L - 1] + m, Wk + slope_at[L - 1], size[L - 1] * m)
        swap = Wk + other_at
        for l in range(L - 2, 0, -1):  # the hidden layers' own weights, from the top down
            _gemm(False, True, 1 + size[l], size[l + 1], rows, <floating>1, Wk + H_at[l], rows,
                  back, rows, <floating>0, G + offset[l], size[l + 1])
            _gemm(False, False, size[l], rows, size[l + 1], <floating>1,
                  P + offset[l] + size[l + 1], size[l + 1], back, rows, <floating>0, swap, rows)
            _sigmoid_back(swap, Wk + H_at[l] + m, Wk + slope_at[l], size[l] * m)
            back, swap = swap, back
        # The first layer: dJ/db_1 = sum over rows of delta, dJ/dW_1 = X^T delta, computed
        # as (delta^T X)^T: the product in this order is the faster (as numpy_kernel's).
        for j in range(size[1]):
            total = 0
            for i in range(m):
                total = total + back[j * m + i]
            G[offset[0] + j] = total
        _gemm(False, False, size[1], size[0], rows, <floating>1, back, rows, &X[0, 0], size[0],
              <floating>0, Wk + first_at, size[0])
        for j in range(size[1]):
            for i in range(size[0]):
                G[offset[0] + size[1] + i * size[1] + j] = Wk[first_at + j * size[0] + i]
        # The penalty alpha/(2m) sum W^2 (biases free): its sum here, its gradient added.
        for l in range(L):
            for i in range(offset[l] + size[l + 1], offset[l] + (1 + size[l]) * size[l + 1]):
                weight = P[i]
                squares += <double>weight * weight
                G[i] += step * weight
    return J, squares
