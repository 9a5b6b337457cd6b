"""Writing `-o FILE` so that no data is ever lost: the one helper every command writes through.

- An output that is one of the run's inputs (the same file, also through a symlink or a hard
  link: the same device and inode) is refused before anything is opened for writing; otherwise
  `--points same.csv -o same.csv` truncates the points while still reading them.
- A regular file is written to a temporary file beside it and renamed into place (os.replace,
  atomic on POSIX) only when the whole document is written: a bad row, a full disk or Ctrl-C
  leaves the old file as it was and no half-written or header-only file behind.
- A device or a pipe (/dev/stdout, /dev/full, a FIFO) cannot be renamed onto: it is written
  directly, and a failed write is an error all the same.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from ..errors import GradcliError

Input = tuple[str, "str | Path | None"]  # (the option that names it, its path)


def cannot_write(path: Path | str, error: OSError) -> GradcliError:
    return GradcliError(f"cannot write {path}: {error.strerror or error}")


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file a path leads to, following links; None if there is none."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def refuse_inputs(output: Path, inputs: Iterable[Input]) -> None:
    """An error if `output` is (a link to) one of the inputs, which writing it would destroy."""
    target = _identity(output)
    if target is None:
        return
    for option, path in inputs:
        if path is None or str(path) == "-":
            continue
        if _identity(path) == target:
            raise GradcliError(
                f"the output {output} is also an input (the {option} file {path}): "
                "writing it would destroy what is being read",
                hint=f"write to another file, e.g. -o {output.with_stem(output.stem + '-out').name}",
            )


def _regular_target(output: Path) -> Path | None:
    """The regular file to replace (a symlink's target, so the link stays), or None for a device,
    a pipe or a socket, which are written in place."""
    try:
        mode = os.stat(output).st_mode  # through links: /dev/stdout leads to a pipe
    except FileNotFoundError:
        mode = stat.S_IFREG  # a new file
    except OSError as error:
        raise cannot_write(output, error) from None
    if stat.S_ISDIR(mode):
        raise GradcliError(f"cannot write {output}: it is a folder", hint="give a file name, e.g. -o out.txt")
    return Path(os.path.realpath(output)) if stat.S_ISREG(mode) else None


def _new_file_mode(existing: Path) -> int:
    """The mode the file would get from a plain open(): the old file's, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(existing).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(
    output: Path, inputs: Iterable[Input] = (), *, binary: bool = False, newline: str | None = None
) -> Iterator[IO]:
    """Open `output` for writing: all of it appears on success, nothing changes on any failure.

    OSErrors while writing (a full disk) become a GradcliError naming the file.
    """
    refuse_inputs(output, inputs)
    target = _regular_target(output)
    encoding = None if binary else "utf-8"
    mode = "wb" if binary else "w"
    if target is None:  # a device or a pipe: no rename possible, and nothing there to lose
        try:
            with open(output, mode, encoding=encoding, newline=newline) as stream:
                yield stream
        except OSError as error:
            raise cannot_write(output, error) from None
        return
    try:
        import tempfile  # only with -o: it costs every command's start-up otherwise

        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise cannot_write(output, error) from None
    try:
        with os.fdopen(handle, mode, encoding=encoding, newline=newline) as stream:
            yield stream
        os.chmod(temporary, _new_file_mode(target))
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise cannot_write(output, error) from None
    except BaseException:  # a bad row, Ctrl-C: the old file stays as it was
        _remove(temporary)
        raise


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def write_output(document: str | bytes, output: Path, inputs: Iterable[Input] = ()) -> None:
    """A whole document to `output`, atomically."""
    with atomic_output(output, inputs, binary=isinstance(document, bytes)) as stream:
        stream.write(document)


def silence_stdout() -> None:
    """Point stdout at /dev/null (after a closed pipe or a full disk), so that the interpreter's
    last flush of what is still buffered does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):  # not a real file (tests)
        pass
