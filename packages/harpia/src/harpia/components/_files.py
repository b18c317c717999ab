"""The ``files`` and ``url_path`` options: parsing, validation and the URL base rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from ._glob import GlobError, Matcher, Only, expand_braces, normalise

_ONLY: tuple[str, ...] = get_args(Only)
_FILES_KEYS = frozenset({"source", "ignore", "only"})
_ENTRY_KEYS = frozenset({"files", "url_path"})


@dataclass(frozen=True, slots=True)
class FilesOptions:
    """A validated ``files`` option: glob patterns relative to the component folder.

    Attributes:
        source: the patterns to match (at least one).
        ignore: patterns excluding matches (a matching folder excludes all it holds).
        only: ``"all"``, ``"files"`` or ``"directories"``.
    """

    source: tuple[str, ...]
    ignore: tuple[str, ...] = ()
    only: Only = "all"

    def matcher(self) -> Matcher:
        """The compiled patterns."""
        return Matcher(self.source, self.ignore, self.only)


def _patterns(value: object, key: str) -> list[str]:
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise TypeError(
            f"{key} must be a glob string or a list of glob strings, got {type(value).__name__}"
        )
    out: list[str] = []
    for index, item in enumerate(items):
        where = key if isinstance(value, str) else f"{key}[{index}]"
        if not isinstance(item, str):
            raise TypeError(f"{where} must be a glob string, got {type(item).__name__}")
        out.append(item)
    return out


def _check(pattern: str, where: str) -> str:
    negated = pattern.startswith("!")
    body = pattern[1:] if negated else pattern
    try:
        for alternative in expand_braces(body):
            normalise(alternative)
        Matcher((body,), (), "all")  # compiles every alternative
    except GlobError as exc:
        raise ValueError(f"{where}: {pattern!r} is not a valid glob: {exc}") from None
    return pattern


def parse_files(value: object, *, key: str = "files") -> FilesOptions:
    """Validate a ``files`` option: a glob, a list of globs, or ``{source, ignore, only}``.

    A ``!pattern`` in ``source`` is an ignore pattern.

    Args:
        value: the option as read from the config (or a ``FilesOptions``).
        key: the option's name, used in error messages (e.g. ``"static.files"``).

    Returns:
        The validated options.

    Raises:
        TypeError: a value of the wrong type (naming the key).
        ValueError: an empty list, an unknown key, a bad ``only``, or a pattern that is empty,
            absolute, contains ``..`` or is not a valid glob (naming the key and the pattern).
    """
    if isinstance(value, FilesOptions):
        return value
    ignore: list[str] = []
    only: object = "all"
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in value if k not in _FILES_KEYS)
        if unknown:
            raise ValueError(
                f"{key}: unknown key {unknown[0]!r} (expected 'source', 'ignore' or 'only')"
            )
        if "source" not in value:
            raise ValueError(f"{key}: 'source' is required when {key} is a table")
        source_key = f"{key}.source"
        source = _patterns(value["source"], source_key)
        if "ignore" in value:
            ignore = _patterns(value["ignore"], f"{key}.ignore")
        only = value.get("only", "all")
        if not isinstance(only, str) or only not in _ONLY:
            raise ValueError(f"{key}.only must be 'all', 'files' or 'directories', got {only!r}")
    else:
        source_key = key
        source = _patterns(value, key)
    if not source:
        raise ValueError(f"{source_key}: at least one glob pattern is required")
    ignore_key = f"{key}.ignore"
    checked_ignore = [
        _check(p, ignore_key if len(ignore) == 1 else f"{ignore_key}[{i}]")
        for i, p in enumerate(ignore)
    ]
    positive: list[str] = []
    for index, pattern in enumerate(source):
        where = (
            source_key if isinstance(value, str) or len(source) == 1 else f"{source_key}[{index}]"
        )
        _check(pattern, where)
        if pattern.startswith("!"):
            checked_ignore.append(pattern[1:])
        else:
            positive.append(pattern)
    if not positive:
        raise ValueError(f"{source_key}: only '!' patterns; at least one pattern must match")
    return FilesOptions(tuple(positive), tuple(checked_ignore), only)  # type: ignore[arg-type]


def url_base(url_path: str | None, component: str) -> str:
    """The URL base of a component's entries, after the reference's ``url_path`` rules.

    ``None`` or ``""`` -> ``"/"``; ``"static"``, ``"/static/"`` -> ``"/static"``; ``"./x"`` ->
    ``"/<component>/x"``; ``"."`` -> ``"/<component>"``.

    Raises:
        TypeError: ``url_path`` is not a string.
        ValueError: it contains a ``..`` segment, a ``?`` or a ``#``.
    """
    if url_path is None:
        return "/"
    if not isinstance(url_path, str):
        raise TypeError(f"url_path must be a string, got {type(url_path).__name__}")
    segments = url_path.split("/")
    if ".." in segments:
        raise ValueError(f"url_path {url_path!r}: '..' is not allowed")
    if "?" in url_path or "#" in url_path:
        raise ValueError(f"url_path {url_path!r}: a URL path cannot hold '?' or '#'")
    if segments[0] == "." and (len(segments) == 1 or url_path.startswith("./")):
        segments = [*component.split("/"), *segments[1:]]
    parts = [s for s in segments if s not in ("", ".")]
    return "/" + "/".join(parts)


def join_url(base: str, rel: str) -> str:
    """``url_base`` + a ``/``-separated relative path."""
    return base + rel if base.endswith("/") else f"{base}/{rel}"


def parse_entry_config(value: Mapping[str, Any], *, key: str) -> tuple[FilesOptions, str | None]:
    """``{"files": ..., "url_path": ...}`` (the reference's FileAndURLPathConfig).

    Raises:
        TypeError, ValueError: as ``parse_files`` and ``url_base``, naming ``key``.
    """
    unknown = sorted(str(k) for k in value if k not in _ENTRY_KEYS)
    if unknown:
        raise ValueError(f"{key}: unknown key {unknown[0]!r} (expected 'files' and 'url_path')")
    if "files" not in value:
        raise ValueError(f"{key}: 'files' is required")
    files = parse_files(value["files"], key=f"{key}.files")
    url_path = value.get("url_path")
    if url_path is not None and not isinstance(url_path, str):
        raise TypeError(f"{key}.url_path must be a string, got {type(url_path).__name__}")
    return files, url_path
