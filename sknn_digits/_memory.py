"""How much memory a job may take, checked before the job allocates it.

A fit, a data file or an archive member that cannot fit in memory is refused
at once with an error naming what is too large, instead of running for a
while and failing with ``MemoryError`` (or being killed) half-way.

The memory available is the smallest of what the kernel reports as available
(``MemAvailable`` on Linux, free physical pages elsewhere), what the
process's control group still allows (containers, CI runners) and what its
address-space limit (``ulimit -v``) leaves beside what it has mapped.  Where none of
these can be read, nothing is refused.
"""

import os
from pathlib import Path

__all__ = ["available_memory", "check_memory", "format_bytes"]


def _meminfo_available():
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _physical_available():
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _cgroup_headroom():
    """What the process's cgroup (v2 or v1) still allows, or None without a limit."""
    candidates = [(Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")),
                  (Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
                   Path("/sys/fs/cgroup/memory/memory.usage_in_bytes"))]
    for limit_file, usage_file in candidates:
        try:
            limit = limit_file.read_text().strip()
            if limit == "max" or int(limit) >= 2**60:  # v1 writes a huge number for none
                return None
            return max(0, int(limit) - int(usage_file.read_text().strip()))
        except (OSError, ValueError):
            continue
    return None


def _address_space_headroom():
    """What the process's address-space limit (``ulimit -v``, RLIMIT_AS) still allows, or
    None without a limit: its mappings so far count against it, used or not."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return max(0, limit - mapped)
    except (ImportError, OSError, ValueError, IndexError):
        return None


def available_memory():
    """Bytes this process can still allocate without swapping, or None when unknown.

    Examples
    --------
    >>> from sknn_digits._memory import available_memory
    >>> memory = available_memory()
    >>> memory is None or memory > 0
    True
    """
    kernel = _meminfo_available()
    if kernel is None:
        kernel = _physical_available()
    known = [value for value in (kernel, _cgroup_headroom(), _address_space_headroom())
             if value is not None]
    return min(known) if known else None


def format_bytes(n):
    """``1.5 GiB``-style text for ``n`` bytes.

    Examples
    --------
    >>> from sknn_digits._memory import format_bytes
    >>> format_bytes(3 * 2**30 // 2), format_bytes(512)
    ('1.5 GiB', '512 bytes')
    """
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def check_memory(needed, what, remedy="", available=None):
    """Raise ``ValueError`` when ``needed`` bytes exceed the memory available.

    Parameters
    ----------
    needed : int
        The bytes the job would allocate.
    what : str
        What needs them, named in the error (a parameter, a file).
    remedy : str, optional
        A sentence saying what the user can do.
    available : int, optional
        The bytes available; measured when None.

    Examples
    --------
    >>> from sknn_digits._memory import check_memory
    >>> check_memory(2**40, "this fit", available=2**30)
    Traceback (most recent call last):
    ...
    ValueError: this fit needs about 1.0 TiB of memory; 1.0 GiB is available.
    """
    if available is None:
        available = available_memory()
    if available is not None and needed > available:
        message = (f"{what} needs about {format_bytes(needed)} of memory; "
                   f"{format_bytes(available)} is available.")
        raise ValueError(message + (f" {remedy}" if remedy else ""))
