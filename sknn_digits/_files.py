"""Writing files safely: every file the package writes goes through :func:`write_atomic`.

The content is written to a fresh, uniquely named temporary file in the
target's folder and only then moved into place, so a crash, a full disk or a
second process writing the same name never leaves a truncated or mixed file,
and no name the caller did not give is ever touched.  A temporary file
carries its writer's process id, so that one left by a killed writer is
removed by the next write into its folder.  The temporary file is
created as ``open(path, "w")`` would create the target, so the file gets the
mode the user's umask gives (``-rw-r--r--`` under umask 022), and every write
error names the target.
"""

import os
import re
import secrets
from pathlib import Path

__all__ = ["check_readable", "check_writable", "remove_stale_temporaries", "write_atomic",
           "write_atomic_all"]


def check_readable(path, what="file", folder=False):
    """``Path(path)`` if it names an existing file (a folder with ``folder=True``).

    Otherwise an error that says what it is.

    Examples
    --------
    >>> import tempfile
    >>> from sknn_digits._files import check_readable
    >>> check_readable(tempfile.gettempdir(), "model file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    IsADirectoryError: '...' is a directory, not a model file.
    """
    path = Path(path)
    if folder and path.is_file():
        raise NotADirectoryError(f"'{path}' is a file, not a {what}.")
    if not folder and path.is_dir():
        raise IsADirectoryError(f"'{path}' is a directory, not a {what}.")
    if not (path.is_dir() if folder else path.is_file()):
        if path.exists():  # a FIFO, a device, a socket: reading could block or never end
            raise ValueError(f"'{path}' is not a regular file (a pipe, a device or a socket), "
                             f"so it is not read as a {what}; give a file.")
        raise FileNotFoundError(f"No such {what}: '{path}'.")
    return path


def check_writable(path, overwrite=False):
    """Refuse, before any work is done, a target that could not be written.

    Parameters
    ----------
    path : str or Path
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    Path

    Raises
    ------
    FileNotFoundError
        If the target's folder does not exist.
    FileExistsError
        If the target exists and ``overwrite`` is False.
    IsADirectoryError
        If the target is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"'{path}' is a directory, not a file name.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"No such directory: '{path.parent}' (for '{path}').")
    if path.exists() and not overwrite:
        raise FileExistsError(f"'{path}' exists already; it was not overwritten.")
    # A real probe: permission bits do not tell (root ignores them; a
    # read-only file system does not show in them).
    os.unlink(_new_temporary(path))
    return path


def check_free_space(path, needed):
    """Refuse, before any work is done, a target whose file system lacks ``needed`` bytes.

    A long fit that fails with ENOSPC as it saves loses its work; the space
    is read before it starts (another program may still take it meanwhile).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> check_free_space(Path(tempfile.mkdtemp()) / "m.sknn", 1024)
    """
    import shutil

    from ._memory import format_bytes

    free = shutil.disk_usage(Path(path).parent).free
    if free < needed:
        raise OSError(f"'{path}': its file system has {format_bytes(free)} free, and the file "
                      f"will take about {format_bytes(needed)}; make room, or write it "
                      "elsewhere.")


#: Temporary files this package names: ``.<target>.<writer's pid>-<12 hex digits>.tmp``.
_TEMPORARY = re.compile(r"^\..+\.(\d+)-[0-9a-f]{12}\.tmp$")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(folder):
    """Remove temporary files a writer left in ``folder`` when it was killed.

    A write interrupted by SIGKILL (or a power cut) cannot clean up after
    itself; the next write into the same folder does: files of this
    package's temporary pattern whose writing process no longer runs.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid() or _alive(int(match.group(1))):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # removed by someone else meanwhile, or not ours to remove
            pass
    return removed


def _new_temporary(path):
    """A new, empty, uniquely named file beside ``path``, with the umask's mode."""
    for _ in range(100):
        temporary = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp"
        try:
            # 0o666 & ~umask: the mode a plain open(path, "w") gives, never changed
            # afterwards, and the umask is not read (reading it means setting it).
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return temporary
        except FileExistsError:
            continue
        except OSError as error:
            raise OSError(error.errno, f"cannot write in '{path.parent}' (for '{path}'): "
                                       f"{error.strerror}") from None
    raise FileExistsError(f"no free temporary name beside '{path}'.")


def write_atomic(path, write, overwrite=False):
    """Write a file all at once: ``write(temporary_path)`` fills it, then it takes ``path``.

    Parameters
    ----------
    path : str or Path
        The target.
    write : callable
        Called with the path of a new, empty temporary file in the same folder;
        it writes the whole content there.
    overwrite : bool, default=False
        Replace an existing file.  Without it the file is put in place only if
        the name is still free at that moment (a hard link, which fails when
        the name exists), so a file that appeared meanwhile is never replaced.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits._files import write_atomic
    >>> target = Path(tempfile.mkdtemp()) / "note.txt"
    >>> _ = write_atomic(target, lambda tmp: Path(tmp).write_text("hello"))
    >>> target.read_text()
    'hello'
    >>> write_atomic(target, lambda tmp: Path(tmp).write_text("again"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileExistsError: '...note.txt' exists already; it was not overwritten.
    """
    return write_atomic_all({path: write}, overwrite)[0]


def write_atomic_all(writes, overwrite=False):
    """Write several files all or none: every one is written in full before any takes its name.

    Parameters
    ----------
    writes : dict of path to callable
        For each target, the function that fills its temporary file, as for
        :func:`write_atomic`.
    overwrite : bool, default=False
        Replace existing files.

    Returns
    -------
    list of Path
        The targets, in order.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sknn_digits._files import write_atomic_all
    >>> folder = Path(tempfile.mkdtemp())
    >>> def fail(temporary):
    ...     raise OSError(28, "No space left on device")
    >>> write_atomic_all({folder / "a.txt": lambda t: Path(t).write_text("a"),
    ...                   folder / "b.txt": fail})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    OSError: [Errno 28] cannot write '...b.txt': No space left on device
    >>> sorted(folder.iterdir())   # neither file: all or none
    []
    """
    paths = [check_writable(path, overwrite) for path in writes]
    for folder in {path.parent for path in paths}:
        remove_stale_temporaries(folder)
    temporaries, placed = [], []
    try:
        for path, write in zip(paths, writes.values()):
            temporary = str(_new_temporary(path))
            temporaries.append(temporary)
            try:
                write(temporary)
                with open(temporary, "rb") as done:
                    os.fsync(done.fileno())
            except OSError as error:  # a full disk, a quota: name the file being written
                reason = error.strerror or str(error)
                raise OSError(error.errno, f"cannot write '{path}': {reason}") from None
        for path, temporary in zip(paths, temporaries):  # every file is complete: place them
            _move_into_place(temporary, path, overwrite)
            placed.append(path)
    except BaseException:
        if not overwrite:  # names this call took are freed again
            for path in placed:
                os.unlink(path)
        raise
    finally:
        for temporary in temporaries:
            if os.path.exists(temporary):
                os.unlink(temporary)
    return paths


def _move_into_place(temporary, path, overwrite):
    """Give the finished ``temporary`` its name ``path``."""
    if overwrite:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # fails if the name was taken meanwhile
    except FileExistsError:
        raise FileExistsError(f"'{path}' exists already; it was not overwritten.") from None
    except OSError:  # a file system without hard links: check, then replace
        check_writable(path)
        os.replace(temporary, path)
