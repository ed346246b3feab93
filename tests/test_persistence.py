"""Tests of model files that are data: what round-trips, and every hostile file refused.

Hostile files are written by hand (a zip of a JSON manifest and ``.npy``
members, laid out here from the format's description), never through
``save_model``.
"""

import io
import json
import sys
import threading
import zipfile

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

from sknn_digits import BackpropMLPClassifier
from sknn_digits.persistence import (
    FORMAT,
    MAX_MODEL_BYTES,
    load_model,
    save_model,
)
from sknn_digits.preprocessing import DigitImageTransformer


@pytest.fixture(scope="module")
def model(small_digits):
    X, y = small_digits
    return BackpropMLPClassifier(max_iter=20, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def pipeline():
    X, y = load_digits(return_X_y=True)
    return make_pipeline(MinMaxScaler(), BackpropMLPClassifier(max_iter=20, random_state=0)
                         ).fit(X[:400], y[:400])


# ------------------------------------------------------------ what round-trips


def _same_answers(loaded, original, X):
    np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))


def test_round_trip(model, small_digits, tmp_path):
    X, _ = small_digits
    path = save_model(model, tmp_path / "model.sknn")
    loaded = load_model(path)
    _same_answers(loaded, model, X)
    assert loaded.get_params() == model.get_params()
    assert loaded.loss_curve_ == model.loss_curve_ and loaded.n_iter_ == model.n_iter_
    for theta, original in zip(loaded.thetas_, model.thetas_):
        np.testing.assert_array_equal(theta, original)


@pytest.mark.parametrize("scaler", [MinMaxScaler(), StandardScaler(), MaxAbsScaler(),
                                    RobustScaler(), StandardScaler(with_mean=False)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pipelines_of_scalers_round_trip_bit_for_bit(scaler, dtype, tmp_path):
    X, y = load_digits(return_X_y=True)
    X = X[:300].astype(dtype)
    original = make_pipeline(scaler, BackpropMLPClassifier(
        hidden_layer_sizes=(7, 5), output_activation="softmax", max_iter=10, random_state=0)
    ).fit(X, y[:300])
    loaded = load_model(save_model(original, tmp_path / "m.sknn"))
    _same_answers(loaded, original, X)
    assert loaded[-1].coefs_[0].dtype == dtype
    assert loaded.get_params(deep=True).keys() == original.get_params(deep=True).keys()


@pytest.mark.parametrize("y_of", [
    lambda y: y.astype(str),  # text labels
    lambda y: y > 4,  # binary, one output unit
    lambda y: np.c_[y % 2, y > 4, y == 3],  # multilabel
    lambda y: y.astype(float),  # float labels
], ids=["text", "binary", "multilabel", "float"])
def test_every_kind_of_target_round_trips(y_of, tmp_path):
    X, y = load_digits(return_X_y=True)
    original = BackpropMLPClassifier(max_iter=5, random_state=0, n_iter_no_change=np.inf,
                                     class_weight=None).fit(X[:200] / 16, y_of(y[:200]))
    loaded = load_model(save_model(original, tmp_path / "m.sknn"))
    _same_answers(loaded, original, X[:200] / 16)
    np.testing.assert_array_equal(loaded.classes_, original.classes_)
    assert loaded.get_params() == original.get_params()


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_the_mlpclassifier_drop_in_round_trips_as_itself(solver, tmp_path):
    from sknn_digits import MLPClassifier

    X, y = load_digits(return_X_y=True)
    original = MLPClassifier(solver=solver, max_iter=3, random_state=0).fit(X[:300] / 16,
                                                                           y[:300])
    loaded = load_model(save_model(original, tmp_path / "m.sknn"))
    assert type(loaded) is MLPClassifier and loaded.get_params() == original.get_params()
    _same_answers(loaded, original, X / 16)


def test_a_data_frames_feature_names_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X[:200], columns=[f"pixel{i}" for i in range(64)])
    original = make_pipeline(MinMaxScaler(), BackpropMLPClassifier(
        max_iter=5, class_weight={0: 2.0, 1: 1.0}, random_state=0)).fit(frame, y[:200])
    loaded = load_model(save_model(original, tmp_path / "m.sknn"))
    _same_answers(loaded, original, frame)
    assert list(loaded.feature_names_in_) == list(frame.columns)
    assert loaded[-1].class_weight == {0: 2.0, 1: 1.0}


def test_the_picture_pipeline_round_trips(tmp_path):
    X, y = load_digits(return_X_y=True)
    scaler = MinMaxScaler().fit(X)
    network = BackpropMLPClassifier(max_iter=10, random_state=0).fit(scaler.transform(X), y)
    original = make_pipeline(DigitImageTransformer(layout="digits", invert=True), scaler,
                             network)
    pictures = np.full((3, 40, 30), 255, dtype=np.uint8)
    pictures[:, 5:35, 12:18] = 0
    loaded = load_model(save_model(original, tmp_path / "m.sknn"))
    _same_answers(loaded, original, pictures)


def test_a_search_saves_its_best_estimator(tmp_path):
    X, y = load_digits(return_X_y=True)
    search = GridSearchCV(make_pipeline(MinMaxScaler(), BackpropMLPClassifier(
        max_iter=5, random_state=0)), {"backpropmlpclassifier__alpha": [0.1, 1.0]}, cv=2
    ).fit(X[:200], y[:200])
    loaded = load_model(save_model(search, tmp_path / "m.sknn"))
    assert loaded[-1].alpha == search.best_params_["backpropmlpclassifier__alpha"]
    _same_answers(loaded, search.best_estimator_, X[:200])


def test_the_weights_are_stored_once(model, tmp_path):
    path = save_model(model, tmp_path / "m.sknn")
    with zipfile.ZipFile(path) as archive:
        members = archive.namelist()
    assert not any("thetas" in member for member in members)
    assert sum("coefs_" in m for m in members) == len(model.coefs_)


# ------------------------------------------------------------ what save_model refuses


def test_existing_file_is_not_overwritten(model, tmp_path):
    path = tmp_path / "model.sknn"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="not overwritten"):
        save_model(model, path)
    assert path.read_bytes() == b"precious"
    save_model(model, path, overwrite=True)
    assert load_model(path).n_features_in_ == 64


