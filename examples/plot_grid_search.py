"""
Choosing lambda and the hidden layer size
=========================================

A cross-validated grid search over the course's regularisation strength
lambda (``alpha``) and the number of hidden units, in a scikit-learn
pipeline, with the validation curve it traces.
"""

# %%
import warnings

import numpy as np
from _data import example_data
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_digits import BackpropMLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)  # 200 iterations are enough here
X, y, layout, _ = example_data()
pipe = make_pipeline(MinMaxScaler(clip=True), BackpropMLPClassifier(max_iter=200, random_state=0))
grid = GridSearchCV(
    pipe,
    {
        "backpropmlpclassifier__alpha": [0.1, 1.0, 10.0],
        "backpropmlpclassifier__hidden_layer_sizes": [10, 25, 50],
    },
    cv=StratifiedKFold(5, shuffle=True, random_state=0),
    n_jobs=2,
)
grid.fit(X, y)
print(f"Best: {grid.best_params_}, mean CV accuracy {grid.best_score_:.4f}")

# %%
# Accuracy against lambda, one line per hidden size
import matplotlib.pyplot as plt

results = grid.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
for size in (10, 25, 50):
    rows = [i for i, p in enumerate(results["params"])
            if p["backpropmlpclassifier__hidden_layer_sizes"] == size]
    alphas = [results["params"][i]["backpropmlpclassifier__alpha"] for i in rows]
    ax.errorbar(alphas, results["mean_test_score"][rows], yerr=results["std_test_score"][rows],
                marker="o", capsize=3, label=f"{size} hidden units")
ax.set_xscale("log")
ax.set_xlabel("lambda (alpha)")
ax.set_ylabel("mean CV accuracy")
ax.legend()
ax.grid(True, alpha=0.3)
print(np.round(results["mean_test_score"].reshape(3, 3), 4))

# Run as a script, show the figures (the docs' gallery renders them).
plt.show()
