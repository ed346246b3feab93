"""
Training on data larger than memory with partial_fit
====================================================

The stochastic solvers learn from one minibatch at a time, so the data need
not fit in memory: ``partial_fit`` takes one chunk of rows per call, an epoch
over that chunk, and carries the solver's state (Adam's moments, the learning
rate) to the next call.  Here the rows live in a ``.npy`` file opened as a
memory map, read a chunk at a time; a Dask array's blocks go the same way
(``for X_block, y_block in zip(X.blocks, y.blocks): model.partial_fit(
X_block.compute(), y_block.compute(), classes=classes)``).
"""

# %%
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknn_digits import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0, stratify=y)

# The training rows on disk, as a larger data set would be.
folder = Path(tempfile.mkdtemp())
np.save(folder / "X.npy", X_train)
np.save(folder / "y.npy", y_train)
X_disk = np.load(folder / "X.npy", mmap_mode="r")  # nothing read yet
y_disk = np.load(folder / "y.npy", mmap_mode="r")

# %%
# Twenty passes over the file in chunks of 300 rows, the chunks in a new
# order each pass; ``classes`` tells the first call every label.
classes = np.unique(y_disk)
chunks = [slice(start, start + 300) for start in range(0, len(y_disk), 300)]
rng = np.random.default_rng(0)
streamed = MLPClassifier(random_state=0)
scores = []
for _ in range(20):
    for chunk in rng.permutation(len(chunks)):
        rows = chunks[chunk]
        streamed.partial_fit(np.asarray(X_disk[rows]), np.asarray(y_disk[rows]),
                             classes=classes)
    scores.append(streamed.score(X_test, y_test))

# %%
# The same network fitted in memory for as many epochs.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    in_memory = MLPClassifier(random_state=0, max_iter=20).fit(X_train, y_train)
print(f"streamed from disk: {scores[-1]:.4f} held-out accuracy after 20 passes")
print(f"fitted in memory:   {in_memory.score(X_test, y_test):.4f}")

plt.plot(range(1, 21), scores, marker="o", label="partial_fit over the file")
plt.axhline(in_memory.score(X_test, y_test), color="gray", linestyle="--",
            label="fit in memory, 20 epochs")
plt.xlabel("passes over the file")
plt.ylabel("held-out accuracy")
plt.legend()
plt.show()
