"""
scikit-learn's MLPClassifier examples with one import changed
=============================================================

scikit-learn's gallery shows its :class:`~sklearn.neural_network.MLPClassifier`
three ways: the decision surfaces as the regularisation ``alpha`` grows, the
training curves of its stochastic learning-rate strategies, and the first
layer's weights as pictures.  Each is retold here with
``from sknn_digits import MLPClassifier`` and nothing else changed, scored
beside scikit-learn's own class on the same data.  The two draw different
initial weights from a seed, so their scores agree as two seeds of one model
do, not digit for digit.
"""

# %%
# Regularisation: alpha against the decision surface
# --------------------------------------------------
# A pipeline, ``solver="lbfgs"``, two hidden layers of 10, early stopping
# asked for: as in scikit-learn, ``"lbfgs"`` ignores early stopping.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, load_iris, make_circles, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as ScikitLearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknn_digits import MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)  # short fits on purpose
alphas = np.logspace(-1, 1, 5)
datasets = {"moons": make_moons(noise=0.3, random_state=0),
            "circles": make_circles(noise=0.2, factor=0.5, random_state=1)}


def sweep(cls, X_train, X_test, y_train, y_test):
    models = [make_pipeline(StandardScaler(), cls(
        solver="lbfgs", alpha=alpha, random_state=1, max_iter=2000, early_stopping=True,
        hidden_layer_sizes=[10, 10])).fit(X_train, y_train) for alpha in alphas]
    return models, [model.score(X_test, y_test) for model in models]


fig, axes = plt.subplots(len(datasets), len(alphas), figsize=(12, 5))
for row, (name, (X, y)) in zip(axes, datasets.items()):
    split = train_test_split(X, y, test_size=0.4, random_state=42)
    ours, our_scores = sweep(MLPClassifier, *split)
    _, their_scores = sweep(ScikitLearnMLP, *split)
    print(f"{name:8s} sknn_digits:  {' '.join(f'{s:.3f}' for s in our_scores)}")
    print(f"{name:8s} scikit-learn: {' '.join(f'{s:.3f}' for s in their_scores)}")
    grid = np.mgrid[X[:, 0].min() - 0.5:X[:, 0].max() + 0.5:100j,
                    X[:, 1].min() - 0.5:X[:, 1].max() + 0.5:100j]
    points = grid.reshape(2, -1).T
    for ax, model, alpha, score in zip(row, ours, alphas, our_scores):
        surface = model.predict_proba(points)[:, 1].reshape(grid.shape[1:])
        ax.contourf(grid[0], grid[1], surface, levels=20, cmap="RdBu", alpha=0.8)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolors="k", s=12)
        ax.set(xticks=[], yticks=[], title=f"{name}, alpha={alpha:.2f}\nscore {score:.3f}")
fig.tight_layout()
plt.show()

# %%
# Learning-rate strategies: the training curves
# ---------------------------------------------
# ``"sgd"`` with constant and inverse-scaling rates, with and without
# momentum and Nesterov's momentum, and ``"adam"``, on the iris data and
# the digits; ``loss_curve_`` is each fit's loss per epoch.
strategies = {
    "constant": {"solver": "sgd", "learning_rate": "constant", "momentum": 0,
                 "learning_rate_init": 0.2},
    "constant, momentum": {"solver": "sgd", "learning_rate": "constant", "momentum": 0.9,
                           "nesterovs_momentum": False, "learning_rate_init": 0.2},
    "constant, Nesterov": {"solver": "sgd", "learning_rate": "constant", "momentum": 0.9,
                           "nesterovs_momentum": True, "learning_rate_init": 0.2},
    "inv-scaling": {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0,
                    "learning_rate_init": 0.2},
    "inv-scaling, Nesterov": {"solver": "sgd", "learning_rate": "invscaling",
                              "momentum": 0.9, "nesterovs_momentum": True,
                              "learning_rate_init": 0.2},
    "adam": {"solver": "adam", "learning_rate_init": 0.01},
}
curve_data = {"iris": load_iris(return_X_y=True), "digits": load_digits(return_X_y=True)}
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, (name, (X, y)) in zip(axes, curve_data.items()):
    X = MinMaxScaler().fit_transform(X)
    for label, params in strategies.items():
        ours = MLPClassifier(random_state=0, max_iter=100 if name == "iris" else 30,
                             **params).fit(X, y)
        theirs = ScikitLearnMLP(random_state=0, max_iter=100 if name == "iris" else 30,
                                **params).fit(X, y)
        print(f"{name:6s} {label:22s} training score {ours.score(X, y):.3f} "
              f"(scikit-learn {theirs.score(X, y):.3f}), loss {ours.loss_:.4f} "
              f"(scikit-learn {theirs.loss_:.4f})")
        ax.plot(ours.loss_curve_, label=label)
    ax.set(title=name, xlabel="epoch", ylabel="loss_")
axes[1].legend(fontsize="small")
plt.show()

# %%
# The first layer's weights as pictures
# -------------------------------------
# ``"sgd"`` with ``learning_rate_init=0.1`` for 8 epochs: ``max_iter`` counts
# epochs for the stochastic solvers, as in scikit-learn.  (scikit-learn's
# example reads MNIST from openml.org; the bundled 8x8 digits keep this one
# offline.)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0, stratify=y)
mlp = MLPClassifier(hidden_layer_sizes=(40,), max_iter=8, alpha=1e-4, solver="sgd",
                    random_state=1, learning_rate_init=0.1).fit(X_train, y_train)
theirs = ScikitLearnMLP(hidden_layer_sizes=(40,), max_iter=8, alpha=1e-4, solver="sgd",
                        random_state=1, learning_rate_init=0.1).fit(X_train, y_train)
print(f"test accuracy after 8 epochs: {mlp.score(X_test, y_test):.3f} "
      f"(scikit-learn {theirs.score(X_test, y_test):.3f})")

fig, axes = plt.subplots(4, 10, figsize=(10, 4))
low, high = mlp.coefs_[0].min(), mlp.coefs_[0].max()
for weights, ax in zip(mlp.coefs_[0].T, axes.ravel()):
    ax.matshow(weights.reshape(8, 8), cmap="gray", vmin=0.5 * low, vmax=0.5 * high)
    ax.set(xticks=[], yticks=[])
plt.show()
