"""``app.shield(...)``: harpia-shield's headers and nonce in the request pipeline.

Before the pipeline the request gets its nonce (``req.nonce``, which ``res.render`` hands
to the template engine, so ``generateNonce()`` returns it). After the pipeline, whatever
the outcome (a handler, a 404, a 500), the shield's pre-encoded headers are attached to
the response as ``raw_extra``: only the names the handler did not set itself (a route may
relax its own policy), and ``X-Powered-By`` is removed. The headers are never re-encoded
per request; only the CSP value is, when it carries a nonce. Without a nonce every
response shares one read-only list: the request pays for a scan of the few headers the
handler set, and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harpia_shield import SecurityHeaders, Shield

from ._headers import HeaderBlock

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._request import Request
    from ._response import Response


_MAX_CLEAR = 256  # bound on remembered names (handlers could invent names per request)


class AppShield:
    """A ``Shield`` as the app applies it: ``start`` before the pipeline, ``finish`` after."""

    __slots__ = ("_watch", "clear", "raw", "shield", "use_nonce")

    def __init__(self, shield: Shield) -> None:
        self.shield = shield
        self.use_nonce = shield.use_nonce
        self.raw = HeaderBlock(shield.raw_headers())
        """The headers without a nonce, shared by every response: never mutated."""
        self._watch = shield.header_names | shield.remove
        self.clear: set[str] = set()
        """Header names, as handlers spell them, known to be neither sent nor removed by
        the shield. Most responses set only such names: ``Harpia.handle`` checks them
        inline and calls ``finish`` only for the others (a call saved per request)."""

    def start(self, request: Request) -> HeaderBlock:
        """Give ``request`` its nonce; the headers it will get (``use_nonce`` only: else
        the app takes ``raw`` directly, saving a call on every request)."""
        request.nonce, raw = self.shield.for_request()
        return HeaderBlock(raw)

    def finish(self, res: Response, raw: HeaderBlock) -> None:
        """Attach ``raw`` to ``res``, but for the names the handler set; drop removed ones.

        Learns the names that turn out clear (at most ``_MAX_CLEAR`` of them).
        """
        clear = self.clear
        for name, _ in res.headers._items:  # the list itself: no iterator call per request
            if name not in clear:
                if name.lower() in self._watch:
                    raw = self._merge(res, raw)
                    break
                if len(clear) < _MAX_CLEAR:
                    clear.add(name)
        res.raw_extra = raw

    def _merge(self, res: Response, raw: HeaderBlock) -> HeaderBlock:
        headers = res.headers
        for name in self.shield.remove:
            headers.remove(name)
        present = {name.lower().encode("latin-1") for name, _ in headers}
        return HeaderBlock([pair for pair in raw.pairs if pair[0] not in present])


def make_shield(
    options: Shield | SecurityHeaders | Mapping[str, Any] | None, **kwargs: Any
) -> AppShield:
    """The app's shield from what ``app.shield`` was given (object, options, dict, keywords).

    Raises:
        TypeError: a ``Shield`` together with keyword options, or an unknown option.
        ValueError: an invalid option.
    """
    if isinstance(options, Shield):
        if kwargs:
            raise TypeError("give either a Shield or keyword options, not both")
        return AppShield(options)
    return AppShield(Shield(options, **kwargs))