@pytest.mark.parametrize("suffix, what", [(".pkl", "pickle"), (".joblib", "joblib"),
                                          (".skops", "skops"), (".onnx", "ONNX")])
def test_a_name_of_another_format_is_refused(model, tmp_path, suffix, what):
    with pytest.raises(ValueError, match=f"named like an? {what}.*m.sknn"):
        save_model(model, tmp_path / f"m{suffix}")
    assert list(tmp_path.iterdir()) == []


def test_other_compositions_are_refused_with_the_way_to_save_them(small_digits, tmp_path):
    from sklearn.decomposition import PCA
    from sklearn.ensemble import BaggingClassifier

    X, y = small_digits
    for other in (BaggingClassifier(BackpropMLPClassifier(max_iter=2), n_estimators=2),
                  make_pipeline(PCA(5), BackpropMLPClassifier(max_iter=2))):
        with pytest.raises(ValueError, match=r"not saved.*skops\.io\.dump.*trusts"):
            save_model(other.fit(X, y), tmp_path / "m.sknn")
    assert list(tmp_path.iterdir()) == []


def test_an_unfitted_model_is_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save_model(BackpropMLPClassifier(), tmp_path / "m.sknn")


# ------------------------------------------------------------ hostile files, written by hand


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype.kind == "O")
    return buffer.getvalue()


def _reference(member, array):
    return {"array": member, "dtype": array.dtype.str, "shape": list(array.shape)}


def _network_step(network, number):
    """A network step as the format describes it, with its members."""
    members = {}
    fitted = {"coefs_": [], "intercepts_": [], "n_features_in_": int(network.n_features_in_),
              "out_activation_": network.out_activation_,
              "target_type": network._label_binarizer.y_type_}
    for i, (W, b) in enumerate(zip(network.coefs_, network.intercepts_)):
        for name, array in (("coefs_", W), ("intercepts_", b)):
            member = f"{number}/{name}/{i}.npy"
            members[member] = np.array(array)
            fitted[name].append(_reference(member, array))
    members[f"{number}/classes_.npy"] = network.classes_
    fitted["classes_"] = _reference(f"{number}/classes_.npy", network.classes_)
    params = {"hidden_layer_sizes": list(np.atleast_1d(network.hidden_layer_sizes).tolist()),
              "activation": network.activation, "alpha": network.alpha}
    return {"name": "network", "kind": "network", "params": params, "fitted": fitted}, members


def _scaler_step(scaler, number):
    members, fitted = {}, {"n_features_in_": int(scaler.n_features_in_)}
    for name in ("min_", "scale_", "data_min_", "data_max_", "data_range_"):
        members[f"{number}/{name}.npy"] = np.array(getattr(scaler, name))
        fitted[name] = _reference(f"{number}/{name}.npy", getattr(scaler, name))
    return {"name": "scaler", "kind": "min-max-scaler", "params": {}, "fitted": fitted}, members


