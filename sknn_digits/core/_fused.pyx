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
