"""
Backpropagation, vectorised and checked
=======================================

Notebook 001 of the exercise retold: the cost as one matrix computation
against a per-sample loop, the regularised cost, a gradient entry against its
finite difference, and training with L-BFGS-B.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from _data import example_data
from scipy.optimize import minimize

from sknn_digits import nn_cost_function, predict, rand_initialize_weights, roll, sigmoid, unroll

X, y, layout, _ = example_data()
labels = np.where(y == 0, 10, y)
N, L, K = X.shape[1], 25, 10
theta_1_0 = rand_initialize_weights(N, L, random_state=0)
theta_2_0 = rand_initialize_weights(L, K, random_state=1)
params = unroll(theta_1_0, theta_2_0)


# %%
# The cost, one sample at a time
# ------------------------------
def loop_cost(theta_1, theta_2, X, labels):
    cost = 0.0
    for x, label in zip(X, labels):
        h = sigmoid(theta_2 @ np.r_[1.0, sigmoid(theta_1 @ np.r_[1.0, x])])
        target = np.arange(1, K + 1) == label
        cost += -np.sum(np.where(target, np.log(h), np.log(1 - h)))
    return cost / len(X)


start = time.perf_counter()
J_loop = loop_cost(theta_1_0, theta_2_0, X, labels)
loop_time = time.perf_counter() - start
start = time.perf_counter()
J_vec, grad = nn_cost_function(params, N, L, K, X, labels, 0.0)
vector_time = time.perf_counter() - start
print(f"per-sample loop: J = {J_loop:.12f} in {loop_time * 1e3:.1f} ms")
print(f"vectorised:      J = {J_vec:.12f} in {vector_time * 1e3:.1f} ms (with the gradient)")

# %%
# Regularisation adds lambda / (2 m) times the squared weights
# ------------------------------------------------------------
J_reg, _ = nn_cost_function(params, N, L, K, X, labels, 1.0)
penalty = (np.sum(theta_1_0[:, 1:] ** 2) + np.sum(theta_2_0[:, 1:] ** 2)) / (2 * len(X))
print(f"J(lambda=1) - J(lambda=0) = {J_reg - J_vec:.10f}; penalty = {penalty:.10f}")

# %%
# One gradient entry against its central difference
# --------------------------------------------------
# Theta1[8, 7] and Theta2[8, 7] (0-based), as the notebook checked them.
def cost_of(p):
    return nn_cost_function(p, N, L, K, X, labels, 1.0)[0]


_, grad = nn_cost_function(params, N, L, K, X, labels, 1.0)
grad_1, grad_2 = roll(grad, (N, L, K))
for name, matrix_index, (rows, _cols), offset in [
    ("Theta1", 0, theta_1_0.shape, 0), ("Theta2", 1, theta_2_0.shape, theta_1_0.size)
]:
    flat = offset + 8 + 7 * rows  # column-major position of [8, 7]
    e = np.zeros_like(params)
    e[flat] = 1e-4
    numerical = (cost_of(params + e) - cost_of(params - e)) / 2e-4
    analytic = (grad_1, grad_2)[matrix_index][8, 7]
    print(f"{name}[8, 7]: backprop {analytic:.10f}, numerical {numerical:.10f}")

# %%
# Training with L-BFGS-B
# ----------------------
costs = []
result = minimize(nn_cost_function, params, jac=True, method="L-BFGS-B",
                  args=(N, L, K, X, labels, 1.0), options={"maxiter": 100},
                  callback=lambda xk: costs.append(cost_of(xk)))
theta_1, theta_2 = roll(result.x, (N, L, K))
pred, _ = predict(theta_1, theta_2, X)
print(f"J: {cost_of(params):.4f} at the start, {costs[-2]:.4f} one step before the end, "
      f"{result.fun:.4f} at the end")
print(f"Training accuracy after {result.nit} iterations: {np.mean(pred + 1 == labels):.4f}")

# %%
# The cost after each iteration
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(np.arange(1, len(costs) + 1), costs)
ax.set(xlabel="L-BFGS-B iteration", ylabel="J", yscale="log",
       title="The regularised cost while training")

# Run as a script, show the figure (the docs' gallery renders it).
plt.show()
