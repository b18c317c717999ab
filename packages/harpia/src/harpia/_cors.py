"""CORS: ``app.cors(options, path=None)``.

How it runs in the pipeline
---------------------------
``Harpia.handle`` looks up the policy for the request path (the longest configured path
prefix wins; ``path=None`` is the app-wide fallback; ``origin=False`` switches CORS off
below its path). A *preflight* — ``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method`` — is answered right there, before routing and before
any middleware (an auth middleware must not reject a preflight, which never carries
credentials), unless ``preflight_continue`` is set. Every other request runs as usual,
and the CORS headers are added to whatever response comes out — 404, 405, 413 and 500
included — so a browser shows the real error instead of a CORS failure.

The origin decides everything
-----------------------------
``origin="*"`` (the default) without credentials answers ``Access-Control-Allow-Origin:
*`` to everyone, and nothing varies. Any other setting answers with the request's own
origin when it is allowed, and with no CORS header at all when it is not (the request
itself still runs; the browser keeps the answer from the page); such answers depend on
``Origin``, so ``Vary: Origin`` is always added. ``"*"`` with ``credentials=True`` echoes
the origin, because browsers reject ``*`` together with credentials; for the same reason
``methods="*"`` and ``allowed_headers="*"`` are echoed from the preflight's request
headers when credentials are on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from ._headers import TOKEN

if TYPE_CHECKING:
    from ._request import Request
    from ._response import Response

DEFAULT_METHODS = ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE")
_ORIGIN = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s?#]+")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
_CAMEL = {
    "allowedHeaders": "allowed_headers",
    "exposedHeaders": "exposed_headers",
    "maxAge": "max_age",
    "preflightContinue": "preflight_continue",
    "optionsSuccessStatus": "options_success_status",
}

OriginOption = bool | str | re.Pattern[str] | Sequence[str | re.Pattern[str]]


class CorsOptions(TypedDict, total=False):
    """The options of ``app.cors`` (every key optional).

    Attributes:
        origin: ``True`` (any origin, echoed), ``False`` (CORS off), ``"*"`` (the
            default), one origin ``"https://a.example"``, a compiled regex (searched, so
            anchor it), or a list of origins and regexes.
        methods: Methods a preflight allows: ``"GET"``, ``"GET,POST"``, a list, or ``"*"``.
            Default ``GET,HEAD,PUT,PATCH,POST,DELETE``.
        allowed_headers: Request headers a preflight allows (str or list); by default the
            preflight's ``Access-Control-Request-Headers`` are echoed.
        exposed_headers: Response headers the page may read (str or list).
        credentials: Send ``Access-Control-Allow-Credentials: true``.
        max_age: Seconds a browser may cache the preflight answer.
        preflight_continue: Pass preflights on to the routes instead of answering them.
        options_success_status: Status of an answered preflight (default 204).
    """

    origin: OriginOption
    methods: str | Sequence[str]
    allowed_headers: str | Sequence[str] | None
    exposed_headers: str | Sequence[str]
    credentials: bool
    max_age: int | None
    preflight_continue: bool
    options_success_status: int


def _names(value: object, option: str, *, upper: bool = False) -> tuple[str, ...]:
    """A comma-separated string or a list of tokens → a tuple of tokens."""
    if isinstance(value, str):
        items: list[object] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, Sequence):
        items = list(value)
    else:
        raise TypeError(f"CORS {option} must be a str or a list of str, got {value!r}")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str) or not (item == "*" or TOKEN.fullmatch(item)):
            raise ValueError(f"CORS {option}: {item!r} is not a valid name")
        names.append(item.upper() if upper else item)
    return tuple(names)


def _check_origin(origin: str) -> str:
    if origin in ("*", "null") or _ORIGIN.fullmatch(origin):
        return origin
    raise ValueError(
        f"CORS origin {origin!r} must be 'scheme://host[:port]' with no path or trailing "
        f"slash (or '*' or 'null')"
    )


class CorsPolicy:
    """One validated CORS configuration (see ``CorsOptions``).

    Raises:
        ValueError: an unknown option or an invalid value (named in the message).
        TypeError: an option of the wrong type.
    """

    __slots__ = (
        "_any",
        "_exact",
        "_patterns",
        "_reflect_all",
        "allowed_headers",
        "credentials",
        "enabled",
        "exposed_headers",
        "max_age",
        "methods",
        "preflight_continue",
        "success_status",
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        options = dict(options or {})
        for key in options:
            if key not in CorsOptions.__annotations__:
                hint = f" (did you mean {_CAMEL[key]!r}?)" if key in _CAMEL else ""
                raise ValueError(f"unknown CORS option {key!r}{hint}")
        credentials = options.get("credentials", False)
        if not isinstance(credentials, bool):
            raise TypeError(f"CORS credentials must be a bool, got {credentials!r}")
        self.credentials = credentials
        self.enabled = True
        self._any = False  # answer "*" to everyone
        self._reflect_all = False  # echo any origin
        self._exact: frozenset[str] = frozenset()
        self._patterns: tuple[re.Pattern[str], ...] = ()
        self._origin(options.get("origin", "*"))

        methods = options.get("methods", DEFAULT_METHODS)
        self.methods = _names(methods, "methods", upper=True)
        allowed = options.get("allowed_headers")
        self.allowed_headers = None if allowed is None else _names(allowed, "allowed_headers")
        self.exposed_headers = _names(options.get("exposed_headers", ()), "exposed_headers")

        max_age = options.get("max_age")
        if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int)):
            raise TypeError(f"CORS max_age must be an int of seconds or None, got {max_age!r}")
        if max_age is not None and max_age < 0:
            raise ValueError(f"CORS max_age must be >= 0, got {max_age!r}")
        self.max_age = max_age
        self.preflight_continue = bool(options.get("preflight_continue", False))
        status = options.get("options_success_status", 204)
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 299:
            raise ValueError(f"CORS options_success_status must be 200-299, got {status!r}")
        self.success_status = status

    def _origin(self, origin: object) -> None:
        if isinstance(origin, bool):
            self.enabled = self._reflect_all = origin
            return
        if isinstance(origin, str) and origin == "*":
            self._any = not self.credentials
            self._reflect_all = self.credentials
            return
        if isinstance(origin, str | re.Pattern):
            items: list[object] = [origin]
        elif isinstance(origin, Sequence):
            items = list(origin)
        else:
            raise TypeError(f"CORS origin must be a bool, str, regex or list, got {origin!r}")
        exact: set[str] = set()
        patterns: list[re.Pattern[str]] = []
        for item in items:
            if isinstance(item, re.Pattern):
                if not isinstance(item.pattern, str):
                    raise TypeError(f"CORS origin regex must be a str pattern, got {item!r}")
                patterns.append(item)
            elif isinstance(item, str):
                if item == "*":
                    self._reflect_all = True
                exact.add(_check_origin(item).lower())
            else:
                raise TypeError(f"CORS origin list items must be str or regex, got {item!r}")
        self._exact = frozenset(exact)
        self._patterns = tuple(patterns)

    @property
    def varies(self) -> bool:
        """True when the answer depends on the request's ``Origin``."""
        return not self._any

    def allowed_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``; ``None``: not allowed."""
        if self._any:
            return "*"
        if origin is None:
            return None
        if (
            self._reflect_all
            or origin.lower() in self._exact
            or any(pattern.search(origin) for pattern in self._patterns)
        ):
            return origin
        return None

    def preflight(self, request: Request, res: Response) -> bool:
        """Answer ``request`` if it is a preflight this policy answers; ``True`` if so."""
        if self.preflight_continue or not is_preflight(request):
            return False
        res.status(self.success_status)
        res.body = b""
        res.sent = True
        return True

    def apply(self, request: Request, res: Response) -> None:
        """Add the CORS headers (and ``Vary``) for ``request`` to ``res``."""
        headers = request.headers
        vary: list[str] = ["Origin"] if self.varies else []
        allow = self.allowed_origin(_echoable(headers.get("origin")))
        preflight = is_preflight(request)
        if preflight:
            if self.allowed_headers is None or (self.credentials and "*" in self.allowed_headers):
                vary.append("Access-Control-Request-Headers")
            if self.credentials and "*" in self.methods:
                vary.append("Access-Control-Request-Method")
        if allow is not None:
            out = res.headers
            out.set("access-control-allow-origin", allow)
            if self.credentials:
                out.set("access-control-allow-credentials", "true")
            if self.exposed_headers:
                out.set("access-control-expose-headers", ",".join(self.exposed_headers))
            if preflight:
                self._preflight_headers(request, res)
        if vary:
            add_vary(res, vary)

    def _preflight_headers(self, request: Request, res: Response) -> None:
        headers = request.headers
        out = res.headers
        if self.credentials and "*" in self.methods:
            asked_method = _echoable(headers.get("access-control-request-method"))
            if asked_method:
                out.set("access-control-allow-methods", asked_method)
        else:
            out.set("access-control-allow-methods", ",".join(self.methods))
        asked = _echoable(headers.get("access-control-request-headers"))
        if self.allowed_headers is None or (self.credentials and "*" in self.allowed_headers):
            if asked:
                out.set("access-control-allow-headers", asked)
        elif self.allowed_headers:
            out.set("access-control-allow-headers", ",".join(self.allowed_headers))
        if self.max_age is not None:
            out.set("access-control-max-age", str(self.max_age))


def _echoable(value: str | None) -> str | None:
    """``value`` if it may be copied into a response header (no control characters)."""
    return None if value is None or _UNSAFE.search(value) else value


def is_preflight(request: Request) -> bool:
    """``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method`` (Fetch standard)."""
    if request.method != "OPTIONS":
        return False
    headers = request.headers
    return "origin" in headers and "access-control-request-method" in headers


def add_vary(res: Response, names: list[str]) -> None:
    """Add ``names`` to the response's ``Vary`` header, once each."""
    current = [token.strip() for value in res.headers.getall("vary") for token in value.split(",")]
    seen = {token.lower() for token in current if token}
    if "*" in seen:
        return
    merged = [token for token in current if token]
    merged += [name for name in names if name.lower() not in seen]
    res.headers.set("vary", ", ".join(merged))


class CorsTable:
    """The app's CORS policies by path prefix; ``lookup`` finds the most specific one."""

    __slots__ = ("_policies",)

    def __init__(self) -> None:
        self._policies: list[tuple[str | None, CorsPolicy]] = []

    def add(self, policy: CorsPolicy, path: str | None) -> None:
        """Use ``policy`` for ``path`` and below (``None``: everywhere); replaces an earlier one.

        Raises:
            TypeError: ``path`` is not a str or None.
        """
        if path is not None and not isinstance(path, str):
            raise TypeError(f"CORS path must be a str or None, got {path!r}")
        prefix = "/" + path.strip("/") if path is not None and path.strip("/") else None
        policies = [item for item in self._policies if item[0] != prefix]
        policies.append((prefix, policy))
        policies.sort(key=lambda item: -len(item[0] or ""))  # longest prefix first
        self._policies = policies

    def lookup(self, path: str) -> CorsPolicy | None:
        """The enabled policy for ``path``, or ``None`` (no CORS there)."""
        for prefix, policy in self._policies:
            if prefix is None or path == prefix or path.startswith(prefix + "/"):
                return policy if policy.enabled else None
        return None

    def __bool__(self) -> bool:
        return bool(self._policies)
