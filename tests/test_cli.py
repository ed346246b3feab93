"""Tests of the sknn-digits command line program."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from sknn_digits.cli import main

DRAWN = Path(__file__).resolve().parents[1] / "examples" / "drawn"


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_main_job_reports_held_out_accuracy(capsys):
    status, out, err = run(capsys)
    assert status == 0
    accuracy = float(out.split("Test accuracy: ")[1].split()[0])
    assert accuracy > 0.95
    assert "precision" in out and "Confusion matrix" in out
    assert "Iteration 25, loss" in err  # progress on stderr, every 25th when not a terminal
    assert "Iteration" not in out
    assert "Stopped after" in out


@pytest.mark.slow
def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "sknn_digits", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("sknn-digits ")


def test_unknown_option_is_one_line_and_exit_2():
    result = subprocess.run([sys.executable, "-m", "sknn_digits", "--bogus"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--bogus" in result.stderr


def test_train_save_evaluate_predict(capsys, tmp_path):
    model = tmp_path / "model.sknn"
    status, out, _ = run(capsys, "train", "--max-iter", "60", "--hidden", "20",
                         "--out", str(model), "--quiet")
    assert status == 0 and model.is_file() and "Test accuracy" in out
    status, out, _ = run(capsys, "evaluate", "--model", str(model))
    assert status == 0 and float(out.split("Accuracy: ")[1].split()[0]) > 0.9
    images = [str(DRAWN / f"{d}.png") for d in (2, 3, 4)]
    status, out, _ = run(capsys, "predict", *images, "--model", str(model), "--json")
    results = json.loads(out)
    assert status == 0 and [r["path"] for r in results] == images
    assert all(isinstance(r["prediction"], int) and 0 < r["confidence"] <= 1 for r in results)


def test_train_does_not_overwrite_without_force(capsys, tmp_path):
    model = tmp_path / "model.sknn"
    model.write_bytes(b"keep me")
    status, _, err = run(capsys, "train", "--out", str(model), "--max-iter", "5", "--quiet")
    assert status == 1 and "exists already" in err and "Traceback" not in err
    assert "--force" in err
    assert model.read_bytes() == b"keep me"


def test_train_on_course_mat_npz_and_csv(capsys, tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(60) % 10 + 1
    X = rng.random((60, 400)) * 0.2 + (np.arange(400) % 10 == (y[:, None] % 10))
    savemat(tmp_path / "d.mat", {"X": X, "y": y[:, None]})
    np.savez(tmp_path / "d.npz", X=X[:, :20], y=y % 2)
    np.savetxt(tmp_path / "d.csv", np.column_stack([X[:, :5], y % 3]), delimiter=",")
    for name in ("d.mat", "d.npz", "d.csv"):
        status, out, err = run(capsys, "train", "--data", str(tmp_path / name),
                               "--max-iter", "30", "--quiet", "--test-size", "0.3")
        assert status == 0, err
        assert "Test accuracy" in out


def test_predict_with_course_weights(capsys, course_weights_file):
    images = [str(DRAWN / f"{d}.png") for d in range(10)]
    status, out, _ = run(capsys, "predict", *images, "--ex4-weights", str(course_weights_file),
                         "--json")
    assert status == 0
    assert [r["prediction"] for r in json.loads(out)] == list(range(10))


def test_user_mistakes_are_one_line_errors(capsys, tmp_path):
    status, _, err = run(capsys, "predict", str(tmp_path / "none.png"), "--ex4-weights",
                         str(tmp_path / "none.mat"))
    assert status == 1 and err.startswith("sknn-digits: error:") and "none.mat" in err
    (tmp_path / "text.png").write_text("hello")
    model = tmp_path / "m.sknn"
    run(capsys, "train", "--max-iter", "5", "--quiet", "--out", str(model))
    status, _, err = run(capsys, "predict", str(tmp_path / "text.png"), "--model", str(model))
    assert status == 1 and "text.png' is not an image file" in err
    np.savez(tmp_path / "wide.npz", X=np.zeros((4, 10)), y=[0, 1, 0, 1])
    status, _, err = run(capsys, "evaluate", "--model", str(model), "--data",
                         str(tmp_path / "wide.npz"))
    assert status == 1 and "expects 64 features" in err and "has 10" in err
    assert err.count("\n") == 1


def test_gradient_check_command(capsys):
    status, out, _ = run(capsys, "gradient-check", "--lambda", "3")
    assert status == 0 and "backpropagation is correct" in out


def test_grid_search_command(capsys):
    status, out, err = run(capsys, "grid-search", "--alphas", "0.3,3", "--hidden", "8;16",
                         "--cv", "3", "--max-iter", "40")
    assert status == 0
    rows = [line for line in out.splitlines() if line.strip() and line.split()[0][0].isdigit()]
    assert len(rows) == 4
    assert "Best: alpha =" in out
    # Progress on stderr: a line at each tenth of the 12 fits, the best so far once known.
    progress = err.splitlines()
    assert progress[0] == "1/12 fits done" and progress[-1].startswith("12/12 fits done; best")
    best = out.split("Best: ")[1].split(", accuracy")[0]
    assert best in progress[-1]
    status, _, err = run(capsys, "grid-search", "--alphas", "3", "--hidden", "8", "--cv", "2",
                         "--max-iter", "5", "--quiet")
    assert status == 0 and err == ""


def test_grid_search_saves_its_best_setting_trained_on_every_sample(capsys, tmp_path):
    from sklearn.datasets import load_digits

    from sknn_digits.persistence import load_model

    out_file = tmp_path / "best.sknn"
    status, out, _ = run(capsys, "grid-search", "--alphas", "0.01,100", "--hidden", "8",
                         "--cv", "2", "--max-iter", "30", "--quiet", "--out", str(out_file))
    assert status == 0 and f"Model saved to {out_file}" in out
    assert "Best: alpha = 0.01" in out and "on all 1797 samples" in out
    model = load_model(out_file)
    assert model[-1].alpha == 0.01 and model[-1].hidden_layer_sizes == (8,)
    X, y = load_digits(return_X_y=True)
    assert model.score(X, y) > 0.9
    status, _, err = run(capsys, "grid-search", "--alphas", "1", "--hidden", "8", "--cv", "2",
                         "--out", str(out_file))
    assert status == 1 and "--force" in err


@pytest.mark.slow
def test_show_writes_pngs_and_keeps_existing_files(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, _out, _ = run(capsys, "show", "--out-dir", str(tmp_path))
    names = {"digits.png", "hidden_units.png", "predictions.png", "confusion_matrix.png",
             "loss_curve.png"}
    assert status == 0 and {p.name for p in tmp_path.iterdir()} == names
    for name in names:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "digits.png").write_bytes(b"mine")
    status, _, err = run(capsys, "show", "--out-dir", str(tmp_path))
    assert status == 1 and "--force" in err
    assert (tmp_path / "digits.png").read_bytes() == b"mine"


@pytest.mark.slow
def test_show_creates_its_folder_and_refuses_a_file(capsys, tmp_path):
    status, _out, _ = run(capsys, "show", "--out-dir", str(tmp_path / "pictures"))
    assert status == 0 and (tmp_path / "pictures" / "digits.png").stat().st_size > 0
    (tmp_path / "README.md").write_text("x")
    status, _, err = run(capsys, "show", "--out-dir", str(tmp_path / "README.md"))
    assert status == 1 and "is a file, not a directory" in err


def test_bad_out_fails_before_training(capsys, tmp_path):
    status, out, err = run(capsys, "train", "--out", str(tmp_path / "missing" / "m.sknn"))
    assert status == 1 and "No such directory" in err and "Training on" not in out
    status, out, err = run(capsys, "train", "--force", "--out", str(tmp_path))
    assert status == 1 and "is a directory" in err and "Training on" not in out


def test_train_leaves_a_users_partial_file_alone(capsys, tmp_path):
    own = tmp_path / "m.sknn.partial"
    own.write_text("mine")
    status, _, _ = run(capsys, "train", "--quiet", "--max-iter", "20",
                       "--out", str(tmp_path / "m.sknn"))
    assert status == 0 and own.read_text() == "mine"


def test_evaluate_scores_the_held_out_part_by_default(capsys, tmp_path):
    model = tmp_path / "m.sknn"
    run(capsys, "train", "--quiet", "--out", str(model))
    status, out, _ = run(capsys, "evaluate", "--model", str(model))
    assert status == 0 and "Scoring the 450 held-out samples" in out
    assert "(441 of 450)" in out or "of 450)" in out
    status, out, _ = run(capsys, "evaluate", "--model", str(model), "--test-size", "0")
    assert "Scoring all 1797 samples" in out


@pytest.mark.parametrize("argv, message", [
    (["train", "--test-size", "-0.5"], "--test-size"),
    (["train", "--test-size", "nan"], "--test-size"),
    (["gradient-check", "--lambda", "nan"], "--lambda"),
    (["draw", "--port", "70000"], "--port"),
])
def test_bad_numbers_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_gradient_check_prints_one_verdict(capsys):
    status, out, _ = run(capsys, "gradient-check", "--verbose")
    assert status == 0 and out.count("backpropagation is correct") == 1
    assert out.count("Relative difference") == 1


def test_evaluate_refuses_what_is_not_a_model_file(capsys, tmp_path):
    import zipfile

    path = tmp_path / "d.sknn"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.json", '{"a": 1}')
    status, _, err = run(capsys, "evaluate", "--model", str(path))
    assert status == 1 and "not a model file of this package" in err and "d.sknn" in err


@pytest.mark.slow
def test_help_and_version_do_not_load_scikit_learn():
    code = ("import sys\nfrom sknn_digits.cli import main\n"
            "for argv in (['--version'], ['--help'], ['train', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "print('sklearn' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_every_option_has_help_with_its_default(capsys):
    from sknn_digits.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        for action in sub._actions:
            if action.dest in ("help", "images"):
                continue
            assert action.help, f"{name} {action.option_strings} has no help"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "(default: 400)" in out and "LAMBDA_" not in out


def test_grid_search_says_when_a_candidate_has_two_layers(capsys):
    status, out, _ = run(capsys, "grid-search", "--hidden", "25,50", "--alphas", "1",
                         "--cv", "2", "--max-iter", "5")
    assert status == 0 and "25,50 (2 hidden layers)" in out


@pytest.mark.slow
def test_json_output_stays_valid_for_non_utf8_file_names(capsys, tmp_path):
    import shutil

    name = os.fsdecode(b"digit-\xff.png")
    shutil.copy(DRAWN / "3.png", tmp_path / name)
    status, out, _ = run(capsys, "predict", str(tmp_path / name), "--json")
    assert status == 0
    result = json.loads(out.encode("utf-8"))  # encodable and parseable
    assert result[0]["path"].endswith("digit-\ufffd.png")


@pytest.mark.slow
def test_draw_serves_the_page_until_interrupted(tmp_path, interruptible_popen):
    # The real command in its own process: it prints the address, answers
    # the page's requests, and Ctrl-C (SIGINT) stops it cleanly, exit 0.
    import signal
    import urllib.request

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = interruptible_popen(
        [sys.executable, "-m", "sknn_digits", "draw", "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    try:
        line = process.stdout.readline()
        assert "The drawing page is at http://127.0.0.1:" in line
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/model", timeout=30) as response:
            assert json.load(response)["layout"] == "digits"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Stopped." in out and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # it wrote nothing


def test_draw_names_a_port_in_use(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, _, err = run(capsys, "draw", "--no-browser", "--port", str(port))
    assert status == 1 and f"cannot listen on 127.0.0.1 port {port}" in err


def _chunk_folder(folder):
    from sklearn.datasets import load_digits

    folder.mkdir()
    X, y = load_digits(return_X_y=True)
    for i, rows in enumerate(np.array_split(np.arange(len(y)), 6)):
        np.save(folder / f"X_{i}.npy", X[rows].astype(np.float32))
        np.save(folder / f"y_{i}.npy", y[rows])
    return folder


def test_train_on_a_cluster_from_a_folder_of_chunks(capsys, tmp_path, cluster_client):
    from sknn_digits.persistence import load_model

    folder = _chunk_folder(tmp_path / "chunks")
    address = cluster_client.scheduler.address
    status, out, err = run(capsys, "train", "--data", str(folder), "--scheduler", address,
                           "--max-iter", "60", "--quiet", "--out", str(tmp_path / "m.sknn"))
    assert status == 0, err
    assert "in 6 chunks" in out and "450 samples held out, the ones evaluate" in out
    accuracy = float(out.split("Test accuracy: ")[1].split()[0])
    assert accuracy > 0.9
    # The saved model is an ordinary pipeline that reads in-memory digits.
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    assert load_model(tmp_path / "m.sknn").score(X, y) > 0.9


def test_grid_search_on_a_cluster(capsys, tmp_path, cluster_client):
    folder = _chunk_folder(tmp_path / "chunks")
    address = cluster_client.scheduler.address
    status, out, err = run(capsys, "grid-search", "--data", str(folder), "--scheduler", address,
                           "--alphas", "0.1,1", "--hidden", "12", "--cv", "3",
                           "--max-iter", "30")
    assert status == 0, err
    assert "2 settings x 3 folds on 1797 samples in 6 chunks" in out and "Best: alpha" in out
    # In-memory data with --scheduler: the candidates' fits go to the workers.
    status, out, err = run(capsys, "grid-search", "--scheduler", address, "--alphas", "1",
                           "--hidden", "12", "--cv", "2", "--max-iter", "20")
    assert status == 0, err
    assert "Best: alpha = 1" in out


@pytest.mark.slow
def test_cluster_mistakes_are_one_line_errors(capsys, tmp_path):
    pytest.importorskip("distributed")
    folder = _chunk_folder(tmp_path / "chunks")
    status, _, err = run(capsys, "train", "--data", str(folder))
    assert status == 1 and "pass --scheduler ADDRESS" in err
    (folder / "y_5.npy").unlink()
    status, _, err = run(capsys, "train", "--data", str(folder), "--scheduler", "local")
    assert status == 1 and "X_5.npy' has no labels beside it" in err
    status, _, err = run(capsys, "train", "--scheduler", "tcp://127.0.0.1:9")
    assert status == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err


def test_help_names_each_default_once_and_every_argument(capsys):
    for command in ("predict", "draw", "show", "evaluate", "grid-search"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "(default: None)" not in out
        assert out.count("(default: train one") <= 1
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    assert "a picture of one digit" in capsys.readouterr().out


def test_messages_say_what_is_accepted(capsys, tmp_path):
    status, _, err = run(capsys, "train", "--data", "digit", "--quiet")
    assert status == 1 and "'digits'" in err and ".npz" in err
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(b"\x80\x04K\x01.")
    status, _, err = run(capsys, "evaluate", "--model", str(pickled))
    assert status == 1 and "runs any code" in err and "pickle" in err


@pytest.mark.slow
def test_predict_reads_every_picture_and_names_each_that_fails(capsys, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a picture")
    good = [str(DRAWN / "3.png"), str(DRAWN / "7.png")]
    status, out, err = run(capsys, "predict", good[0], str(bad), good[1])
    assert status == 1
    assert [line.split(":")[0] for line in out.splitlines()] == good
    assert err.count("sknn-digits: error:") == 1 and "bad.png" in err
    status, out, _ = run(capsys, "predict", good[0], str(bad), "--json")
    entries = json.loads(out)
    assert status == 1 and "prediction" in entries[0] and "error" in entries[1]


def test_evaluate_and_show_take_the_course_weights(capsys, course_weights_file, tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    data = tmp_path / "d.npz"
    np.savez(data, X=rng.random((60, 400)), y=np.arange(60) % 10)
    status, out, err = run(capsys, "evaluate", "--ex4-weights", str(course_weights_file),
                           "--data", str(data), "--test-size", "0")
    assert status == 0, err
    assert "Scoring all 60 samples" in out and "Accuracy:" in out
    status, out, err = run(capsys, "show", "--ex4-weights", str(course_weights_file),
                           "--data", str(data), "--out-dir", str(tmp_path / "pictures"))
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "pictures").iterdir()) == [
        "confusion_matrix.png", "digits.png", "hidden_units.png", "predictions.png"]


def test_a_label_first_csv_trains_on_its_label_column(capsys, tmp_path):
    """Kaggle's layout: header ``label,pixel0,...``; the label column is found by its name."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:400].astype(int), y[:400]
    header = "label," + ",".join(f"pixel{i}" for i in range(64))
    np.savetxt(tmp_path / "train.csv", np.column_stack([y, X]), delimiter=",", fmt="%d",
               header=header, comments="")
    model = tmp_path / "k.sknn"
    status, out, err = run(capsys, "train", "--data", str(tmp_path / "train.csv"), "--out",
                           str(model), "--quiet")
    assert status == 0 and err == "", err
    from sknn_digits.persistence import load_model

    assert load_model(model).classes_.tolist() == list(range(10))
    assert float(out.split("Test accuracy: ")[1].split()[0]) > 0.8