def _files_of(model):
    """``(manifest, members)`` for a network or a MinMaxScaler-and-network pipeline."""
    if hasattr(model, "steps"):
        scaler, scaler_members = _scaler_step(model[0], 0)
        network, network_members = _network_step(model[-1], 1)
        steps, members = [scaler, network], {**scaler_members, **network_members}
        picture = {"layout": "digits", "paper": 0.0, "ink": 16.0}
    else:
        network, members = _network_step(model, 0)
        steps, picture = [network], None
    manifest = {"format": FORMAT, "format_version": 1, "written_by": "a test",
                "pipeline": hasattr(model, "steps"), "steps": steps, "picture": picture}
    return manifest, members


def _write(path, manifest, members, raw=None):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", manifest if isinstance(manifest, (str, bytes))
                         else json.dumps(manifest))
        for member, array in members.items():
            archive.writestr(member, _npy(array))
        for member, data in (raw or {}).items():
            archive.writestr(member, data)
    return path


def test_a_file_written_by_hand_loads_and_answers_alike(pipeline, tmp_path):
    X, _ = load_digits(return_X_y=True)
    path = _write(tmp_path / "m.sknn", *_files_of(pipeline))
    _same_answers(load_model(path), pipeline, X)


def _refused(path, *patterns):
    with pytest.raises(ValueError) as caught:
        load_model(path)
    message = str(caught.value)
    assert str(path) in message, message
    for pattern in patterns:
        assert pattern in message, message
    return message


def _tampered(model, change):
    manifest, members = _files_of(model)
    change(manifest, members)
    return manifest, members


def _network_of(manifest):
    return manifest["steps"][-1]


@pytest.mark.parametrize("change, says", [
    # a kind that names code, and kinds outside the vocabulary
    (lambda m, a: _network_of(m).update(kind="sklearn.ensemble.BaggingClassifier"),
     "a model file may hold"),
    (lambda m, a: m["steps"].insert(0, {"name": "s", "kind": "stacking", "params": {},
                                        "fitted": {}}), "may hold"),
    # a parameter the step does not have: a cache folder, processes
    (lambda m, a: m["steps"][0]["params"].update(memory="bundle_cache"), "memory"),
    (lambda m, a: _network_of(m)["params"].update(n_jobs=16), "n_jobs"),
    # a parameter the network refuses
    (lambda m, a: _network_of(m)["params"].update(activation="softsign"), "does not accept"),
    (lambda m, a: _network_of(m)["params"].update(hidden_layer_sizes=[26]),
     "hidden_layer_sizes"),
    # weights that are not finite, or do not chain
    (lambda m, a: a["1/coefs_/1.npy"].__setitem__((0, 0), np.nan), "NaN"),
    (lambda m, a: a.update({"1/coefs_/1.npy": np.zeros((24, 10))})
     or _network_of(m)["fitted"]["coefs_"][1].update(shape=[24, 10]), "do not follow"),
    # labels that do not fit the outputs
    (lambda m, a: a.update({"1/classes_.npy": np.array([0, 1])})
     or _network_of(m)["fitted"].update(classes_=_reference("1/classes_.npy", np.array([0, 1]))),
     "output units"),
    (lambda m, a: _network_of(m)["fitted"].update(out_activation_="softsign"), "softsign"),
    # an unknown fitted value, a scaler of another width
    (lambda m, a: _network_of(m)["fitted"].update(stack_method_=["fit_transform"]),
     "stack_method_"),
    (lambda m, a: m["steps"][0]["fitted"].update(n_features_in_=10**12), "finite numbers"),
    # the picture contract does not follow from the steps
    (lambda m, a: m.update(picture={"layout": "mnist", "paper": 0.0, "ink": 1.0}),
     "picture contract"),
    # the container
    (lambda m, a: m.update(format_version=2), "upgrade"),
    (lambda m, a: m.update(extra=1), "keys"),
    (lambda m, a: m["steps"].__setitem__(slice(None), m["steps"] * 9), "1 to 16 steps"),
    (lambda m, a: a.update({"1/extra.npy": np.zeros(3)}), "does not declare"),
], ids=["module-kind", "stacking", "memory", "n_jobs", "softsign", "hidden-sizes", "nan",
        "chain", "classes", "output", "unknown-attribute", "scaler-width", "picture",
        "version", "keys", "steps", "stray-member"])
