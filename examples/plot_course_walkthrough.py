"""
The course exercise, step by step
=================================

Notebook 000 of the exercise retold on the package: look at the data, check
the cost and the gradients, initialise randomly, train with conjugate
gradients, look inside the network and measure its accuracy.
"""

# %%
# The data
# --------
# 8x8 digits by default (the course's 20x20 digits when
# ``SKNN_DIGITS_EX4_DIR`` names a folder with its files).
import numpy as np
from _data import example_data
from scipy.optimize import minimize

from sknn_digits import (
    BackpropMLPClassifier,
    check_nn_gradients,
    nn_cost_function,
    predict,
    rand_initialize_weights,
    roll,
    sigmoid_gradient,
    unroll,
)
from sknn_digits.datasets import EX4_CLASSES
from sknn_digits.plotting import display_data, plot_predictions

X, y, layout, course_weights = example_data()
input_layer_size, hidden_layer_size, num_labels = X.shape[1], 25, 10
labels = np.where(y == 0, 10, y)  # the course's labels: 1..10, 10 meaning 0
print(f"X: {X.shape}, labels {np.unique(labels)}")

rng = np.random.default_rng(0)
display_data(X[rng.choice(len(X), 100, replace=False)], layout, title="100 random digits")

# %%
# The cost with known weights
# ---------------------------
# With the course's pretrained weights the cost is 0.287629 (lambda = 0),
# 0.383770 (lambda = 1) and 0.576051 (lambda = 3).
if course_weights is not None:
    params = unroll(*course_weights)
    for lambda_ in (0, 1, 3):
        J, _ = nn_cost_function(params, input_layer_size, hidden_layer_size, num_labels,
                                X, labels, lambda_)
        print(f"J at the course's weights, lambda = {lambda_}: {J:.6f}")

# %%
# Sigmoid gradient and gradient checking
# --------------------------------------
print("sigmoid_gradient([-1, -0.5, 0, 0.5, 1]) =", sigmoid_gradient([-1, -0.5, 0, 0.5, 1]))
difference = check_nn_gradients(lambda_=3.0)
print(f"Relative difference, backprop vs numerical (lambda = 3): {difference:.2e}")

# %%
# Random initialisation and training with CG
# -------------------------------------------
# Symmetric weights would keep every hidden unit identical, so training
# starts from small random ones.
initial_params = unroll(
    rand_initialize_weights(input_layer_size, hidden_layer_size, random_state=0),
    rand_initialize_weights(hidden_layer_size, num_labels, random_state=1),
)
iterations = []
result = minimize(
    fun=nn_cost_function,
    x0=initial_params,
    jac=True,
    args=(input_layer_size, hidden_layer_size, num_labels, X, labels, 1.0),
    method="CG",
    options={"maxiter": 400},
    callback=lambda xk: iterations.append(xk),
)
print(f"CG: {len(iterations)} iterations, J = {result.fun:.4f}")
theta_1, theta_2 = roll(result.x, (input_layer_size, hidden_layer_size, num_labels))

# %%
# Visualising the hidden layer
# ----------------------------
# Each hidden unit's 400 (or 64) incoming weights, drawn as an image.
display_data(theta_1[:, 1:], layout, diverging=True, title="hidden units")

# %%
# Training set accuracy
# ---------------------
pred, conf = predict(theta_1, theta_2, X)
print(f"Training set accuracy: {np.mean(pred + 1 == labels) * 100:.2f}%")

# %%
# Does it work?
# -------------
# The same network as a scikit-learn estimator, titled with its prediction
# and confidence.
model = BackpropMLPClassifier.from_thetas([theta_1, theta_2], classes=EX4_CLASSES)
sample = rng.choice(len(X), 10, replace=False)
plot_predictions(model, X[sample], y[sample], layout)

# Run as a script, show the figures (the docs' gallery renders them).
import matplotlib.pyplot as plt

plt.show()
