"""The README as written: its Python blocks and its command lines run, in order.

The Python blocks run as scripts, each in its own process, as a user who saves
one and runs it would.  They run in a fresh folder that holds links to the project's ``examples/``
and, when ``../shared`` or ``SKNN_DIGITS_EX4_DIR`` provides them, to the
course's files; blocks and lines that need a course file skip without it.
"""

import glob
import os
import re
import shlex
from pathlib import Path

import pytest

from sknn_digits.cli import main

# The README as a user runs it: subprocesses, a cluster, a server, the whole workflow.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(python|bash)\n(.*?)```", README, flags=re.S)


def _course_files():
    """The course's files that are to be had here, by name."""
    found = {}
    folders = [os.environ.get("SKNN_DIGITS_EX4_DIR"), ROOT.parent / "shared" / "data"]
    for folder in filter(None, folders):
        for name in ("ex4data1.mat", "ex4weights.mat"):
            if (Path(folder) / name).is_file():
                found.setdefault(name, Path(folder) / name)
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory, write_kaggle_files):
    place = tmp_path_factory.mktemp("readme")
    (place / "examples").symlink_to(ROOT / "examples")
    for name, path in _course_files().items():
        (place / name).symlink_to(path)
    write_kaggle_files(place)  # Kaggle's train.csv and test.csv, made from the bundled digits
    old = os.getcwd()
    os.chdir(place)
    yield place
    os.chdir(old)


def _needs(text):
    return [name for name in ("ex4data1.mat", "ex4weights.mat") if name in text]


def test_readme_has_python_blocks_and_command_lines():
    kinds = [kind for kind, _ in BLOCKS]
    assert kinds.count("python") >= 3 and kinds.count("bash") >= 3


def test_python_blocks_run_as_scripts_without_warnings(folder):
    """Each Python block is a script of its own (``python block.py``), as a user saves it:
    self-contained, guarded where it starts processes, and silent but for what it prints."""
    import subprocess
    import sys

    ran, quick_start = 0, False
    for number, (kind, code) in enumerate(BLOCKS):
        if kind != "python":
            continue
        missing = [n for n in _needs(code) if not (folder / n).exists()]
        if missing or ("sklearn.callback" in code and not _has_callbacks()) or (
                "import torch" in code and not _has_torch()):
            continue
        script = folder / f"block_{number}.py"
        script.write_text(code)
        result = subprocess.run([sys.executable, "-W", "always", str(script)], cwd=folder,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"README block {number}:\n{result.stderr[-3000:]}"
        assert "Warning" not in result.stderr, f"README block {number}:\n{result.stderr}"
        assert result.stdout.strip(), f"README block {number} printed nothing"
        if "GridSearchCV" in code:
            best = float(result.stdout.split()[-1])
            assert best > 0.95
            quick_start = True
        ran += 1
    # The quick start and the cluster block run everywhere; the others where
    # their files, torch and scikit-learn's callbacks are to be had.
    assert quick_start and ran >= 2


def _has_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _has_callbacks():
    try:
        import sklearn.callback  # noqa: F401
    except ImportError:
        return False
    return True


def _command_lines():
    for kind, code in BLOCKS:
        if kind == "bash":
            for line in code.splitlines():
                if line.startswith("sknn-digits"):
                    yield line.split("  #")[0].strip()


@pytest.mark.parametrize("line", list(_command_lines()))
def test_command_lines_work_as_written(folder, line, capsys, interruptible_popen):
    missing = [n for n in _needs(line) if not (folder / n).exists()]
    if missing:
        pytest.skip(f"needs the course's {', '.join(missing)}")
    if shlex.split(line)[1:2] == ["draw"]:
        return _serves_until_interrupted(folder, line, interruptible_popen)
    argv = []
    for word in shlex.split(line)[1:]:
        argv += sorted(glob.glob(word)) if "*" in word else [word]
    assert main(argv) == 0, line


def _serves_until_interrupted(folder, line, interruptible_popen):
    """``sknn-digits draw`` as written: it serves the page until Ctrl-C, then exits 0."""
    import json
    import signal
    import subprocess
    import sys
    import urllib.request

    # BROWSER names the program webbrowser opens the page with: here one that does nothing.
    env = {**os.environ, "BROWSER": "true", "PYTHONUNBUFFERED": "1"}
    process = interruptible_popen(
        [sys.executable, "-m", "sknn_digits", *shlex.split(line)[1:]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder, env=env)
    try:
        url = process.stdout.readline().split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/model", timeout=30) as response:
            assert json.load(response)["classes"] == list(range(10))
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, line
