"""The atomic writer: permissions, links, failures and leftovers of killed saves.

Everything scalargrad writes (checkpoints, diagrams, pages, demo outputs) goes
through `scalargrad.files.atomic_write`, so these tests hold it to what a user
expects of a save: a private file stays private, a symlink stays a link, the
error that stopped a save is the one reported, and a ``kill -9`` leaves no
litter for long.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import scalargrad.files
from scalargrad.files import atomic_write, atomic_write_bytes
from scalargrad.nn import MLP

ROOT = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def umask_022() -> Iterator[None]:
    """A known umask, so that the mode of a new file is predictable (0o666 & ~0o022 = 0o644)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# ---------------------------------------------------------------------------
# Permissions: a replaced file keeps its mode; a new file gets the umask's.
# ---------------------------------------------------------------------------


@pytest.mark.usefixtures("umask_022")
@pytest.mark.parametrize("private", [0o600, 0o640, 0o400, 0o664])
def test_saving_over_a_file_keeps_its_permissions(tmp_path: Path, private: int) -> None:
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=1).save(path)
    os.chmod(path, private)
    MLP(2, [3, 1], seed=2).save(path)
    assert mode(path) == private
    loaded = MLP(2, [3, 1], seed=3)
    loaded.load(path)
    assert loaded.state_dict() == MLP(2, [3, 1], seed=2).state_dict()
    assert names(tmp_path) == ["model.json"]


def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "new.bin", b"x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new.bin") == 0o666 & ~0o027


@pytest.mark.usefixtures("umask_022")
def test_the_new_content_is_owner_only_until_it_is_in_place(tmp_path: Path) -> None:
    # A private file's new content must not be readable by others, even in its temporary file.
    path = tmp_path / "secret.txt"
    path.write_text("old")
    os.chmod(path, 0o600)
    seen: list[int] = []

    def write(temporary: Path) -> None:
        temporary.write_text("new")
        seen.append(mode(temporary))

    atomic_write(path, write)
    assert seen == [0o600]
    assert path.read_text() == "new" and mode(path) == 0o600


# ---------------------------------------------------------------------------
# Links.
# ---------------------------------------------------------------------------


def test_a_symlink_stays_a_link_and_its_target_gets_the_new_content(tmp_path: Path) -> None:
    real_folder = tmp_path / "real"
    real_folder.mkdir()
    real = real_folder / "model.json"
    MLP(2, [3, 1], seed=1).save(real)
    os.chmod(real, 0o600)
    link = tmp_path / "latest.json"
    link.symlink_to(Path("real") / "model.json")  # relative, as `ln -s` usually makes them

    MLP(2, [3, 1], seed=2).save(link)

    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "model.json")
    loaded = MLP(2, [3, 1], seed=3)
    loaded.load(real)
    assert loaded.state_dict() == MLP(2, [3, 1], seed=2).state_dict()
    assert mode(real) == 0o600
    # The temporary file was made beside the target, and nothing is left of it.
    assert names(real_folder) == ["model.json"] and names(tmp_path) == ["latest.json", "real"]


def test_a_dangling_symlink_gets_its_target_created(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to("target.txt")
    atomic_write_bytes(link, b"hello")
    assert link.is_symlink() and (tmp_path / "target.txt").read_bytes() == b"hello"


def test_a_symlink_loop_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="symbolic links") as error:
        atomic_write_bytes(tmp_path / "a", b"x")
    assert error.value.errno == errno.ELOOP
    assert names(tmp_path) == ["a", "b"]


def test_a_hard_link_is_broken_by_the_rename_as_documented(tmp_path: Path) -> None:
    # rename() points the name at a new file; other names of the old file keep the old content.
    path, other = tmp_path / "model.json", tmp_path / "backup.json"
    path.write_text("old")
    os.link(path, other)
    atomic_write_bytes(path, b"new")
    assert path.read_text() == "new" and other.read_text() == "old"
    assert os.stat(path).st_ino != os.stat(other).st_ino
    assert "hard links are broken" in (scalargrad.files.atomic_write.__doc__ or "").lower().replace("**", "")


# ---------------------------------------------------------------------------
# Failures: the caller sees the error that stopped the save.
# ---------------------------------------------------------------------------


