"""Option checks for the built-in components: one small checker per option.

A schema maps each option name to a checker ``(value) -> normalised value`` that raises
``OptionError`` (key, problem). ``check_options`` rejects unknown keys (listing the known
ones), fills defaults and returns the normalised options; the loader turns every
``OptionError`` into a ``ConfigError`` naming the config file and the component.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..._suggest import did_you_mean
from .._errors import OptionError

Checker = Callable[[str, Any], Any]
"""``(key, value) -> normalised value``; raises ``OptionError``."""

MISSING: Any = object()


def _got(problem: str, value: Any) -> str:
    return f"{problem}, got {value!r}"


def boolean(key: str, value: Any) -> bool:
    """``true``/``false``."""
    if not isinstance(value, bool):
        raise OptionError(key, _got("expected true or false", value))
    return value


def string(key: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise OptionError(key, _got("expected a non-empty string", value))
    return value


def optional_string(key: str, value: Any) -> str | None:
    """A non-empty string, or ``false`` for none."""
    if value is False or value is None:
        return None
    if not isinstance(value, str) or not value:
        raise OptionError(key, _got("expected a non-empty string or false", value))
    return value


def integer(minimum: int = 0) -> Checker:
    """An integer ``>= minimum``."""

    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise OptionError(key, _got("expected an integer", value))
        if value < minimum:
            raise OptionError(key, _got(f"expected an integer >= {minimum}", value))
        return value

    return check


def optional_integer(minimum: int = 0) -> Checker:
    """An integer ``>= minimum``, or ``false`` for none."""
    inner = integer(minimum)

    def check(key: str, value: Any) -> int | None:
        return None if value is False or value is None else inner(key, value)

    return check


def number(key: str, value: Any) -> float:
    """An int or a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptionError(key, _got("expected a number", value))
    return float(value)


def strings(key: str, value: Any) -> list[str]:
    """A string or a list of strings (always returned as a list)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise OptionError(key, _got("expected a string or a list of strings", value))
    return list(value)


def choice(*allowed: Any) -> Checker:
    """One of ``allowed``."""

    def check(key: str, value: Any) -> Any:
        if value not in allowed or isinstance(value, bool) != any(
            isinstance(a, bool) and a == value for a in allowed
        ):
            names = ", ".join(repr(a) for a in allowed)
            raise OptionError(key, _got(f"expected one of {names}", value))
        return value

    return check


def anything(key: str, value: Any) -> Any:
    """Passed on as is (checked by the Python API it goes to)."""
    return value


def files(key: str, value: Any) -> Any:
    """The ``files`` option: a glob, a list of globs or ``{source, ignore, only}``.

    The type is checked here (for the message's sake); the globs themselves are checked
    by ``harpia.components`` (``parse_files``): empty, absolute, ``..`` or malformed.
    """
    if not (
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(item, str) for item in value))
        or isinstance(value, dict)
    ):
        raise OptionError(key, _got("expected a glob string, a list of globs or a table", value))
    from .._files import parse_files

    try:
        parse_files(value, key=key)
    except (TypeError, ValueError) as exc:
        raise OptionError(key, _strip_key(key, str(exc))) from exc
    return value


def url_path(key: str, value: Any) -> str:
    """The ``url_path`` option (``./x``, ``.``, ``/x``, ``x``; never ``..``)."""
    if not isinstance(value, str):
        raise OptionError(key, _got("expected a URL path string", value))
    if ".." in value.split("/"):
        raise OptionError(key, _got("'..' is not allowed in a URL path", value))
    return value


def api_error(exc: Exception, keys: Iterable[str]) -> OptionError:
    """An ``OptionError`` from a Python API's own error, keyed by the option it names."""
    message = str(exc)
    for key in sorted(keys, key=len, reverse=True):
        if re.search(rf"\b{re.escape(key)}\b", message):
            return OptionError(key, message)
    return OptionError(None, message)


def _strip_key(key: str, message: str) -> str:
    """Drop a leading ``key:`` (or ``key ``) the message may already carry."""
    for lead in (f"{key}: ", f"{key} "):
        if message.startswith(lead):
            return message[len(lead) :]
    return message


def unknown_option(key: str, known: Iterable[str]) -> str:
    """``unknown option, did you mean 'max_age'? (known options: ...)`` for ``key``."""
    names = sorted(known)
    hint = did_you_mean(key, names)
    listed = ", ".join(names)
    if hint:
        return f"unknown option, {hint} (known options: {listed})"
    return f"unknown option (known options: {listed})"


def check_options(
    options: Mapping[str, Any],
    schema: Mapping[str, Checker],
    *,
    defaults: Mapping[str, Any] | None = None,
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Check every option against ``schema``; return them normalised, defaults filled in.

    Raises:
        OptionError: an unknown key, a missing required key or a value a checker refuses.
    """
    result: dict[str, Any] = dict(defaults or {})
    for key, value in options.items():
        checker = schema.get(key)
        if checker is None:
            raise OptionError(key, unknown_option(key, schema))
        result[key] = checker(key, value)
    for key in required:
        if key not in options:
            raise OptionError(key, "this option is required")
    return result
