"""The files ``Upload`` writes: a hidden partial file first, its final name only when complete.

A file being received is written to ``.{name}.partial-{random}`` in the upload folder
(created exclusively, so nothing is ever overwritten); a dot-file, which static mounts do
not serve. Once the part is complete the file gets its final name — ``name``, else
``name-1.ext``, ``name-2.ext`` … — without ever replacing an existing file: a hard link
made exclusively, then the partial name removed. On a failure every partial (and every
file already completed by the same request) is removed. These functions block: ``Upload``
runs them in a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import TYPE_CHECKING

from ._errors import HTTPError

if TYPE_CHECKING:
    from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_MAX_COPIES = 10_000  # name-1 … name-9999, then 409


def open_partial(folder: Path, name: str) -> tuple[Path, int]:
    """Create the hidden partial file for ``name`` in ``folder``; its path and an fd."""
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        path = folder / f".{name}.partial-{secrets.token_hex(4)}"
        try:
            return path, os.open(path, _FLAGS, 0o644)
        except FileExistsError:
            continue
    raise HTTPError(409, f"cannot create a partial file for {name!r}")  # pragma: no cover


def publish(partial: Path, name: str) -> Path:
    """Give the complete ``partial`` file its final name (``name``, ``name-1.ext`` …).

    An existing file is never replaced. The partial name is gone afterwards.

    Raises:
        HTTPError: 409 when ``name`` and its numbered variants are all taken.
    """
    folder = partial.parent
    stem, ext = os.path.splitext(name)
    for counter in range(_MAX_COPIES):
        final = folder / (name if counter == 0 else f"{stem}-{counter}{ext}")
        try:
            _claim(partial, final)
        except FileExistsError:
            continue
        return final
    raise HTTPError(409, f"too many files named like {name!r}")


def _claim(partial: Path, final: Path) -> None:
    """Move ``partial`` to ``final`` unless ``final`` exists (FileExistsError)."""
    try:
        os.link(partial, final)  # atomic, and fails when final exists
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: reserve the name, then replace
        os.close(os.open(final, _FLAGS, 0o644))
        os.replace(partial, final)
        return
    os.unlink(partial)


def write_all(fd: int, data: bytes | bytearray) -> None:
    """Write all of ``data`` to ``fd``."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def cleanup(entries: list[tuple[int | None, Path]]) -> None:
    """Close each open fd and remove each path (partial or complete)."""
    for fd, path in entries:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
