"""The ``sknn-digits`` command line program."""

import argparse
import sys

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from .estimator import BackpropMLPClassifier


def main(argv=None):
    """Train on scikit-learn's bundled digits and print the held-out accuracy."""
    parser = argparse.ArgumentParser(prog="sknn-digits", description=main.__doc__)
    parser.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, stratify=y, random_state=0
    )
    model = BackpropMLPClassifier(random_state=0).fit(X_train, y_train)
    print(f"Test accuracy: {model.score(X_test, y_test):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