def test_hostile_manifests_are_refused(pipeline, tmp_path, change, says):
    path = _write(tmp_path / "m.sknn", *_tampered(pipeline, change))
    _refused(path, says, "it was not loaded" if says != "upgrade" else "")


def test_declared_sizes_are_bounded_before_anything_is_allocated(model, tmp_path):
    manifest, members = _files_of(model)
    # A weight matrix of 64 x 10**8 float64 (47 GiB), and 10**12 labels, declared.
    _network_of(manifest)["fitted"]["coefs_"][0]["shape"] = [64, 10**8]
    _refused(_write(tmp_path / "big.sknn", manifest, members), "declares", "more than the")
    manifest, members = _files_of(model)
    _network_of(manifest)["fitted"]["classes_"]["shape"] = [10**12]
    _refused(_write(tmp_path / "labels.sknn", manifest, members), "more than the")


def test_a_member_whose_header_lies_is_refused(model, tmp_path):
    manifest, members = _files_of(model)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (64, 100_000_000)})
    del members["0/coefs_/0.npy"]
    path = _write(tmp_path / "m.sknn", manifest, members,
                  raw={"0/coefs_/0.npy": header.getvalue() + b"\0" * 64})
    _refused(path, "0/coefs_/0.npy", "declaration")
    manifest, members = _files_of(model)
    truncated = _npy(members.pop("0/coefs_/0.npy"))[:-8]
    path = _write(tmp_path / "t.sknn", manifest, members, raw={"0/coefs_/0.npy": truncated})
    _refused(path, "another length")


def test_objects_and_long_labels_are_refused(model, tmp_path):
    manifest, members = _files_of(model)
    pickled = np.array([{"a": 1}] * 10, dtype=object)
    members["0/classes_.npy"] = pickled
    _network_of(manifest)["fitted"]["classes_"] = _reference("0/classes_.npy", pickled)
    _refused(_write(tmp_path / "o.sknn", manifest, members), "numbers, booleans and text")
    manifest, members = _files_of(model)
    long = np.array([str(d) * 2**20 for d in range(10)])  # ten labels of 1 Mi characters
    members["0/classes_.npy"] = long
    _network_of(manifest)["fitted"]["classes_"] = _reference("0/classes_.npy", long)
    _refused(_write(tmp_path / "l.sknn", manifest, members), "256 characters")


def test_deeply_nested_and_oversized_manifests_are_refused(tmp_path):
    _refused(_write(tmp_path / "deep.sknn", "[" * 100_000 + "]" * 100_000, {}), "manifest")
    _refused(_write(tmp_path / "big.sknn", " " * (2**20 + 1), {}), "larger than")
    manifest = {"format": FORMAT, "format_version": 1, "written_by": "", "pipeline": False,
                "picture": None, "steps": [{"name": "n", "kind": "network", "params": {
                    "hidden_layer_sizes": [[[[[25]]]]]}, "fitted": {}}]}
    _refused(_write(tmp_path / "nest.sknn", manifest, {}), "does not hold")


@pytest.mark.parametrize("content, says", [
    (b"\x80\x04K\x01.", "pickle"),
    (b"not a model", "not a model file of this package"),
], ids=["pickle", "text"])
def test_files_of_other_formats_are_refused(tmp_path, content, says):
    path = tmp_path / "m.sknn"
    path.write_bytes(content)
    _refused(path, says)


def test_a_skops_file_gets_a_sentence(tmp_path):
    path = tmp_path / "old.skops"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", '{"__class__": "BackpropMLPClassifier"}')
    _refused(path, "skops file", "save it again")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such model file"):
        load_model(tmp_path / "nothing.sknn")


def test_course_weights_given_as_a_model_get_a_hint(tmp_path):
    path = tmp_path / "ex4weights.mat"
    path.write_bytes(b"MATLAB 5.0 MAT-file")
    _refused(path, "--ex4-weights")


def test_loading_and_predicting_open_start_and_write_nothing(pipeline, tmp_path, monkeypatch):
    X, _ = load_digits(return_X_y=True)
    path = save_model(pipeline, tmp_path / "m.sknn")
    load_model(path).predict_proba(X)  # the modules it needs, imported once
    monkeypatch.chdir(tmp_path)
    events = []
    recording = threading.Event()
    this_thread = threading.get_ident()  # not a cluster's or a server's thread of this process

    def hook(event, args):
        watched = event.startswith("os.exec") or event in (
            "open", "os.system", "os.fork", "os.posix_spawn", "subprocess.Popen",
            "_thread.start_new_thread", "socket.connect", "socket.bind")
        if watched and recording.is_set() and threading.get_ident() == this_thread:
            events.append((event, args[:1]))

    sys.addaudithook(hook)  # stays for the process; records only while the flag is set
    threads = threading.active_count()
    recording.set()
    try:
        loaded = load_model(path)
        loaded.predict(X)
        loaded.predict_proba(X)
    finally:
        recording.clear()
    assert events == [("open", (str(path),))], events
    assert threading.active_count() == threads
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.sknn"]


