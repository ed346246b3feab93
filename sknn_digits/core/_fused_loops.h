/* The compiled kernel's loops: the element-wise passes of one evaluation, each fused into
 * one pass over memory.  They repeat the maths of numpy_kernel.py (the reference, held equal
 * by tests/test_core.py); the matrix products stay with numpy's BLAS.
 *
 * Every exponential is exp(-|t|), in (0, 1]: nothing overflows, so the file may be
 * compiled with -ffast-math, which lets the compiler call glibc's vector exp and log1p.
 * target_clones builds each loop for AVX-512, AVX2 and the baseline, chosen when the module
 * loads, so one build runs on any x86-64 processor.
 */
#include <math.h>
#include <stddef.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SKNN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SKNN_CLONES
#endif

/* One definition of each loop per float type: T the type, S the suffix, EXP, LOG1P and ABS
 * its functions. */
#define SKNN_LOOPS(T, S, EXP, LOG1P, ABS)                                                        \
                                                                                            \
/* a holds -z; it becomes the sigmoid g(z) = 1 / (1 + exp(-z)), slope 1 - g(z) (for g').   \
 * With e = exp(-|z|): g = 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0.  */            \
SKNN_CLONES static void sigmoid_slope_##S(T *a, T *slope, ptrdiff_t n) {                    \
    for (ptrdiff_t i = 0; i < n; i++) {                                                     \
        T t = a[i];                                                                         \
        T e = EXP(-ABS(t));                                                                \
        T r = (T)1 / ((T)1 + e);                                                            \
        T g = t <= 0 ? r : e * r;                                                           \
        a[i] = g;                                                                           \
        slope[i] = (T)1 - g;                                                                \
    }                                                                                       \
}                                                                                           \
                                                                                            \
/* back *= a (1 - a): BP2's g'(z) for the sigmoid, from the kept slope. */                  \
SKNN_CLONES static void sigmoid_back_##S(T *back, const T *a, const T *slope, ptrdiff_t n) {\
    for (ptrdiff_t i = 0; i < n; i++)                                                       \
        back[i] *= a[i] * slope[i];                                                         \
}                                                                                           \
                                                                                            \
/* The logistic output over rows x cols: returns sum_i w_i sum_k (softplus(z) - y z) and    \
 * writes delta = w_i unit (g(z) - y) (BP1); w NULL for equal weights.  */                  \
SKNN_CLONES static double logistic_output_##S(const T *z, const T *y, const T *w, T unit,   \
                                              T *delta, ptrdiff_t rows, ptrdiff_t cols) {   \
    double total = 0.0;                                                                     \
    for (ptrdiff_t i = 0; i < rows; i++) {                                                  \
        const T *zi = z + i * cols, *yi = y + i * cols;                                     \
        T *di = delta + i * cols;                                                           \
        T scale = w ? w[i] * unit : unit;                                                   \
        double row = 0.0;                                                                   \
        for (ptrdiff_t k = 0; k < cols; k++) {                                              \
            T v = zi[k];                                                                    \
            T e = EXP(-ABS(v));                                                            \
            row += (double)((v > 0 ? v : (T)0) + LOG1P(e) - yi[k] * v);                     \
            T r = (T)1 / ((T)1 + e);                                                        \
            di[k] = ((v >= 0 ? r : e * r) - yi[k]) * scale;                                 \
        }                                                                                   \
        total += w ? (double)w[i] * row : row;                                              \
    }                                                                                       \
    return total;                                                                           \
}                                                                                           \
                                                                                            \
/* The softmax output: with s = z - max_k z_k and T = sum_k exp(s_k), returns               \
 * sum_i w_i (log T sum_k y_k - sum_k y_k s_k) and writes delta = w_i unit (exp(s) / T - y).\
 */                                                                                         \
SKNN_CLONES static double softmax_output_##S(const T *z, const T *y, const T *w, T unit,    \
                                             T *delta, ptrdiff_t rows, ptrdiff_t cols) {    \
    double total = 0.0;                                                                     \
    for (ptrdiff_t i = 0; i < rows; i++) {                                                  \
        const T *zi = z + i * cols, *yi = y + i * cols;                                     \
        T *di = delta + i * cols;                                                           \
        T top = zi[0];                                                                      \
        for (ptrdiff_t k = 1; k < cols; k++)                                                \
            top = zi[k] > top ? zi[k] : top;                                                \
        T sum = 0, ys = 0, ysum = 0;                                                        \
        for (ptrdiff_t k = 0; k < cols; k++) {                                              \
            T s = zi[k] - top;                                                              \
            T e = EXP(s);                                                                   \
            di[k] = e;                                                                      \
            sum += e;                                                                       \
            ys += yi[k] * s;                                                                \
            ysum += yi[k];                                                                  \
        }                                                                                   \
        T scale = w ? w[i] * unit : unit;                                                   \
        T inverse = (T)1 / sum;                                                             \
        for (ptrdiff_t k = 0; k < cols; k++)                                                \
            di[k] = (di[k] * inverse - yi[k]) * scale;                                      \
        double row = (double)ysum * log((double)sum) - (double)ys;                          \
        total += w ? (double)w[i] * row : row;                                              \
    }                                                                                       \
    return total;                                                                           \
}

SKNN_LOOPS(double, d, exp, log1p, fabs)
SKNN_LOOPS(float, f, expf, log1pf, fabsf)
