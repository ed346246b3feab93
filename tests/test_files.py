"""Tests of sknn_digits._files: the one way the package writes a file."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sknn_digits._files import check_writable, write_atomic


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "model.bin"
    target.write_text("old")

    def fail(temporary):
        Path(temporary).write_text("half")
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomic(target, fail, overwrite=True)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]


def test_names_the_user_did_not_give_are_never_touched(tmp_path):
    own = tmp_path / "m.sknn.partial"
    own.write_text("mine")
    write_atomic(tmp_path / "m.sknn", lambda t: Path(t).write_text("model"))
    assert own.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.sknn", "m.sknn.partial"]


def test_concurrent_writers_leave_one_whole_file(tmp_path):
    target = tmp_path / "out.txt"

    def writer(k):
        def write(temporary):
            with open(temporary, "w") as handle:
                for _ in range(2000):
                    handle.write(f"{k}" * 50 + "\n")
        try:
            write_atomic(target, write)
            return k
        except FileExistsError:
            return None

    with ThreadPoolExecutor(8) as pool:
        winners = [k for k in pool.map(writer, range(25)) if k is not None]
    assert len(winners) == 1  # without overwrite, exactly one writer may create it
    lines = set(target.read_text().splitlines())
    assert lines == {f"{winners[0]}" * 50}
    assert os.listdir(tmp_path) == ["out.txt"]


def test_targets_are_checked_before_any_work(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such directory"):
        check_writable(tmp_path / "missing" / "m.sknn")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        check_writable(tmp_path, overwrite=True)
    (tmp_path / "there").write_text("x")
    with pytest.raises(FileExistsError):
        check_writable(tmp_path / "there")


def test_a_folder_where_a_file_is_expected_is_named_as_such(tmp_path):
    from sknn_digits.datasets import load_dataset
    from sknn_digits.persistence import load_model
    from sknn_digits.preprocessing import read_image

    for load, what in ((load_dataset, "file"), (load_model, "model file"),
                       (read_image, "image file")):
        with pytest.raises(IsADirectoryError, match=f"is a directory, not a {what}"):
            load(tmp_path)
        with pytest.raises(FileNotFoundError, match=f"No such {what}"):
            load(tmp_path / "missing")


def test_written_files_get_the_mode_the_umask_gives(tmp_path):
    import stat

    old = os.umask(0o022)  # the test sets and restores the umask of its own process
    try:
        target = write_atomic(tmp_path / "shared.bin", lambda tmp: Path(tmp).write_text("x"))
        os.umask(0o077)
        private = write_atomic(tmp_path / "private.bin", lambda tmp: Path(tmp).write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_a_write_error_names_the_target_file(tmp_path):
    import errno

    def full(temporary):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match=r"cannot write '.*model\.bin': No space left") as caught:
        write_atomic(tmp_path / "model.bin", full)
    assert caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_refused_before_any_work(tmp_path, monkeypatch):
    import errno

    real_open = os.open

    def read_only(path, flags, *args):  # a read-only file system, as root sees it
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(OSError, match=r"cannot write in '.*' \(for '.*m\.sknn'\): Read-only"):
        check_writable(tmp_path / "m.sknn")


def test_several_files_are_written_all_or_none(tmp_path):
    import errno

    def full(temporary):
        Path(temporary).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    from sknn_digits._files import write_atomic_all

    with pytest.raises(OSError, match=r"cannot write '.*c\.png'"):
        write_atomic_all({tmp_path / "a.png": lambda t: Path(t).write_text("a"),
                          tmp_path / "b.png": lambda t: Path(t).write_text("b"),
                          tmp_path / "c.png": full})
    assert list(tmp_path.iterdir()) == []  # a rerun without --force finds nothing in its way
    written = write_atomic_all({tmp_path / "a.png": lambda t: Path(t).write_text("a"),
                                tmp_path / "b.png": lambda t: Path(t).write_text("b")})
    assert [p.read_text() for p in written] == ["a", "b"]


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    import subprocess
    import sys

    from sknn_digits._files import remove_stale_temporaries

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".m.sknn.{dead_pid}-0123456789ab.tmp"
    live = tmp_path / f".n.sknn.{os.getppid()}-0123456789ab.tmp"  # a running writer's
    foreign = tmp_path / f".m.sknn.{dead_pid}-not-ours.tmp"
    for path in (stale, live, foreign):
        path.write_text("half")
    write_atomic(tmp_path / "other.txt", lambda tmp: Path(tmp).write_text("x"))
    assert not stale.exists()
    assert live.exists() and foreign.exists()
    assert remove_stale_temporaries(tmp_path) == []


@pytest.mark.slow
def test_sigterm_during_a_save_leaves_no_temporary_file(tmp_path):
    """sknn-digits train --out, terminated while writing: exit 143, nothing left behind."""
    import signal
    import subprocess
    import sys

    script = tmp_path / "slow_save.py"
    script.write_text(
        "import sys, time\n"
        "from pathlib import Path\n"
        "from sknn_digits import cli, persistence\n"
        "from sknn_digits._files import write_atomic\n"
        "def slow(model, path, overwrite=False):\n"
        "    def fill(temporary):\n"
        "        Path(temporary).write_text('half a model')\n"
        "        print('writing', flush=True)\n"
        "        time.sleep(60)\n"
        "    write_atomic(path, fill, overwrite)\n"
        "persistence.save_model = slow\n"
        "sys.exit(cli.main(['train', '--max-iter', '2', '--quiet', '--out', sys.argv[1]]))\n")
    out = tmp_path / "models"
    out.mkdir()
    process = subprocess.Popen([sys.executable, str(script), str(out / "m.sknn")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if line.startswith("writing"):
            break
    assert any(out.iterdir())  # the temporary file is there, being written
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert "terminated" in err
    assert list(out.iterdir()) == []
