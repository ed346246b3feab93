"""
Reading your own handwriting
============================

The digits in ``examples/drawn/`` were drawn as pen strokes on a white page
(``draw_digits.py`` makes them).  ``DigitImageTransformer`` turns each
picture into the features a model was trained on: grey levels, bright ink on
black, cropped, scaled into a box and centred by mass, as MNIST was made.
"""

# %%
import warnings
from pathlib import Path

import numpy as np
from _data import DRAWN, EX4_DIR
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sknn_digits import BackpropMLPClassifier
from sknn_digits.datasets import load_ex4_model
from sknn_digits.plotting import display_data, plot_predictions
from sknn_digits.preprocessing import DigitImageTransformer

paths = sorted(DRAWN.glob("*.png"))
truth = np.array([int(p.stem) for p in paths])

# %%
# What the model sees: the drawings in the 8x8 layout of scikit-learn's digits
features = DigitImageTransformer(layout="digits").transform(paths)
display_data(features, "digits", title="drawn digits as 8x8 features")

# %%
# A network trained on the 8x8 digits reads them
warnings.simplefilter("ignore", ConvergenceWarning)  # 400 iterations, as the course
X, y = load_digits(return_X_y=True)  # the "digits" layout: 0..16
model = make_pipeline(MinMaxScaler(clip=True), BackpropMLPClassifier(random_state=0)).fit(X, y)
predicted = model.predict(features)
print("8x8 network:", predicted, f"({np.mean(predicted == truth):.0%} right)")
plot_predictions(model, features, truth, "digits", n_cols=5)

# %%
# The course's pretrained network reads them in its own 20x20 layout
if EX4_DIR:
    course = make_pipeline(DigitImageTransformer(layout="ex4"),
                           load_ex4_model(Path(EX4_DIR) / "ex4weights.mat"))
    predicted = course.predict(paths)
    print("course network:", predicted, f"({np.mean(predicted == truth):.0%} right)")

# Run as a script, show the figures (the docs' gallery renders them).
import matplotlib.pyplot as plt

plt.show()
