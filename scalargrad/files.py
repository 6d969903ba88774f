"""Writing files so that nothing a user saved is ever half-overwritten."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

StrPath = str | os.PathLike[str]


def atomic_write(path: StrPath, write: Callable[[Path], object]) -> Path:
    """Have ``write(temporary)`` write a file beside ``path``, then rename it over ``path``.

    ``os.replace`` swaps the name in one step, so ``path`` always holds either
    the old complete file or the new complete one, even if the process dies
    mid-write; on any failure the temporary file is removed and the error
    re-raised. The file reaches the disk before the rename, so a power cut
    cannot leave the name pointing at unwritten data.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {os.fspath(target)!r}: folder {os.fspath(target.parent)!r} does not exist"
        )
    # Same folder: a rename across file systems would not be atomic. A random name, not
    # mkstemp, so `write` creates the file itself with the usual umask permissions.
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def atomic_write_bytes(path: StrPath, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see `atomic_write`)."""
    return atomic_write(path, lambda temporary: temporary.write_bytes(data))
