"""Writing files so that nothing a user saved is ever half-overwritten.

Everything scalargrad writes goes through `atomic_write`: checkpoints,
diagrams, step-through pages and the demos' outputs. The trick is old and
simple: write the new content to a temporary file in the same folder, then
rename it over the old name. A rename within one file system is a single step,
so anyone opening the file sees either the old content or the new, never half
of each. The rest of this module is about the details that trick gets wrong
when done naively: permissions, symbolic links, errors during cleanup, and
temporary files left behind by a process that was killed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

StrPath = str | os.PathLike[str]

#: Seconds after its last change before a temporary file of a dead process is removed (see `atomic_write`).
STALE_AFTER = 600.0

# The middle of a temporary file's name, between ".{name}." and ".tmp": the writer's process id and 8 random hex digits.
_TEMPORARY_MIDDLE = re.compile(r"(?P<pid>[1-9][0-9]{0,9})\.[0-9a-f]{8}")


def atomic_write(path: StrPath, write: Callable[[Path], object]) -> Path:
    """Have ``write(temporary)`` write a file beside ``path``, then rename it over ``path``.

    ``os.replace`` swaps the name in one step, so ``path`` always holds either
    the old complete file or the new complete one, even if the process dies
    mid-write. The file reaches the disk before the rename, so a power cut
    cannot leave the name pointing at unwritten data. Returns ``path``.

    ``write`` must write the whole file at ``temporary``, creating it or
    truncating it (mode ``"w"``, not ``"x"``): when ``path`` already exists,
    the temporary file is created empty beforehand, readable by its owner only,
    so that new content for a private file is never readable by others.

    What a replaced file keeps, and what it cannot:

    * **Permissions.** The new file gets the old one's mode (``chmod 600``
      stays ``600``); a new file gets the usual mode the umask leaves. The
      owner and group are those of the process writing (only root could give
      a file away), and other metadata (extended attributes, ACLs) is not copied.
    * **Symbolic links.** If ``path`` is a symlink, the file it points to is
      replaced (its temporary file is made beside it, in its folder), and the
      link stays a link. A link to a missing file gets that file created; a
      loop of links is an ``OSError`` (``ELOOP``).
    * **Hard links** are broken: a rename points ``path`` at a new file, so
      another name of the old file (``ln model.json backup.json``) keeps the
      old content. Writing in place would keep the link but lose atomicity,
      and a checkpoint half-written when the process dies is worse.

    **On failure** (an exception in ``write``, a full disk, Ctrl-C) the
    temporary file is removed and that exception is what the caller sees: if
    the removal fails too, that second error is swallowed rather than hiding
    the first.

    **Killed saves.** A process killed outright (``kill -9``, a power cut)
    cannot clean up: it leaves ``.{name}.{pid}.{random}.tmp`` beside the
    target, where ``pid`` is the writer's process id. Each later save of the
    same file removes such leftovers once both are true: no process with that
    id runs on this machine (checked with signal 0), and the file has not
    changed for `STALE_AFTER` seconds. The second condition protects a writer
    on another machine sharing the folder, whose process id means nothing
    here. On systems other than POSIX the process check is not available, and
    leftovers are kept.
    """
    given = Path(path)
    target = _real_target(given)
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {os.fspath(given)!r}: folder {os.fspath(target.parent)!r} does not exist"
        )
    _remove_stale_temporaries(target)
    old_mode = _regular_file_mode(target)
    # Same folder: a rename across file systems would not be atomic. The pid lets a later
    # save tell a killed writer's leftover from a live writer's file.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        if old_mode is not None:
            # Created owner-only before any content exists; the old mode is applied once it is written.
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        write(temporary)
        if old_mode is not None:
            _chmod(temporary, old_mode)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        _discard(temporary)
        raise
    return given


def atomic_write_bytes(path: StrPath, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see `atomic_write`)."""
    return atomic_write(path, lambda temporary: temporary.write_bytes(data))


def make_folder(path: StrPath) -> Path:
    """Create the folder ``path`` and any missing parents (nothing if it exists); return it.

    The command line's ``-o`` and the demos' ``--out`` both create missing
    folders through this, so they behave alike. Raises ``OSError`` (for
    instance ``FileExistsError`` when a file is in the way) with the reason.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---------------------------------------------------------------------------
# The details.
# ---------------------------------------------------------------------------


def _real_target(path: Path) -> Path:
    """The file a write to ``path`` should replace: ``path`` itself, or what the symlink ``path`` points to."""
    if not path.is_symlink():
        return path
    real = Path(os.path.realpath(path))
    # realpath stops at a loop and returns a name that is still a link.
    if real.is_symlink():
        raise OSError(errno.ELOOP, "too many levels of symbolic links", os.fspath(path))
    return real


def _regular_file_mode(path: Path) -> int | None:
    """The permission bits of the regular file at ``path``, or None if there is none to keep."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None


def _chmod(path: Path, mode: int) -> None:
    # We own the file we just made, so PermissionError means a file system without Unix
    # modes (FAT, some network mounts): there is no mode to keep.
    with contextlib.suppress(PermissionError):
        os.chmod(path, mode)


def _discard(temporary: Path) -> None:
    """Remove a failed save's temporary file, never raising: the error that stopped the save matters more."""
    # If this fails the file is left behind; a later save of the same file removes it (see atomic_write).
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)


def _remove_stale_temporaries(target: Path) -> None:
    """Remove what killed saves of ``target`` left behind; a failure here never stops the save."""
    prefix, suffix = f".{target.name}.", ".tmp"
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(suffix)):
            continue
        # fullmatch: ".a.b.123.0123abcd.tmp" belongs to "a.b", not to "a".
        match = _TEMPORARY_MIDDLE.fullmatch(name[len(prefix) : len(name) - len(suffix)])
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < STALE_AFTER:
                continue
            if not _process_alive(int(match["pid"])):
                os.unlink(entry.path)
        except OSError:
            continue


def _process_alive(pid: int) -> bool:
    """Whether a process ``pid`` may be running here; True whenever that cannot be ruled out."""
    if pid == os.getpid():
        return True  # another thread of this process may be saving the same file
    if os.name != "posix":
        return True  # Windows' os.kill would terminate the process, not test for it
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # PermissionError: it exists, owned by someone else
    return True
