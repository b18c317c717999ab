"""Scanning a component folder and diffing it against the known entries (blocking; run in a thread).

Theory of operation: the entry handler never trusts the *kind* of a file-system notification.
Whatever watchfiles reports (added, modified, deleted, in any order, possibly coalesced) is
only a hint of *which paths* to look at again. ``reconcile`` re-reads those paths (and the
folders below them when they are new or replaced) and compares what is there now with what
the handler knew, which yields the events. That makes the platform cases fall out:

- an editor's atomic save (write a temp file, rename it over the original) leaves the path
  present before and after, with a new inode/mtime: one ``change``, not ``unlink`` + ``add``;
- a folder deleted with its files: every known entry below it is gone: ``unlink`` for the
  files, then ``unlink_dir`` for the folders, deepest first;
- a folder moved in: it is new, so it is walked and every match below it is added.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ._files import join_url

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ._glob import Matcher, Pattern

logger = logging.getLogger("harpia.components")

EventType = Literal["add", "change", "unlink", "add_dir", "unlink_dir"]
EntryType = Literal["file", "directory"]


@dataclass(frozen=True, slots=True)
class EntryEvent:
    """What happened to one file or folder matched by an entry handler.

    Attributes:
        event_type: ``"add"``, ``"change"``, ``"unlink"``, ``"add_dir"`` or ``"unlink_dir"``.
        entry_type: ``"file"`` or ``"directory"``.
        url_path: the URL base + the path relative to the pattern's static prefix.
        absolute_path: the entry's path on disk.
        contents: the file's bytes for ``add``/``change``; None otherwise.
        stats: ``os.stat`` of the entry for ``add``/``change``/``add_dir``; None otherwise.
    """

    event_type: EventType
    entry_type: EntryType
    url_path: str
    absolute_path: str
    contents: bytes | None = None
    stats: os.stat_result | None = None


@dataclass(frozen=True, slots=True)
class Found:
    is_dir: bool
    stats: os.stat_result
    pattern: Pattern


def inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def to_rel(root: str, path: str) -> str | None:
    """``path`` relative to ``root``, ``/``-separated; None outside it; "" for the root."""
    if path == root:
        return ""
    if not path.startswith(root + os.sep):
        return None
    rel = path[len(root) + 1 :]
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def to_abs(root: str, rel: str) -> str:
    return os.path.join(root, *rel.split("/")) if rel else root


def _refuse(rel: str, real: str) -> None:
    logger.warning("ignoring %r: it leads outside the component folder (to %r)", rel, real)


class Scanner:
    """Finds the matches of one ``Matcher`` below one root folder."""

    def __init__(self, root: str, matcher: Matcher) -> None:
        self.root = root
        self.matcher = matcher

    def walk(self, rel: str, found: dict[str, Found]) -> None:
        """Add every match strictly below the folder ``rel`` to ``found``.

        Symbolic links are followed while they stay inside the root; a link back to a folder
        of its own path (a loop) is not descended.
        """
        lineage = self._lineage(rel)
        if len(set(lineage)) != len(lineage):
            return  # a link back to one of its own folders
        stack = [(rel, lineage)]
        while stack:
            folder, lineage = stack.pop()
            try:
                listing = os.scandir(to_abs(self.root, folder))
            except OSError:
                continue
            with listing:
                for item in listing:
                    child = f"{folder}/{item.name}" if folder else item.name
                    try:
                        is_dir = item.is_dir()
                        if item.is_symlink():
                            real = os.path.realpath(item.path)
                            if not inside(self.root, real):
                                _refuse(child, real)
                                continue
                        stats = item.stat()
                    except OSError:
                        continue
                    pattern = self.matcher.match(child, is_dir)
                    if pattern is not None:
                        found[child] = Found(is_dir, stats, pattern)
                    if is_dir and self.matcher.descend(child):
                        key = (stats.st_dev, stats.st_ino)
                        if key not in lineage:
                            stack.append((child, (*lineage, key)))

    def _lineage(self, rel: str) -> tuple[tuple[int, int], ...]:
        """The identities of the root and of each folder down to ``rel``."""
        out = []
        parts = rel.split("/") if rel else []
        for end in range(len(parts) + 1):
            try:
                stats = os.stat(to_abs(self.root, "/".join(parts[:end])))
            except OSError:
                continue
            out.append((stats.st_dev, stats.st_ino))
        return tuple(out)

    def look(self, rel: str, found: dict[str, Found], *, deep: bool) -> os.stat_result | None:
        """Examine ``rel`` itself (and what is below it when ``deep``); its stats or None."""
        parts = rel.split("/")
        if not all(self.matcher.descend("/".join(parts[:n])) for n in range(1, len(parts))):
            return None  # inside an ignored or unrelated folder
        path = to_abs(self.root, rel)
        try:
            stats = os.stat(path)
            real = os.path.realpath(path)
        except OSError:
            return None
        if not inside(self.root, real):
            _refuse(rel, real)
            return None
        lineage = self._lineage(rel)
        above = lineage[:-1]
        if len(set(above)) != len(above):
            return None  # reached through a link loop (some watchers follow links)
        is_dir = os.path.isdir(path)
        pattern = self.matcher.match(rel, is_dir)
        if pattern is not None:
            found[rel] = Found(is_dir, stats, pattern)
        if deep and is_dir and self.matcher.descend(rel):
            self.walk(rel, found)
        return stats


def _signature(stats: os.stat_result | None) -> tuple[int, int, int, int] | None:
    if stats is None:
        return None
    return (stats.st_mtime_ns, stats.st_size, stats.st_ino, stats.st_dev)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None  # gone (or replaced by a folder) since it was listed
    except OSError as exc:
        logger.warning("cannot read %r: %s", path, exc)
        return None


def _depth_key(rel: str) -> tuple[int, list[str]]:
    parts = rel.split("/")
    return (-len(parts), parts)


def reconcile(
    root: str,
    matcher: Matcher,
    base: str,
    known: Mapping[str, EntryEvent],
    changed: Iterable[str] | None,
) -> list[EntryEvent]:
    """The events turning ``known`` (entries by relative path) into what is on disk now.

    Args:
        root: the component folder (a real path).
        matcher: the compiled ``files`` option.
        base: the URL base (see ``url_base``).
        known: the current entries, keyed by relative path.
        changed: relative paths to look at again, or None to rescan everything.

    Returns:
        Removals first (files before the folders holding them, deepest first), then
        additions and changes in path order (a folder before what it holds).
    """
    scanner = Scanner(root, matcher)
    found: dict[str, Found] = {}
    if changed is None:
        scanner.walk("", found)
        in_scope = list(known)
    else:
        paths = {rel for rel in changed if rel}
        deep: set[str] = set()  # paths whose whole subtree was looked at again
        for rel in sorted(paths):
            stats = scanner.look(rel, found, deep=False)
            entry = known.get(rel)
            if stats is None or not stat.S_ISDIR(stats.st_mode):
                deep.add(rel)  # gone, or a file: nothing is below it any more
                continue
            before = entry.stats if entry is not None else None
            if before is None or (before.st_dev, before.st_ino) != (stats.st_dev, stats.st_ino):
                deep.add(rel)  # a new or replaced folder: what it holds is new too
                scanner.walk(rel, found)
            # else: the same folder (touched, or a file in it changed): only itself
        in_scope = [rel for rel in known if rel in paths or _covered(rel, deep)]
    removals: list[str] = []
    updates: list[tuple[str, str]] = []  # (rel, event type)
    for rel in in_scope:
        entry = known[rel]
        now = found.get(rel)
        if (
            now is None
            or now.is_dir != (entry.entry_type == "directory")
            or join_url(base, _relative_to_prefix(rel, now.pattern)) != entry.url_path
        ):
            removals.append(rel)
            if now is not None:
                updates.append((rel, "add_dir" if now.is_dir else "add"))
        elif not now.is_dir and _signature(now.stats) != _signature(entry.stats):
            updates.append((rel, "change"))
    for rel, now in found.items():
        if rel not in known:
            updates.append((rel, "add_dir" if now.is_dir else "add"))
    events: list[EntryEvent] = []
    for rel in sorted(removals, key=_depth_key):
        entry = known[rel]
        is_dir = entry.entry_type == "directory"
        events.append(
            EntryEvent(
                "unlink_dir" if is_dir else "unlink",
                entry.entry_type,
                entry.url_path,
                entry.absolute_path,
            )
        )
    for rel, kind in sorted(updates, key=lambda item: item[0].split("/")):
        now = found[rel]
        path = to_abs(root, rel)
        url = join_url(base, _relative_to_prefix(rel, now.pattern))
        if now.is_dir:
            events.append(EntryEvent("add_dir", "directory", url, path, None, now.stats))
            continue
        contents = _read(path)
        if contents is not None:  # else it vanished since: its deletion is on its way
            events.append(EntryEvent(kind, "file", url, path, contents, now.stats))  # type: ignore[arg-type]
    return events


def _covered(rel: str, paths: set[str]) -> bool:
    """``rel`` or one of its folders is in ``paths``."""
    parts = rel.split("/")
    return any("/".join(parts[:n]) in paths for n in range(1, len(parts) + 1))


def _relative_to_prefix(rel: str, pattern: Pattern) -> str:
    return "/".join(rel.split("/")[len(pattern.prefix) :])
