"""More training digits from the bundled ones: slanted copies, as people slant their digits.
"""


import numpy as np
from scipy import ndimage


def slant_digits(X, angles=(-20, -10, 10, 20)):
    """Copies of 8x8 ``load_digits`` rows slanted by each of ``angles`` (degrees).

    Each digit is slanted where its data were made: its 32x32 bitmap (the
    8x8 counts spread back over their 4x4 blocks, linearly), sheared about
    its centre so the top leans right for a positive angle, thresholded at
    half ink and counted in 4x4 blocks again.  For training readers of
    drawn digits, which people slant either way.

    Parameters
    ----------
    X : array-like of shape (n, 64)
        Rows in the ``digits`` layout (0..16).
    angles : sequence of float, default=(-20, -10, 10, 20)

    Returns
    -------
    ndarray of shape (n * len(angles), 64)
        The rows slanted by ``angles[0]``, then by ``angles[1]``, ...

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits.preprocessing import slant_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> slant_digits(X[:5]).shape
    (20, 64)
    """
    images = np.asarray(X, dtype=np.float64).reshape(-1, 8, 8) / 16.0
    bitmaps = np.stack([ndimage.zoom(image, 4, order=1) for image in images])
    slanted = []
    for angle in angles:
        shear = np.tan(np.radians(angle))
        # output (r, c) reads input (r, c - shear * (centre - r)): the top moves right
        matrix, offset = np.array([[1.0, 0.0], [shear, 1.0]]), (0.0, -shear * 15.5)
        for bitmap in bitmaps:
            moved = ndimage.affine_transform(bitmap, matrix, offset=offset, order=1)
            slanted.append((moved >= 0.5).reshape(8, 4, 8, 4).sum(axis=(1, 3)).ravel())
    return np.asarray(slanted, dtype=np.float64)
