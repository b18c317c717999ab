"""What compiled templates call at render time: escaping, sandboxed lookups, arithmetic.

The sandbox, at run time. Compiled code never names a Python builtin, and template names
can only be render data, loop variables, ``@set`` locals and plugins; these helpers decide
what a value lets an expression reach:

- a mapping (a dict, any ``Mapping``) gives its keys, and only its keys (``d.items`` is the
  key ``"items"``, not the method);
- a list, tuple or string gives its items by index and its ``length``;
- any other object gives its public attributes, as long as neither the object nor the
  attribute is "internal": callable (functions, methods, classes, ...), a module, a frame,
  code, a traceback, a generator or coroutine. Names starting with ``_`` are refused by
  the parser, and here again when they arrive as a string key (``obj["__class__"]``);
- arithmetic takes numbers (``+`` also joins strings and lists), never calls an operand's
  own operator methods, and refuses results past ``MAX_INT_BITS`` or ``MAX_STRING``, so no
  expression can build a huge value (there is no ``**``, no string repetition, no range).

A missing key or attribute is ``None`` (rendered empty); the ``*_strict`` variants raise
instead.
"""

from __future__ import annotations

import json
import math
import types
from collections.abc import Iterable, Iterator, Mapping, Sized
from typing import TYPE_CHECKING, Any, Final

from ._errors import TemplateError, TemplateLimitError

if TYPE_CHECKING:
    from ._context import RenderContext

MAX_STRING: Final = 10_000_000
FREE_SIZE: Final = 256  # results of + up to this long cost no more than the operation
MAX_INT_BITS: Final = 4096


class Markup(str):
    """A string that is already safe HTML: output as is, never escaped again.

    Plugins return it to opt out of escaping (``raw()`` does); objects with an
    ``__html__`` method (markupsafe's protocol) are treated the same way.
    """

    __slots__ = ()

    def __html__(self) -> str:
        """The markup itself."""
        return self


class _Missing:
    """The value of a name or attribute that does not exist (strict mode)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

_INTERNAL: Final = (
    types.ModuleType,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.MappingProxyType,
    types.CellType,
    type,
)


def is_internal(value: object) -> bool:
    """Whether a template may not look into or hold ``value``."""
    return callable(value) or isinstance(value, _INTERNAL)


# -- text --------------------------------------------------------------------------------


def escape_text(text: str) -> str:
    """HTML-escape ``& < > " '``."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&#34;")
            .replace("'", "&#39;")
        )
    return text


def _number_text(value: float) -> str:
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def to_str(value: Any) -> str:
    """The text of a value, JavaScript-style: ``None`` → ``""``, ``True`` → ``"true"``,
    ``2.0`` → ``"2"``, ``[1, 2]`` → ``"1,2"``, an object without ``__str__`` →
    ``"[object Name]"``, a function, class or module → ``""``; not escaped."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None or value is MISSING:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return _number_text(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, list | tuple):
        return _list_text(value)
    if is_internal(value):
        return ""  # functions, classes, modules... are not template values
    cls: Any = type(value)
    if cls.__str__ is object.__str__ and cls.__repr__ is object.__repr__:
        return f"[object {cls.__name__}]"  # not Python's repr, which shows an address
    return str(value)


def _list_text(value: list[Any] | tuple[Any, ...]) -> str:
    """``[1, 2]`` → ``"1,2"``, refused past ``MAX_STRING`` characters (a list holding the
    same long string many times, or lists of lists, would otherwise make a huge text)."""
    parts = [to_str(item) for item in value]
    if len(parts) + sum(map(len, parts)) > MAX_STRING:
        raise TemplateError(f"text of a list too long (over {MAX_STRING:,} characters)")
    return ",".join(parts)


def _check_json_size(value: Any) -> None:
    """Refuse a value whose JSON would pass ``MAX_STRING`` characters, or that contains
    itself, before writing it.

    Each container's size is computed once (post-order, by identity) and counted wherever
    it appears: a list holding the same long string or list many times is as large as its
    JSON, yet the walk stays linear in the distinct containers, and a container met again
    while its own contents are being walked is a cycle, refused at once."""
    sizes: dict[int, int] = {}
    walking: set[int] = set()  # the containers on the path from ``value`` to the current one
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, leaving = stack.pop()
        if not isinstance(item, Mapping | list | tuple):
            continue
        key = id(item)
        children = [*item.keys(), *item.values()] if isinstance(item, Mapping) else item
        if leaving:
            walking.discard(key)
            total = (2 * len(item) if isinstance(item, Mapping) else len(item)) + 2
            for child in children:
                total += sizes[id(child)] if _is_container(child) else _json_leaf(child)
            if total > MAX_STRING:
                raise TemplateError(f"json() value too large (over {MAX_STRING:,} characters)")
            sizes[key] = total
        elif key not in sizes:
            if key in walking:
                raise TemplateError("json() value contains itself (a circular reference)")
            walking.add(key)
            stack.append((item, True))
            stack.extend((child, False) for child in children if _is_container(child))


def _is_container(item: Any) -> bool:
    return isinstance(item, Mapping | list | tuple)


def _json_leaf(item: Any) -> int:
    return len(item) + 2 if isinstance(item, str) else 1


def escape(value: Any) -> str:
    """The HTML for a ``{{ }}`` output: escaped unless ``Markup`` or ``__html__``."""
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return (
                value.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace('"', "&#34;")
                .replace("'", "&#39;")
            )
        return value
    if value is None:
        return ""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is Markup:
        return value  # type: ignore[no-any-return]
    return _escape_other(value)


def _escape_other(value: Any) -> str:
    kind = type(value)
    if kind is int or kind is float or kind is bool:
        return to_str(value)
    if isinstance(value, Markup):
        return value
    html = getattr(type(value), "__html__", None)
    if html is not None:
        return str(html(value))
    return escape_text(to_str(value))


def raw(value: Any) -> Markup:
    """The ``raw()`` plugin: the value's text, marked safe."""
    if isinstance(value, Markup):
        return value
    return Markup(to_str(value))


