"""``did you mean …?``: the closest known names to a mistyped one (``difflib``)."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def close_matches(word: str, known: Iterable[str], n: int = 1) -> list[str]:
    """The ``n`` known names closest to ``word`` (difflib ratio >= 0.6; case ignored)."""
    names = [str(name) for name in known]
    lowered = {name.lower(): name for name in names}
    found = difflib.get_close_matches(str(word).lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[match] for match in found]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"did you mean 'max_age'?"`` for the closest known name, or ``""`` when none is close."""
    matches = close_matches(word, known)
    return f"did you mean {matches[0]!r}?" if matches else ""