def test_labels_that_look_like_pixels_are_a_one_line_warning(capsys, tmp_path):
    from sklearn.datasets import load_digits

    _X, y = load_digits(return_X_y=True)
    pixels = np.random.default_rng(0).integers(0, 256, (300, 64))  # MNIST-like intensities
    data = np.column_stack([y[:300], pixels])  # label first, no header
    np.savetxt(tmp_path / "t.csv", data, delimiter=",", fmt="%d")
    status, _, err = run(capsys, "train", "--data", str(tmp_path / "t.csv"), "--quiet",
                         "--max-iter", "2", "--test-size", "0")
    assert status == 0
    first, *_ = err.splitlines()  # scikit-learn then warns of "too many classes" too
    assert "took column 64 as the label" in first and "--label-column" in first
    assert all(line.startswith("sknn-digits: warning: ") for line in err.splitlines())
    status, _, err = run(capsys, "train", "--data", str(tmp_path / "t.csv"), "--quiet",
                         "--max-iter", "2", "--test-size", "0", "--label-column", "0")
    assert status == 0 and err == ""


@pytest.mark.slow
def test_sigterm_ends_the_command_during_a_long_native_computation(tmp_path):
    """Python's handler waits for the main thread's next bytecode; a matrix product of
    minutes kept `sknn-digits` running that long after SIGTERM.  The watchdog ends it
    within the grace period instead (measured here with room for a busy machine)."""
    import signal
    import time

    from sknn_digits.cli import TERMINATE_GRACE

    script = tmp_path / "long_native.py"
    script.write_text(
        "import sys\n"
        "import numpy as np\n"
        "from sknn_digits import cli\n"
        "def long(args):\n"
        "    a = np.ones((4000, 4000))\n"
        "    print('computing', flush=True)\n"
        "    np.einsum('ij,jk->ik', a, a)  # a minute or more in one call, no bytecode\n"
        "    return 0\n"
        "cli.COMMANDS['main'] = long\n"
        "sys.exit(cli.main([]))\n")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith("computing")
    time.sleep(0.5)
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=TERMINATE_GRACE + 15)
    finally:
        process.kill()
    assert process.returncode == 143, err
    assert "terminated" in err
    assert time.monotonic() - sent < TERMINATE_GRACE + 15


