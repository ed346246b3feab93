"""Warnings that name the user's line, not a line of this package or of scikit-learn."""

import os
import sys
import warnings

__all__ = ["warn"]


def warn(message, category=None):
    """``warnings.warn`` pointing at the first frame outside this package and scikit-learn.

    A fixed ``stacklevel`` would name a line of scikit-learn's fit wrapper or
    of a pipeline; walking the stack names the user's own call.  The category
    is scikit-learn's ConvergenceWarning unless given.
    """
    import sklearn
    from sklearn.exceptions import ConvergenceWarning

    internal = tuple(os.path.dirname(module.__file__) + os.sep
                     for module in (sys.modules[__package__], sklearn))
    category = ConvergenceWarning if category is None else category
    frame, level = sys._getframe(0), 1  # level 1 is this function
    while frame is not None and frame.f_code.co_filename.startswith(internal):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
