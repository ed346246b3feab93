"""Tests of saving and loading models with skops."""

import zipfile

import numpy as np
import pytest

pytest.importorskip("skops")

from sknn_digits import BackpropMLPClassifier
from sknn_digits.persistence import load_model, save_model


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


# ---------------------------------------------------------------- the trust policy


def _compositions(X, y):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import StackingClassifier, VotingClassifier
    from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    def net():
        return BackpropMLPClassifier(hidden_layer_sizes=5, max_iter=15, random_state=0)

    return {
        "calibrated": (CalibratedClassifierCV(net(), cv=2), y),
        "grid search": (GridSearchCV(make_pipeline(MinMaxScaler(), net()),
                                     {"backpropmlpclassifier__alpha": [0.1, 1.0]}, cv=2), y),
        "voting": (VotingClassifier([("a", net()), ("b", net())], voting="soft"), y),
        "stacking": (StackingClassifier([("a", net())], final_estimator=net(), cv=2), y),
        "tuned threshold": (TunedThresholdClassifierCV(net(), cv=2), y % 2),
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ["calibrated", "grid search", "voting", "stacking",
                                  "tuned threshold"])
def test_whatever_save_model_accepts_load_model_loads(name, small_digits, tmp_path):
    X, y = small_digits[0][:300], small_digits[1][:300]
    model, target = _compositions(X, y)[name]
    model.fit(X, target)
    loaded = load_model(save_model(model, tmp_path / "m.skops"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("name, trusted", [
    ("sklearn.calibration._CalibratedClassifier", True),
    ("sklearn.model_selection._split.StratifiedKFold", True),
    ("sklearn.metrics._classification.balanced_accuracy_score", True),
    ("sknn_digits.estimator.BackpropMLPClassifier", True),
    ("builtins.eval", False),
    ("os.system", False),
    ("numpy.ctypeslib.load_library", False),
    ("numpy.load", False),
    ("scipy.io.loadmat", False),
    ("sklearn.utils.parallel.delayed", False),
    ("sklearn.base.clone", False),
    ("sklearn.no_such_module.Thing", False),
    ("functools.partial", False),
    # by the old rule ("defined in a sklearn module") these were trusted:
    ("sklearn.callback._transport.ListenerHandle", False),
    ("sklearn.callback._scoring_monitor.ScoringMonitor", False),
    ("sklearn.tree._tree.Tree", False),
    ("sklearn.tree._classes.DecisionTreeClassifier", False),
    ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor", False),
    ("sklearn.neighbors._kd_tree.KDTree", False),
    ("sklearn.cluster.tests.test_hierarchical.X", False),
    ("sklearn.conftest.pytest_configure", False),
    ("sklearn.metrics.tests.test_score_objects.EstimatorWithFit", False),
])
def test_the_trust_list(name, trusted):
    from sknn_digits.persistence import is_trusted

    assert is_trusted(name) is trusted


def test_plain_skops_loads_with_the_helpers_list(model, small_digits, tmp_path):
    import skops.io

    from sknn_digits.persistence import trusted_types

    path = save_model(model, tmp_path / "m.skops")
    loaded = skops.io.load(path, trusted=trusted_types())
    np.testing.assert_array_equal(loaded.predict(small_digits[0]), model.predict(small_digits[0]))


# ---------------------------------------------------------------- hostile files


def _rewrite(path, name, data, declared=None):
    """``path`` with member ``name`` replaced by ``data`` (its directory saying ``declared``)."""
    members = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            members[info.filename] = archive.read(info)
    members[name] = data
    out = path.with_name("hostile.skops")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    if declared is not None:  # lie about the member's size in both headers
        raw = bytearray(out.read_bytes())
        actual = len(data).to_bytes(4, "little")
        raw = raw.replace(actual, declared.to_bytes(4, "little"))
        out.write_bytes(bytes(raw))
    return out


def test_a_huge_schema_is_refused_before_it_is_parsed(model, tmp_path, monkeypatch):
    import json as json_module

    path = save_model(model, tmp_path / "m.skops")
    nested = b"[" + b"[]," * (3 * 2**20) + b"[]]"  # 9 MiB of empty lists: deflates to KB
    hostile = _rewrite(path, "schema.json", nested)
    parsed = []
    monkeypatch.setattr(json_module, "loads", lambda *a, **k: parsed.append(a))
    with pytest.raises(ValueError, match="would expand to more than 8.0 MiB"):
        load_model(hostile)
    assert parsed == []


def test_a_deeply_nested_schema_is_refused(model, tmp_path):
    path = save_model(model, tmp_path / "m.skops")
    hostile = _rewrite(path, "schema.json", b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(ValueError, match="nested .* deep"):
        load_model(hostile)


def test_a_member_that_inflates_past_its_declared_size_is_refused(model, tmp_path):
    path = save_model(model, tmp_path / "m.skops")
    with zipfile.ZipFile(path) as archive:
        array_member = next(n for n in archive.namelist() if n.endswith(".npy"))
    data = b"\0" * (2**20 + 12345)  # deflates to about 1 KB
    hostile = _rewrite(path, array_member, data, declared=12345)
    with pytest.raises(ValueError, match=r"hostile\.skops"):
        load_model(hostile)


@pytest.mark.parametrize("change, message", [
    (lambda m: setattr(m, "activation", "bogus"), "activation"),
    (lambda m: setattr(m, "out_activation_", "bogus"), "out_activation_"),
    (lambda m: m.coefs_.reverse(), "shapes"),
    (lambda m: m.coefs_.__setitem__(0, {"not": "an array"}), "not arrays"),
    (lambda m: m.coefs_[0].__setitem__((0, 0), np.nan), "NaN"),
    (lambda m: m.intercepts_.pop(), "one array per layer"),
])
def test_a_model_of_trusted_types_with_wrong_contents_is_refused(
        change, message, small_digits, tmp_path):
    import copy

    X, y = small_digits
    model = copy.deepcopy(BackpropMLPClassifier(hidden_layer_sizes=(6, 5), max_iter=5,
                                                random_state=0).fit(X, y))
    model.coefs_, model.intercepts_ = list(model.coefs_), list(model.intercepts_)
    model.coefs_ = [W.copy() for W in model.coefs_]
    change(model)
    path = save_model(model, tmp_path / "wrong.skops")
    with pytest.raises(ValueError, match=rf"wrong\.skops.*({message})"):
        load_model(path)


# ---------------------------------------------------------------- the reviewed list


def _trusted_names_tool():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "trusted_names.py"
    spec = importlib.util.spec_from_file_location("trusted_names", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_every_supported_composition_is_on_the_list_and_loads_alike(tmp_path):
    """The list in step with what save_model writes for every supported composition."""
    from sknn_digits._trusted import TRUSTED_LOADERS, TRUSTED_NAMES
    from sknn_digits.persistence import named_in

    tool = _trusted_names_tool()
    for number, (name, (model, X, y)) in enumerate(tool.compositions().items()):
        fitted = model.fit(X, y)
        path = save_model(fitted, tmp_path / f"{number}.skops")
        with zipfile.ZipFile(path) as archive:
            import json

            names, loaders = named_in(json.loads(archive.read("schema.json")))
        assert names <= TRUSTED_NAMES, (name, names - TRUSTED_NAMES)
        assert loaders <= TRUSTED_LOADERS, (name, loaders - TRUSTED_LOADERS)
        if not hasattr(fitted, "predict_proba"):
            continue
        loaded = load_model(path)
        picture_reader = type(fitted[0]).__name__ == "DigitImageTransformer" if hasattr(
            fitted, "steps") else False
        rows = X if not picture_reader else None
        if rows is not None:
            np.testing.assert_array_equal(loaded.predict_proba(rows), fitted.predict_proba(rows))
            np.testing.assert_array_equal(loaded.predict(rows), fitted.predict(rows))


def test_the_list_names_nothing_of_the_refused_families():
    """A review rule the list must keep: no callbacks, trees, boosting, test modules."""
    from sknn_digits._trusted import TRUSTED_NAMES

    refused = ("sklearn.callback", "sklearn.tree", "sklearn.ensemble._hist_gradient_boosting",
               "sklearn.ensemble._forest", "sklearn.ensemble._gb", "sklearn.neighbors",
               "sklearn.conftest", "sklearn._build_utils", "sklearn.utils._testing")
    assert not [n for n in TRUSTED_NAMES if n.startswith(refused) or ".tests." in n]


# ---------------------------------------------------------------- files crafted to harm


def _dumped(obj, path):
    import skops.io

    skops.io.dump(obj, path)
    return path


@pytest.mark.parametrize("make, named", [
    (lambda X, y: __import__("sklearn.tree", fromlist=["x"]).DecisionTreeClassifier(
        max_depth=2).fit(X, y), "sklearn.tree"),
    (lambda X, y: __import__("sklearn.ensemble", fromlist=["x"]).HistGradientBoostingClassifier(
        max_iter=2).fit(X, y), "TreePredictor"),
    (lambda X, y: __import__("sklearn.neighbors", fromlist=["x"]).KNeighborsClassifier(
        algorithm="kd_tree").fit(X, y), "sklearn.neighbors"),
])
def test_memory_unsafe_cython_state_is_refused_by_name(make, named, small_digits, tmp_path):
    """Trees, boosting predictors and KD-trees index memory by numbers a file chooses
    (a node pointing at feature 10**12 crashed predict); skops' defaults trusted them."""
    X, y = small_digits[0][:200], small_digits[1][:200]
    path = _dumped(make(X, y), tmp_path / "cython.skops")
    with pytest.raises(ValueError, match=f"not trusted.*{named}.*skops.io.load"):
        load_model(path)


def _with_schema(path, edit):
    """``path`` rewritten with its schema passed through ``edit`` (a dict in, a dict out)."""
    import json

    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members["schema.json"] = json.dumps(edit(json.loads(members["schema.json"]))).encode()
    out = path.with_name("edited.skops")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("module", [
    "sklearn.cluster.tests.test_hierarchical", "sklearn.conftest",
    "sklearn._build_utils.version", "sklearn.metrics.tests.test_score_objects"])
def test_deciding_trust_imports_nothing_the_file_names(module, model, tmp_path):
    """Naming a test module once imported it (binding sockets, writing files, running
    lscpu) while deciding to refuse the file."""
    import subprocess
    import sys

    path = save_model(model, tmp_path / "m.skops")

    def edit(schema):
        schema["content"]["content"]["activation"] = {
            "__class__": "X", "__module__": module, "__loader__": "ObjectNode",
            "content": {"__class__": "dict", "__module__": "builtins",
                        "__loader__": "DictNode", "content": {}}}
        return schema

    hostile = _with_schema(path, edit)
    script = (f"import sys; from sknn_digits.persistence import load_model\n"
              f"try:\n    load_model({str(hostile)!r})\nexcept ValueError as e:\n"
              f"    print('REFUSED', e)\nprint('IMPORTED' if {module!r} in sys.modules "
              "else 'CLEAN')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert "REFUSED" in done.stdout and module in done.stdout, done.stdout + done.stderr
    assert done.stdout.strip().endswith("CLEAN"), done.stdout


def test_ten_thousand_objects_of_an_unlisted_type_are_refused_at_once(model, tmp_path):
    """10,000 callback objects in a 41 KB file started 10,000 threads before the refusal."""
    import threading

    path = save_model(model, tmp_path / "m.skops")
    one = {"__class__": "RecordingCallback", "__module__": "sklearn.callback.tests._utils",
           "__loader__": "ObjectNode", "content": {"__class__": "dict",
                                                   "__module__": "builtins",
                                                   "__loader__": "DictNode", "content": {}}}

    def edit(schema):
        schema["content"]["content"]["warm_start"] = {
            "__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
            "content": [one] * 10_000}
        return schema

    hostile = _with_schema(path, edit)
    threads = threading.active_count()
    with pytest.raises(ValueError, match="RecordingCallback"):
        load_model(hostile)
    assert threading.active_count() == threads


def test_an_unknown_skops_loader_is_refused(model, tmp_path):
    path = save_model(model, tmp_path / "m.skops")

    def edit(schema):
        schema["content"]["content"]["activation"]["__loader__"] = "ReduceNode"
        return schema

    with pytest.raises(ValueError, match="ReduceNode"):
        load_model(_with_schema(path, edit))


def _callback_module():
    try:
        import sklearn.callback
    except ImportError:
        pytest.skip("scikit-learn before 1.9 has no fit callbacks")
    return sklearn.callback


def test_a_file_holding_a_callback_is_refused(small_digits, tmp_path):
    """A ScoringMonitor holding a ListenerHandle connected to the file's address at load and
    sent scores there (and unpickled the reply) at every refit."""
    callbacks = _callback_module()
    X, y = small_digits
    network = BackpropMLPClassifier(hidden_layer_sizes=3, max_iter=3, random_state=0)
    network.set_callbacks(callbacks.ScoringMonitor(scoring="accuracy"))
    network.fit(X, y)
    path = _dumped(network, tmp_path / "monitored.skops")
    with pytest.raises(ValueError, match="sklearn.callback"):
        load_model(path)


def test_save_model_leaves_callbacks_out_and_the_callers_model_alone(small_digits, tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    callbacks = _callback_module()
    X, y = small_digits
    network = BackpropMLPClassifier(hidden_layer_sizes=3, max_iter=3, random_state=0)
    monitor = callbacks.ScoringMonitor(scoring="accuracy")
    network.set_callbacks(monitor)
    model = make_pipeline(MinMaxScaler(), network).fit(X, y)
    path = save_model(model, tmp_path / "m.skops")
    assert b"sklearn.callback" not in zipfile.ZipFile(path).read("schema.json")
    assert model[-1]._skl_callbacks == [monitor]
    loaded = load_model(path)
    assert not hasattr(loaded[-1], "_skl_callbacks")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    loaded.fit(X, y)  # a refit of a loaded model has nothing to connect to
