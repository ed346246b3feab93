"""Tests of saving and loading models with skops."""

import zipfile

import numpy as np
import pytest

pytest.importorskip("skops")

from sknn_digits import BackpropMLPClassifier  # noqa: E402
from sknn_digits.persistence import load_model, save_model  # noqa: E402


@pytest.fixture(scope="module")
def model(small_digits):
    X, y = small_digits
    return BackpropMLPClassifier(max_iter=20, random_state=0).fit(X, y)


def test_round_trip(model, small_digits, tmp_path):
    X, _ = small_digits
    path = save_model(model, tmp_path / "model.skops")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.get_params() == model.get_params()
    assert not (tmp_path / "model.skops.partial").exists()


def test_existing_file_is_not_overwritten(model, tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="not overwritten"):
        save_model(model, path)
    assert path.read_bytes() == b"precious"
    save_model(model, path, overwrite=True)
    assert load_model(path).n_features_in_ == 64


def _stranger(X):
    """Stands for code a model file from a stranger would run."""
    return X


def test_untrusted_types_are_refused(tmp_path):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    sio.dump(FunctionTransformer(func=_stranger), tmp_path / "evil.skops")
    with pytest.raises(ValueError, match="not trusted.*_stranger"):
        load_model(tmp_path / "evil.skops")


def test_corrupt_and_truncated_files(model, tmp_path):
    (tmp_path / "junk.skops").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable skops model"):
        load_model(tmp_path / "junk.skops")
    path = save_model(model, tmp_path / "m.skops")
    data = path.read_bytes()
    (tmp_path / "cut.skops").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.skops"):
        load_model(tmp_path / "cut.skops")
    with zipfile.ZipFile(tmp_path / "empty.skops", "w"):
        pass
    with pytest.raises(ValueError, match="empty.skops"):
        load_model(tmp_path / "empty.skops")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.skops"):
        load_model(tmp_path / "nope.skops")


def test_a_users_partial_file_is_left_alone(model, tmp_path):
    own = tmp_path / "m.skops.partial"
    own.write_text("my notes")
    save_model(model, tmp_path / "m.skops")
    assert own.read_text() == "my notes"


@pytest.mark.parametrize("make", [
    lambda: {"a": 1}, lambda: [1, 2], lambda: BackpropMLPClassifier(),
    lambda: __import__("sklearn.cluster").cluster.KMeans(n_clusters=2, n_init=1).fit(
        np.arange(8.0).reshape(4, 2))])
def test_only_fitted_classifiers_are_returned(make, tmp_path):
    import skops.io

    path = tmp_path / "thing.skops"
    skops.io.dump(make(), path)
    with pytest.raises(ValueError, match="holds a|unfitted|not trusted"):
        load_model(path)


def test_a_file_that_expands_too_far_is_refused_before_loading(tmp_path, monkeypatch):
    import skops.io

    import sknn_digits.persistence as persistence

    path = tmp_path / "big.skops"
    skops.io.dump({"a": np.zeros(1000), "b": np.zeros(1000)}, path)
    monkeypatch.setattr(persistence, "MAX_MODEL_BYTES", 1000 * 8)
    loads = []
    monkeypatch.setattr(skops.io, "load", lambda *a, **k: loads.append(a))
    with pytest.raises(ValueError, match="would expand to"):
        load_model(path)
    assert loads == []


def test_course_weights_given_as_a_model_get_a_hint(tmp_path):
    from scipy.io import savemat

    path = tmp_path / "ex4weights.mat"
    savemat(path, {"Theta1": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="--ex4-weights"):
        load_model(path)