def json_script(value: Any) -> Markup:
    """The ``json()`` plugin: JSON that is safe inside ``<script>`` and single-quoted attributes.

    ``< > &`` and ``'`` become ``\\u`` escapes (so ``</script>`` and ``<!--`` cannot appear),
    and ``ensure_ascii`` escapes U+2028/U+2029.
    """
    _check_json_size(value)
    text = json.dumps(value, ensure_ascii=True)
    return Markup(
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


# -- lookups -----------------------------------------------------------------------------


def _lookup(obj: Any, name: str) -> Any:
    """``obj.name`` under the sandbox rules, or ``MISSING``."""
    if isinstance(obj, Mapping):
        try:
            return obj.get(name, MISSING)
        except TypeError:
            return MISSING
    if obj is None or obj is MISSING:
        return MISSING
    if isinstance(obj, str | list | tuple):
        return len(obj) if name == "length" else MISSING
    if name.startswith("_") or is_internal(obj):
        return MISSING
    value = getattr(obj, name, MISSING)
    if value is not MISSING and is_internal(value):
        return MISSING
    return value


def get_attr(obj: Any, name: str) -> Any:
    """``obj.name``; missing → ``None``."""
    if type(obj) is dict:
        return obj.get(name)
    value = _lookup(obj, name)
    return None if value is MISSING else value


def get_attr_strict(obj: Any, name: str) -> Any:
    """``obj.name``; missing → ``TemplateError``."""
    value = obj.get(name, MISSING) if type(obj) is dict else _lookup(obj, name)
    if value is MISSING:
        raise TemplateError(f"undefined attribute {name!r} of {_describe(obj)}")
    return value


def _index(obj: Any, key: Any) -> Any:
    """``obj[key]`` under the sandbox rules, or ``MISSING``."""
    if isinstance(obj, Mapping):
        try:
            return obj.get(key, MISSING)
        except TypeError:  # an unhashable key
            return MISSING
    if type(key) is float and key.is_integer():
        key = int(key)
    if isinstance(obj, str | list | tuple) and type(key) is int:
        try:
            return obj[key]
        except IndexError:
            return MISSING
    if isinstance(key, str):
        return _lookup(obj, key)
    return MISSING


def get_item(obj: Any, key: Any) -> Any:
    """``obj[key]``; missing → ``None``."""
    if type(obj) is dict:
        try:
            return obj.get(key)
        except TypeError:
            return None
    value = _index(obj, key)
    return None if value is MISSING else value


def get_item_strict(obj: Any, key: Any) -> Any:
    """``obj[key]``; missing → ``TemplateError``."""
    value = _index(obj, key)
    if value is MISSING:
        raise TemplateError(f"undefined item {to_str(key)[:50]!r} of {_describe(obj)}")
    return value


def _describe(obj: Any) -> str:
    if obj is None:
        return "null"
    if obj is MISSING:
        return "undefined"
    name = type(obj).__name__
    return f"{'an' if name[0] in 'aeiouAEIOU' else 'a'} {name}"


# -- operators ---------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    kind = type(value)
    return (
        kind is int
        or kind is float
        or (isinstance(value, int | float) and not isinstance(value, bool))
    )


def _check_int(value: Any) -> Any:
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        raise TemplateError(f"number too large (over {MAX_INT_BITS} bits)")
    return value


def _operands(symbol: str, left: Any, right: Any) -> TemplateError:
    return TemplateError(f"'{symbol}' needs numbers, got {_describe(left)} and {_describe(right)}")


def add(context: RenderContext, left: Any, right: Any) -> Any:
    """``+``: numbers add, strings concatenate (with ``to_str``), lists join.

    A result longer than ``FREE_SIZE`` costs one work unit per 8 characters or items
    (copying it is work, and bounding what all of them add up to bounds the memory a
    render can fill with values it builds).
    """
    if _is_number(left) and _is_number(right):
        return _check_int(left + right)
    if isinstance(left, str) or isinstance(right, str):
        left, right = to_str(left), to_str(right)
        size = len(left) + len(right)
        if size > FREE_SIZE:
            if size > MAX_STRING:
                raise TemplateError(f"string too long (over {MAX_STRING:,} characters)")
            context.charge(size >> 3)
        return left + right
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        size = len(left) + len(right)
        if size > FREE_SIZE:
            if size > MAX_STRING:
                raise TemplateError(f"list too long (over {MAX_STRING:,} items)")
            context.charge(size >> 3)
        return [*left, *right]
    raise TemplateError(f"cannot add {_describe(left)} and {_describe(right)}")


def sub(left: Any, right: Any) -> Any:
    """``-`` on numbers."""
    if _is_number(left) and _is_number(right):
        return _check_int(left - right)
    raise _operands("-", left, right)


def mul(left: Any, right: Any) -> Any:
    """``*`` on numbers (no string repetition)."""
    if _is_number(left) and _is_number(right):
        if (
            type(left) is int
            and type(right) is int
            and left.bit_length() + right.bit_length() > MAX_INT_BITS
        ):
            raise TemplateError(f"number too large (over {MAX_INT_BITS} bits)")
        return left * right
    raise _operands("*", left, right)


def div(left: Any, right: Any) -> Any:
    """``/``: true division; division by zero is an error."""
    if _is_number(left) and _is_number(right):
        if right == 0:
            raise TemplateError("division by zero")
        return left / right
    raise _operands("/", left, right)


def mod(left: Any, right: Any) -> Any:
    """``%`` on numbers only (never string formatting)."""
    if _is_number(left) and _is_number(right):
        if right == 0:
            raise TemplateError("modulo by zero")
        return left % right
    raise _operands("%", left, right)


def neg(value: Any) -> Any:
    """Unary ``-``."""
    if _is_number(value):
        return -value
    raise TemplateError(f"'-' needs a number, got {_describe(value)}")


def pos(value: Any) -> Any:
    """Unary ``+``."""
    if _is_number(value):
        return value
    raise TemplateError(f"'+' needs a number, got {_describe(value)}")


def charge_size(context: RenderContext, value: Any) -> Any:
    """``value``, after charging a unit per 8 characters or items when it is large (the
    left side of a comparison between two values that are not literals)."""
    if isinstance(value, str | list | tuple | dict):
        size = len(value)
        if size > FREE_SIZE:
            context.charge(size >> 3)
    return value


def strict_eq(left: Any, right: Any) -> bool:
    """``===``: equal and of the same kind (``1 === 1.0``, but not ``1 === true``)."""
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


def strict_ne(left: Any, right: Any) -> bool:
    """``!==``."""
    return not strict_eq(left, right)


# -- loops -------------------------------------------------------------------------------


def _charge(context: RenderContext, count: int, units: int) -> None:
    """A loop of ``count`` iterations whose body costs ``units``: charged when it starts."""
    context.budget -= count
    context.work -= count * units
    if context.budget < 0:
        raise TemplateLimitError(
            f"render exceeded {context.max_iterations:,} loop iterations (max_iterations). "
            "Raise it with TemplateEngine(max_iterations=...)",
            limit="max_iterations",
        )
    if context.work < 0:
        context.charge(0)


def _charged(context: RenderContext, items: Iterable[Any], units: int) -> Iterator[Any]:
    """An iterable of unknown length, charged one iteration at a time."""
    for item in items:
        _charge(context, 1, units)
        yield item


def iterate(context: RenderContext, value: Any, units: int) -> Iterable[Any]:
    """What ``@for item in value`` walks: items of a list, keys of a mapping."""
    if type(value) is list or type(value) is tuple:
        _charge(context, len(value), units)
        return value
    if value is None or value is MISSING:
        return ()
    if is_internal(value) or not isinstance(value, Iterable):
        raise TemplateError(f"cannot loop over {_describe(value)}")
    if isinstance(value, Sized):
        _charge(context, len(value), units)
        return value
    return _charged(context, value, units)


def iterate_pairs(context: RenderContext, value: Any, units: int) -> Iterable[tuple[Any, Any]]:
    """What ``@for [key, value] in obj`` walks: a mapping's items, a list's (index, item)."""
    if value is None or value is MISSING:
        return ()
    if isinstance(value, Mapping):
        _charge(context, len(value), units)
        return value.items()
    if isinstance(value, list | tuple | str):
        _charge(context, len(value), units)
        return enumerate(value)
    raise TemplateError(f"@for [key, value] needs an object or an array, got {_describe(value)}")


def props(value: Any) -> dict[str, Any]:
    """The props of ``@import``/``@component`` and the params of ``@layout``: a mapping."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    raise TemplateError(f"props must be an object, got {_describe(value)}")