# ---------------------------------------------------------------- Kaggle's workflow


@pytest.mark.slow
def test_kaggles_digit_recognizer_end_to_end(capsys, tmp_path, monkeypatch,
                                             write_kaggle_files):
    """train.csv -> model -> submission.csv, from the command line in a fresh folder."""
    monkeypatch.chdir(tmp_path)
    truth = write_kaggle_files(tmp_path)
    status, out, err = run(capsys, "train", "--data", "train.csv", "--test-size", "0",
                           "--out", "model.sknn", "--quiet")
    assert status == 0, err
    assert "Training on 1400 samples" in out and "Test accuracy" not in out  # every row
    status, out, err = run(capsys, "predict", "--data", "test.csv", "--model", "model.sknn",
                           "--out", "submission.csv")
    assert status == 0, err
    lines = (tmp_path / "submission.csv").read_text().splitlines()
    assert lines[0] == "ImageId,Label" and len(lines) == len(truth) + 1
    ids, labels = zip(*(map(int, line.split(",")) for line in lines[1:]))
    assert list(ids) == list(range(1, len(truth) + 1))
    assert np.mean(np.array(labels) == truth) > 0.9
    # Never over an existing file without --force; printed without --out.
    status, _, err = run(capsys, "predict", "--data", "test.csv", "--model", "model.sknn",
                         "--out", "submission.csv")
    assert status == 1 and "--force" in err
    status, out, _ = run(capsys, "predict", "--data", "test.csv", "--model", "model.sknn")
    assert status == 0 and [int(v) for v in out.split()] == list(labels)
    # evaluate needs labels: test.csv has none, and is refused naming the rule.
    status, out, err = run(capsys, "evaluate", "--model", "model.sknn", "--data", "test.csv")
    assert status == 1 and "no label column" in err and "label, y, target or class" in err
    # The rows a model was trained on with their labels: the label column is left out.
    status, out, _ = run(capsys, "predict", "--data", "train.csv", "--model", "model.sknn",
                         "--json")
    assert status == 0 and len(json.loads(out)) == 1400


