"""Tests of sknn_digits.onnx: the exported graph computes what the model computes."""

import numpy as np
import pytest

pytest.importorskip("skl2onnx")
rt = pytest.importorskip("onnxruntime")

from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402

from sknn_digits import BackpropMLPClassifier  # noqa: E402
from sknn_digits.onnx import export_onnx  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data(digits):
    X, y = digits
    return X[:400].astype(np.float32), y[:400]


def _run(graph, X):
    session = rt.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def _targets(y):
    return {
        "multiclass": y,
        "binary": y % 2,
        "strings": np.array(["even", "odd"])[y % 2],
        "string classes": np.array(list("abcdefghij"))[y],
        "multilabel": np.column_stack([y % 2, y > 4, y == 3]).astype(int),
    }


@pytest.mark.parametrize("target", ["multiclass", "binary", "strings", "string classes",
                                    "multilabel"])
@pytest.mark.parametrize("output", ["logistic", "softmax"])
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_probabilities_and_labels_match_the_model(data, target, output, activation):
    X, y = data
    y = _targets(y)[target]
    if output == "softmax" and target == "multilabel":
        pytest.skip("softmax cannot fit multilabel targets")
    model = BackpropMLPClassifier(hidden_layer_sizes=(12, 7)[:1 + (activation == "tanh")],
                                  activation=activation, output_activation=output,
                                  max_iter=40, random_state=0).fit(X, y)
    label, proba = _run(export_onnx(model, X, options={"zipmap": False}), X)
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(label, model.predict(X))


def test_the_courses_normalised_units_are_what_is_exported(data):
    # The converter of MLPClassifier gives raw sigmoids here: rows not summing to 1.
    X, y = data
    model = BackpropMLPClassifier(max_iter=40, random_state=0).fit(X, y)
    _, proba = _run(export_onnx(model, X, options={"zipmap": False}), X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)


@pytest.mark.parametrize("scaler", [MinMaxScaler, StandardScaler])
def test_inside_a_pipeline_with_a_scaler(data, scaler):
    X, y = data
    X = X * 16
    pipeline = make_pipeline(scaler(), BackpropMLPClassifier(max_iter=40, random_state=0))
    pipeline.fit(X, y)
    label, proba = _run(export_onnx(pipeline, X, options={"zipmap": False}), X)
    np.testing.assert_allclose(proba, pipeline.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(label, pipeline.predict(X))


def test_double_graphs_and_zipmap(data):
    X, y = data
    model = BackpropMLPClassifier(max_iter=40, random_state=0).fit(X.astype(np.float64), y)
    X64 = X.astype(np.float64)
    label, proba = _run(export_onnx(model, X64, options={"zipmap": False}), X64)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, model.predict_proba(X64), rtol=1e-12, atol=1e-12)
    label, per_row = _run(export_onnx(model, X), X)  # skl2onnx's default: a ZipMap
    assert isinstance(per_row, list) and sorted(per_row[0]) == list(range(10))
    assert per_row[0][int(label[0])] == pytest.approx(max(per_row[0].values()))


def test_the_command_line_writes_an_onnx_file_atomically(data, tmp_path, capsys):
    from sknn_digits.cli import main
    from sknn_digits.persistence import save_model

    X, y = data
    model = BackpropMLPClassifier(max_iter=40, random_state=0).fit(X, y)
    save_model(model, tmp_path / "m.sknn")
    target = tmp_path / "m.onnx"
    assert main(["export", "--model", str(tmp_path / "m.sknn"), "--onnx", str(target)]) == 0
    _label, proba = _run(__import__("onnx").load(str(target)), X)
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.sknn"]
    assert main(["export", "--model", str(tmp_path / "m.sknn"), "--onnx", str(target)]) == 1
    assert "--force" in capsys.readouterr().err


@pytest.mark.slow
def test_the_docs_onnxruntime_snippet_runs(tmp_path):
    import re
    import subprocess
    import sys
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "persistence.rst").read_text()
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", page)
    snippet = next(b for b in blocks if "onnxruntime" in b)
    code = "\n".join(line[3:] for line in snippet.splitlines())
    result = subprocess.run([sys.executable, "-W", "always", "-c", code], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "[" in result.stdout
    assert (tmp_path / "digits.onnx").is_file()


def test_every_activation_has_its_export_and_an_unknown_one_is_an_error(data):
    from sknn_digits import onnx
    from sknn_digits.core import ACTIVATIONS

    assert set(onnx._ACTIVATIONS) == set(ACTIVATIONS)
    X, y = data
    model = BackpropMLPClassifier(hidden_layer_sizes=4, max_iter=2).fit(X, y)
    model.activation = "softsign"  # a name no row of the table holds
    with pytest.raises(ValueError, match="'softsign' has no ONNX export"):
        export_onnx(model, X[:1].astype(np.float32))
