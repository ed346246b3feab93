"""Tests of sknn_digits._repeats: repeated rows merged into weights."""

import numpy as np
from scipy import sparse

from sknn_digits._repeats import merge_duplicates, row_hashes


def test_rows_without_repeats_are_passed_on_as_they_are():
    rng = np.random.default_rng(0)
    X, Y = rng.random((50, 4)), np.eye(3)[rng.integers(0, 3, 50)]
    merged_X, merged_Y, weights = merge_duplicates(X, Y, None)
    assert merged_X is X and merged_Y is Y and weights is None


def test_repeats_become_weights_in_an_order_set_by_content():
    rng = np.random.default_rng(1)
    X, Y = rng.random((6, 3)), np.eye(2)[rng.integers(0, 2, 6)]
    counts = np.array([2, 0, 1, 3, 1, 1])
    repeated = merge_duplicates(np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0), None)
    order = rng.permutation(6)
    weighted = merge_duplicates(X[order], Y[order], counts[order].astype(float))
    for a, b in zip(repeated, weighted):
        np.testing.assert_array_equal(a, b)
    assert sorted(weighted[2].tolist()) == [1, 1, 1, 2, 3]


def test_row_hashes_ignore_storage_details_of_sparse_rows():
    X = np.array([[0.0, 1.5, -0.0, 2.0], [3.0, 0.0, 0.0, 0.0]])
    canonical = sparse.csr_matrix(X)
    # The same rows: entries unsorted, one split in two, an explicit zero.
    messy = sparse.csr_matrix(
        (np.array([2.0, 0.75, 0.75, 0.0, 3.0]), np.array([3, 1, 1, 2, 0]),
         np.array([0, 4, 5])), shape=X.shape)
    saved = messy.data.copy(), messy.indices.copy()
    np.testing.assert_array_equal(row_hashes(messy), row_hashes(canonical))
    np.testing.assert_array_equal(row_hashes(canonical), row_hashes(X))
    np.testing.assert_array_equal(messy.data, saved[0])
    np.testing.assert_array_equal(messy.indices, saved[1])
    assert row_hashes(np.array([[1.0, 2.0], [2.0, 1.0]])).tolist()[0] != row_hashes(
        np.array([[2.0, 1.0]])).tolist()[0]