def test_a_failing_cleanup_never_hides_the_original_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, where a read-only folder does not stop writes; so the write fails
    # as it would there, and removing the temporary file fails too.
    path = tmp_path / "model.json"
    path.write_text("old")
    original = OSError(errno.EROFS, "Read-only file system")

    def write(temporary: Path) -> None:
        temporary.write_text("half")
        raise original

    def unlink(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "unlink", unlink)
    with pytest.raises(OSError) as raised:
        atomic_write(path, write)
    monkeypatch.undo()
    assert raised.value is original
    assert path.read_text() == "old"


def test_a_failing_cleanup_keeps_keyboard_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def write(temporary: Path) -> None:
        temporary.write_text("half")
        raise KeyboardInterrupt

    def unlink(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "unlink", unlink)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "x.json", write)


# ---------------------------------------------------------------------------
# Temporaries left by a killed save are removed by a later save of the same file.
# ---------------------------------------------------------------------------

KILLED_SAVE = """
import os, signal, sys
from scalargrad.files import atomic_write

def write(temporary):
    with open(temporary, "w") as f:
        f.write('{"half": ')
        f.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 in the middle of the save

atomic_write(sys.argv[1], write)
"""


def temporaries(folder: Path) -> list[str]:
    return [name for name in names(folder) if name.endswith(".tmp")]


def age(path: Path, seconds: float) -> None:
    """Make ``path`` look last modified ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_killed_save_leaves_a_temporary_that_a_later_save_removes(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("old")
    done = subprocess.run(
        [sys.executable, "-c", KILLED_SAVE, str(path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == -9, done.stderr
    [left] = temporaries(tmp_path)
    assert left.startswith(".model.json.") and path.read_text() == "old"

    # Just after the kill the file is kept: it could be a live writer's on another machine.
    atomic_write_bytes(path, b"second")
    assert temporaries(tmp_path) == [left]
    # Once it is older than the threshold and its process is gone, the next save removes it.
    age(tmp_path / left, scalargrad.files.STALE_AFTER + 1)
    atomic_write_bytes(path, b"third")
    assert names(tmp_path) == ["model.json"] and path.read_bytes() == b"third"


def test_only_stale_temporaries_of_that_file_from_dead_processes_are_removed(tmp_path: Path) -> None:
    old = scalargrad.files.STALE_AFTER + 60
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process now
    try:
        kept = {
            f".model.json.{os.getpid()}.0123abcd.tmp": old,  # this process: a save in another thread
            f".model.json.{sleeper.pid}.0123abcd.tmp": old,  # a live process
            f".model.json.{dead.pid}.00000000.tmp": 1,  # a dead process, but too recent to be sure
            f".other.json.{dead.pid}.0123abcd.tmp": old,  # another file's
            f".model.json.{dead.pid}.notours.tmp": old,  # not a name atomic_write makes
        }
        removed = {f".model.json.{dead.pid}.ffffffff.tmp": old}
        for name, seconds in {**kept, **removed}.items():
            (tmp_path / name).write_text("half")
            age(tmp_path / name, seconds)
        atomic_write_bytes(tmp_path / "model.json", b"new")
        assert temporaries(tmp_path) == sorted(kept)
    finally:
        sleeper.kill()
        sleeper.wait()
    # Once the sleeper is gone, its temporary is stale too.
    atomic_write_bytes(tmp_path / "model.json", b"newer")
    assert sorted(set(kept) - set(temporaries(tmp_path))) == [f".model.json.{sleeper.pid}.0123abcd.tmp"]


def test_a_failing_cleanup_of_stale_temporaries_does_not_stop_the_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".model.json.{dead.pid}.0123abcd.tmp"
    stale.write_text("half")
    age(stale, scalargrad.files.STALE_AFTER + 1)
    real_unlink = os.unlink

    def unlink(path: object, *args: object, **kwargs: object) -> None:
        if str(path).endswith(stale.name):
            raise PermissionError(errno.EACCES, "Permission denied")
        real_unlink(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", unlink)
    atomic_write_bytes(tmp_path / "model.json", b"new")
    assert (tmp_path / "model.json").read_bytes() == b"new" and stale.exists()
