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