@pytest.mark.slow
def test_pictures_are_brought_to_the_range_a_csv_trained_model_learned(capsys, tmp_path):
    """A model trained on 0..255 rows read every picture as 0..16 rows: 10 % right, no
    word.  It reads them as the same model trained on 0..16 rows does."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    np.savez(tmp_path / "bytes.npz", X=np.round(X * 255 / 16), y=y)
    np.savez(tmp_path / "sixteenths.npz", X=X, y=y)
    images = [str(DRAWN / f"{d}.png") for d in range(10)]
    read = {}
    for name in ("bytes", "sixteenths"):
        status, _, err = run(capsys, "train", "--data", str(tmp_path / f"{name}.npz"),
                             "--test-size", "0", "--quiet", "--out",
                             str(tmp_path / f"{name}.sknn"))
        assert status == 0, err
        status, out, err = run(capsys, "predict", *images, "--model",
                               str(tmp_path / f"{name}.sknn"), "--json")
        assert status == 0, err
        read[name] = [r["prediction"] for r in json.loads(out)]
    assert read["bytes"] == read["sixteenths"]
    assert np.mean(np.array(read["bytes"]) == np.arange(10)) >= 0.6


def test_a_model_that_cannot_know_its_pictures_refuses_them(capsys, tmp_path):
    from sknn_digits.persistence import save_model

    X, y = __import__("sklearn.datasets").datasets.load_digits(return_X_y=True)
    from sknn_digits import BackpropMLPClassifier

    save_model(BackpropMLPClassifier(max_iter=20, random_state=0).fit(X, y),
               tmp_path / "bare.sknn")
    status, out, err = run(capsys, "predict", str(DRAWN / "3.png"), "--model",
                           str(tmp_path / "bare.sknn"))
    assert status == 1 and "cannot read pictures" in err and "--data" in err
    assert out == ""


@pytest.mark.slow
def test_evaluate_on_a_cluster_scores_what_train_on_a_cluster_held_out(capsys, tmp_path,
                                                                        cluster_client):
    address = cluster_client.scheduler.address
    model = tmp_path / "m.sknn"
    status, out, err = run(capsys, "train", "--scheduler", address, "--max-iter", "60",
                           "--quiet", "--out", str(model))
    assert status == 0, err
    trained = float(out.split("Test accuracy: ")[1].split()[0])
    for where in ((), ("--scheduler", address)):
        status, out, err = run(capsys, "evaluate", "--model", str(model), *where)
        assert status == 0, err
        assert "Scoring the 450 held-out samples" in out
        assert float(out.split("Accuracy: ")[1].split()[0]) == pytest.approx(trained, abs=1e-4)


def test_train_out_on_a_full_disk_fails_before_training(capsys, tmp_path, monkeypatch):
    """It trained first and failed with ENOSPC as it saved, losing the work."""
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda path: usage(10**9, 10**9 - 1000, 1000)
                        if str(tmp_path) in str(path) else real(path))
    status, out, err = run(capsys, "train", "--quiet", "--out", str(tmp_path / "m.sknn"))
    assert status == 1 and "free" in err and "m.sknn" in err
    assert "Training on" not in out and not (tmp_path / "m.sknn").exists()


# ---------------------------------------------------------------- a stranger's files, small points


def test_one_broken_picture_spoils_no_other(capsys, tmp_path):
    pytest.importorskip("PIL")
    model = tmp_path / "model.sknn"
    assert run(capsys, "train", "--max-iter", "40", "--hidden", "20", "--out", str(model),
               "--quiet")[0] == 0
    good = DRAWN / "3.png"
    from PIL import Image

    broken = tmp_path / "broken.png"
    Image.fromarray(np.full((40, 30), 200, dtype=np.uint8)).save(broken, compress_level=0)
    data = bytearray(broken.read_bytes())
    data[35] = 0  # the pixel chunk's length: Pillow's decoder raises SyntaxError
    broken.write_bytes(bytes(data))
    eps = tmp_path / "digit.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n")
    table = tmp_path / "test.csv"
    table.write_text("pixel0,pixel1\n0,1\n")
    status, out, err = run(capsys, "predict", str(good), str(broken), str(eps), str(table),
                           str(DRAWN / "4.png"), "--model", str(model), "--json")
    results = json.loads(out)
    assert status == 1 and "Traceback" not in err
    assert [("prediction" in r) for r in results] == [True, False, False, False, True]
    assert "not an image file that can be read" in results[2]["error"]
    assert "predict --data" in results[3]["error"]


def test_a_wrong_flag_points_to_its_commands_help(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["predict", "--modle", "m.sknn"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--modle" in err and "sknn-digits predict --help" in err


def test_each_commands_scheduler_help_names_its_work(capsys):
    for command, work in (("evaluate", "score on a Dask cluster"), ("train", "train on a Dask"),
                          ("grid-search", "search on a Dask")):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert work in " ".join(capsys.readouterr().out.split())


def test_a_model_file_named_for_another_format(capsys, tmp_path):
    status, _, err = run(capsys, "train", "--max-iter", "5", "--quiet", "--out",
                         str(tmp_path / "model.pkl"))
    assert status == 1 and "named like a pickle" in err and "model.sknn" in err
    assert list(tmp_path.iterdir()) == []
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"\x08\x07\x12\x07skl2onnx")
    status, _, err = run(capsys, "evaluate", "--model", str(onnx))
    assert status == 1 and "ONNX model, for onnxruntime" in err


def test_training_on_a_file_without_labels_names_the_rule(capsys, tmp_path,
                                                         write_kaggle_files):
    write_kaggle_files(tmp_path)
    status, out, err = run(capsys, "train", "--data", str(tmp_path / "test.csv"), "--quiet")
    assert status == 1 and "Training on" not in out
    assert "none is a label column" in err and "--label-column" in err


def test_probabilities_that_are_not_numbers_are_refused_not_printed(capsys, tmp_path):
    """Finite weights that overflow on an input: an error, never "confidence": NaN."""
    from sknn_digits import BackpropMLPClassifier
    from sknn_digits.persistence import save_model

    overflowing = BackpropMLPClassifier.from_thetas(
        [np.array([[0.0, 1e308], [0.0, -1e308]]), np.array([[0.0, 1.0, 1.0]])], [0, 1],
        activation="identity")
    save_model(overflowing, tmp_path / "m.sknn")
    np.savez(tmp_path / "rows.npz", X=np.array([[10.0]]))
    with np.errstate(all="ignore"):
        status, out, err = run(capsys, "predict", "--data", str(tmp_path / "rows.npz"),
                               "--model", str(tmp_path / "m.sknn"), "--json")
    assert status == 1 and "NaN" not in out and "not finite" in err