def test_load_time_grows_with_the_file_not_its_nesting(tmp_path):
    """A manifest of the largest size is answered at once: it is parsed once and flat."""
    import time

    manifest = {"format": FORMAT, "format_version": 1, "written_by": "", "pipeline": True,
                "picture": None, "steps": [{"name": f"s{i}", "kind": "min-max-scaler",
                                            "params": {}, "fitted": {}} for i in range(16)]}
    manifest["written_by"] = "x" * (2**20 - len(json.dumps(manifest)) - 10)
    path = _write(tmp_path / "m.sknn", manifest, {})
    start = time.process_time()
    _refused(path, "network")
    assert MAX_MODEL_BYTES >= 2**20
    assert time.process_time() - start < 5  # generous: seconds, not minutes


def test_a_model_fitted_in_another_array_namespace_is_saved_as_numpy(tmp_path):
    xp = pytest.importorskip("array_api_strict")
    import sklearn

    try:  # scikit-learn's array API dispatch: built in from 1.7, the package before
        import sklearn.externals.array_api_compat
    except ImportError:
        pytest.importorskip("array_api_compat", reason="scikit-learn before 1.7 needs the "
                            "array-api-compat package for array API dispatch")

    X, y = load_digits(return_X_y=True)
    with sklearn.config_context(array_api_dispatch=True):
        fitted = BackpropMLPClassifier(hidden_layer_sizes=8, max_iter=10, random_state=0).fit(
            xp.asarray(X[:300] / 16), xp.asarray(y[:300]))
        expected = np.asarray(fitted.predict_proba(xp.asarray(X[:50] / 16)))
    loaded = load_model(save_model(fitted, tmp_path / "m.sknn"))
    assert isinstance(loaded.coefs_[0], np.ndarray)
    np.testing.assert_allclose(loaded.predict_proba(X[:50] / 16), expected, rtol=1e-12)


@pytest.mark.parametrize("scaler", [StandardScaler(), MaxAbsScaler(), RobustScaler()])
def test_a_scale_a_fit_never_makes_is_refused(scaler, tmp_path):
    """These scalers divide by scale_, which their fit keeps positive: a file's zero would
    turn every picture into infinities."""
    X, y = load_digits(return_X_y=True)
    model = make_pipeline(scaler, BackpropMLPClassifier(max_iter=3, random_state=0)).fit(
        X[:200], y[:200])
    path = save_model(model, tmp_path / "m.sknn")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        members = {name: np.load(io.BytesIO(archive.read(name)))
                   for name in archive.namelist() if name.endswith(".npy")}
    members["0/scale_.npy"][5] = 0.0
    _refused(_write(tmp_path / "zero.sknn", manifest, members), "scale_ that is not positive")


def test_parameters_given_as_arrays_round_trip(tmp_path):
    X, y = load_digits(return_X_y=True)
    original = BackpropMLPClassifier(hidden_layer_sizes=np.array([7, 5]), max_iter=3,
                                     random_state=0).fit(X[:200] / 16, y[:200])
    loaded = load_model(save_model(original, tmp_path / "m.sknn"))
    assert loaded.hidden_layer_sizes == (7, 5)
    _same_answers(loaded, original, X[:200] / 16)


def test_what_load_model_would_refuse_is_not_written(tmp_path, monkeypatch):
    from sknn_digits import persistence

    X, y = load_digits(return_X_y=True)
    long_labels = np.where(y[:100] > 4, "seven" * 60, "one")  # a label of 300 characters
    model = BackpropMLPClassifier(max_iter=2, random_state=0).fit(X[:100] / 16, long_labels)
    with pytest.raises(ValueError, match="longer than the 256 characters"):
        save_model(model, tmp_path / "long.sknn")
    monkeypatch.setattr(persistence, "MAX_MODEL_BYTES", 10_000)
    with pytest.raises(ValueError, match="more than the .* a model file may hold"):
        save_model(BackpropMLPClassifier(max_iter=2).fit(X[:100] / 16, y[:100]),
                   tmp_path / "big.sknn")
    assert list(tmp_path.iterdir()) == []
