"""``Shield``: the compiled headers, per-request nonces, and what a framework applies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._compile import compile_headers
from ._nonce import new_nonce
from ._options import SecurityHeaders

RawHeaders = list[tuple[bytes, bytes]]

_NONCE = re.compile(r"[A-Za-z0-9+/_=-]{1,256}\Z")


class Shield:
    """Security headers for one set of options, computed once.

    ``headers(nonce)`` is a pure function of the options and the nonce; a request costs a
    list copy (and, with a nonce, one string join). Frameworks call ``for_request()``.

    Args:
        options: A ``SecurityHeaders``, a dict of options (snake_case or camelCase keys) or
            None for the defaults; keyword options may be given instead.

    Raises:
        ValueError: an invalid option (the message names the field).
        TypeError: an unknown option name or a value of the wrong type.
    """

    __slots__ = (
        "_csp_index",
        "_csp_name",
        "_headers",
        "_raw",
        "_segments",
        "header_names",
        "options",
        "remove",
        "use_nonce",
    )

    def __init__(
        self,
        options: SecurityHeaders | Mapping[str, Any] | None = None,
        /,
        **kwargs: Any,
    ) -> None:
        self.options = as_options(options, kwargs)
        compiled = compile_headers(self.options)
        self.use_nonce: bool = self.options.use_nonce
        """Whether a nonce is made per request (``for_request``)."""
        self.remove: frozenset[str] = compiled.remove
        """Lower-case names of headers removed from responses (``x-powered-by``)."""
        self._headers = compiled.headers
        self._raw: RawHeaders = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in compiled.headers
        ]
        self.header_names: frozenset[str] = frozenset(name.lower() for name, _ in self._headers)
        """Lower-case names of the headers this shield sends."""
        self._csp_index = compiled.csp_index
        self._segments = compiled.csp_segments
        self._csp_name = b"" if compiled.csp_index is None else self._raw[compiled.csp_index][0]

    def __repr__(self) -> str:
        return f"<Shield headers={len(self._headers)} use_nonce={self.use_nonce}>"

    @staticmethod
    def new_nonce() -> str:
        """A fresh nonce: 144 random bits from the OS, base64 (24 characters)."""
        return new_nonce()

    def headers(self, nonce: str | None = None) -> list[tuple[str, str]]:
        """Every header to send, as ``(name, value)``; ``nonce`` goes into the CSP.

        The nonce is added to ``script-src`` and ``style-src`` when the policy has them
        (whatever ``use_nonce`` says: ``use_nonce`` only decides whether ``for_request``
        makes one).

        Raises:
            ValueError: ``nonce`` is not base64 (it would break the header).
        """
        headers = list(self._headers)
        if nonce is not None and self._csp_index is not None:
            name, _ = headers[self._csp_index]
            value = self.csp_value(nonce)
            assert value is not None
            headers[self._csp_index] = (name, value)
        return headers

    def csp_value(self, nonce: str | None = None) -> str | None:
        """The Content-Security-Policy value for ``nonce`` (None when CSP is off).

        Raises:
            ValueError: ``nonce`` is not base64.
        """
        if self._csp_index is None:
            return None
        if nonce is None:
            return "".join(self._segments)
        if not isinstance(nonce, str) or not _NONCE.match(nonce):
            raise ValueError(f"a nonce must be a base64 string, got {nonce!r}")
        return f" 'nonce-{nonce}'".join(self._segments)

    def raw_headers(self, nonce: str | None = None) -> RawHeaders:
        """``headers(nonce)`` encoded for the wire: lower-case ``latin-1`` bytes (ASGI)."""
        if nonce is None or self._csp_index is None:
            return self._raw.copy()
        value = self.csp_value(nonce)
        assert value is not None
        raw = self._raw.copy()
        raw[self._csp_index] = (self._csp_name, value.encode("latin-1"))
        return raw

    def for_request(self) -> tuple[str | None, RawHeaders]:
        """What one request gets: its nonce (None without ``use_nonce``) and raw headers.

        The list is the caller's to keep or extend (a fresh copy each call).
        """
        if not self.use_nonce or self._csp_index is None:
            return (self.new_nonce() if self.use_nonce else None), self._raw.copy()
        nonce = new_nonce()
        raw = self._raw.copy()
        value = f" 'nonce-{nonce}'".join(self._segments)
        raw[self._csp_index] = (self._csp_name, value.encode("latin-1"))
        return nonce, raw


def as_options(
    options: SecurityHeaders | Mapping[str, Any] | None, kwargs: Mapping[str, Any]
) -> SecurityHeaders:
    """Normalise the ways options can be given (object, dict, keywords) to one object.

    Raises:
        TypeError: both an options object and keywords, or an unknown option.
        ValueError: an invalid option.
    """
    if isinstance(options, SecurityHeaders):
        if kwargs:
            raise TypeError("give either a SecurityHeaders or keyword options, not both")
        return options
    if options is None:
        return SecurityHeaders.from_mapping(kwargs)
    if isinstance(options, Mapping):
        if kwargs:
            raise TypeError("give either a dict of options or keyword options, not both")
        return SecurityHeaders.from_mapping(options)
    raise TypeError(f"options must be a SecurityHeaders, a dict or None, got {options!r}")
