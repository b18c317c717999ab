"""Response compression: gzip always, brotli and zstd when their module is installed.

``Compress`` is a middleware (``app.compress()`` puts one in front of every other, or
``app.use("/api", Compress())`` for a path). After the rest of the chain has made the
response, it picks a content coding from the request's ``Accept-Encoding`` (q-values,
``*`` and ``identity;q=0`` included) and compresses:

- only what is worth it: a compressible type (text, JSON, XML, JavaScript, SVG, wasm…;
  never images, audio, video, fonts already compressed, archives), at least
  ``minimum_size`` bytes (a stream counts as large), no ``Content-Encoding`` already, not a
  206/``Content-Range`` answer, not ``Cache-Control: no-transform``, never a WebSocket
  upgrade, a 204 or a 304;
- a bytes body at once (in a worker thread above ``THREAD_ABOVE`` bytes), with
  ``Content-Length`` updated; a stream chunk by chunk, each chunk flushed so that it
  reaches the client as soon as it is made (server-sent events stay live), never the
  whole body held;
- with ``Vary: Accept-Encoding`` on every response whose coding depends on that header
  (compressed or not), a strong ``ETag`` made weak (``W/``: the bytes differ from the
  identity representation's) and ``Accept-Ranges`` removed.
"""

from __future__ import annotations

import importlib
import zlib
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from ._cors import add_vary
from ._negotiation import identity_acceptable, parse_header
from ._websocket import WebSocketUpgrade

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator, Callable

    from ._request import Request
    from ._response import Response

DEFAULT_MINIMUM_SIZE = 500
DEFAULT_GZIP_LEVEL = 4
DEFAULT_BROTLI_QUALITY = 5
DEFAULT_ZSTD_LEVEL = 3
THREAD_ABOVE = 256 * 1024  # bodies larger than this are compressed off the event loop

# application/* types worth compressing (plus any +json, +xml or +text suffix)
_COMPRESSIBLE_APPLICATION = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/xml",
        "application/xhtml+xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/wasm",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/sql",
        "application/rtf",
        "application/x-ndjson",
        "application/vnd.ms-fontobject",
        "application/x-font-ttf",
        "application/x-sh",
        "application/postscript",
    }
)
_COMPRESSIBLE_OTHER = frozenset(
    {"image/svg+xml", "image/x-icon", "image/bmp", "font/ttf", "font/otf"}
)


def compressible(content_type: str | None) -> bool:
    """True for a media type that compresses well: text, JSON, XML, JavaScript, SVG…

    Images (but SVG, ICO, BMP), audio, video, WOFF fonts, archives and unknown binary
    types (``application/octet-stream``) are already compressed or unknown: False.
    """
    if not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.startswith("text/"):
        return True
    if kind in _COMPRESSIBLE_OTHER:
        return True
    if kind.startswith("application/"):
        return kind in _COMPRESSIBLE_APPLICATION or kind.endswith(("+json", "+xml", "+text"))
    return False


class _Coder:
    """One content coding: a one-shot compressor and a streaming one."""

    __slots__ = ("name", "one_shot", "streaming")

    def __init__(
        self,
        name: str,
        one_shot: Callable[[bytes], bytes],
        streaming: Callable[[], tuple[Callable[[bytes], bytes], Callable[[], bytes]]],
    ) -> None:
        self.name = name
        self.one_shot = one_shot
        self.streaming = streaming


def _gzip(level: int) -> _Coder:
    def one_shot(data: bytes) -> bytes:
        compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip framing
        return compressor.compress(data) + compressor.flush()

    def streaming() -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
        compressor = zlib.compressobj(level, zlib.DEFLATED, 31)

        def chunk(data: bytes) -> bytes:
            return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)

        return chunk, compressor.flush

    return _Coder("gzip", one_shot, streaming)


def _brotli(module: Any, quality: int) -> _Coder:
    def one_shot(data: bytes) -> bytes:
        out: bytes = module.compress(data, quality=quality)
        return out

    def streaming() -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
        compressor = module.Compressor(quality=quality)

        def chunk(data: bytes) -> bytes:
            out: bytes = compressor.process(data) + compressor.flush()
            return out

        def end() -> bytes:
            out: bytes = compressor.finish()
            return out

        return chunk, end

    return _Coder("br", one_shot, streaming)


def _zstd(module: Any, level: int) -> _Coder:
    def one_shot(data: bytes) -> bytes:
        out: bytes = module.ZstdCompressor(level=level).compress(data)
        return out

    def streaming() -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
        compressor = module.ZstdCompressor(level=level).compressobj()
        block = module.COMPRESSOBJ_FLUSH_BLOCK

        def chunk(data: bytes) -> bytes:
            out: bytes = compressor.compress(data) + compressor.flush(block)
            return out

        def end() -> bytes:
            out: bytes = compressor.flush()
            return out

        return chunk, end

    return _Coder("zstd", one_shot, streaming)


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def available_encodings() -> tuple[str, ...]:
    """The codings this interpreter can produce, best first (``br``, ``zstd``, ``gzip``)."""
    found = [
        name for name, module in (("br", "brotli"), ("zstd", "zstandard")) if _optional(module)
    ]
    return (*found, "gzip")


class Compress:
    """The compression middleware (``app.compress(...)`` takes the same options).

    Args:
        minimum_size: Smallest bytes body compressed (default 500; smaller ones gain
            little and cost a header). Streams are always compressed.
        gzip_level: zlib level 1-9 (default 4: within 3% of level 9's size on JSON,
            HTML and Markdown, at a quarter to a sixth of its CPU; see bench/compress).
        brotli_quality: 0-11 (default 5: the lowest quality that is smaller than gzip on
            every body measured; 11 costs 50-100 times more).
        zstd_level: 1-22 (default 3).
        encodings: The codings to offer, in order of preference (default: ``br``,
            ``zstd``, ``gzip`` — those whose module is installed). Naming one whose module
            is missing raises.
        compressible: Decides from the ``Content-Type`` whether to compress (default
            ``harpia._compress.compressible``).

    Raises:
        ValueError: a level out of range, an unknown coding or one not installed.
        TypeError: an option of the wrong type.
    """

    def __init__(
        self,
        *,
        minimum_size: int = DEFAULT_MINIMUM_SIZE,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        brotli_quality: int = DEFAULT_BROTLI_QUALITY,
        zstd_level: int = DEFAULT_ZSTD_LEVEL,
        encodings: tuple[str, ...] | list[str] | None = None,
        compressible: Callable[[str | None], bool] = compressible,
    ) -> None:
        _check_int("minimum_size", minimum_size, 0, None)
        _check_int("gzip_level", gzip_level, 1, 9)
        _check_int("brotli_quality", brotli_quality, 0, 11)
        _check_int("zstd_level", zstd_level, 1, 22)
        if not callable(compressible):
            raise TypeError(f"compressible must be callable, got {compressible!r}")
        self.minimum_size = minimum_size
        self.compressible = compressible
        wanted = available_encodings() if encodings is None else tuple(encodings)
        if isinstance(encodings, str) or not wanted:
            raise TypeError(f"encodings must be a non-empty list of names, got {encodings!r}")
        coders: dict[str, _Coder] = {}
        for name in wanted:
            if name == "gzip":
                coders[name] = _gzip(gzip_level)
            elif name in ("br", "zstd"):
                module = _optional("brotli" if name == "br" else "zstandard")
                if module is None:
                    extra = "harpia-framework[brotli]" if name == "br" else "zstandard"
                    raise ValueError(f"encoding {name!r} needs a module: pip install {extra}")
                coders[name] = (
                    _brotli(module, brotli_quality) if name == "br" else _zstd(module, zstd_level)
                )
            else:
                raise ValueError(f"unknown encoding {name!r}: use 'br', 'zstd' or 'gzip'")
        self._coders = coders
        self.encodings = tuple(coders)

    def __repr__(self) -> str:
        return f"<Compress {','.join(self.encodings)} minimum_size={self.minimum_size}>"

    async def __call__(self, req: Request, res: Response, next: Any) -> None:
        await next()
        await self.apply(req, res)

    def choose(self, accept_encoding: str | None, *, small: bool = False) -> str | None:
        """The coding to use for a request's ``Accept-Encoding`` (``None``: identity).

        ``small``: the body is under ``minimum_size``; it is compressed only when the
        client refuses ``identity``.
        """
        ranges = parse_header(accept_encoding)
        if not ranges:  # absent or empty: identity (RFC 9110 §12.5.3)
            return None
        if small and identity_acceptable(ranges):
            return None
        best: tuple[float, int] | None = None
        chosen: str | None = None
        for preference, name in enumerate(self.encodings):
            quality: float | None = None
            for accept, q in ranges:
                if accept == name or (name == "gzip" and accept == "x-gzip"):
                    quality = q
                    break
                if accept == "*":
                    quality = q
            if quality is not None and quality > 0:
                rank = (quality, -preference)
                if best is None or rank > best:
                    best, chosen = rank, name
        return chosen

    async def apply(self, req: Request, res: Response) -> None:
        """Compress ``res`` for ``req`` when it is worth it (see the module docstring)."""
        stream = res.body_stream
        size = len(res.body)
        head_only = False  # a HEAD whose body was never made (a file): its length says
        if stream is None and not size:
            declared = res.headers.get("content-length") if req.method == "HEAD" else None
            if not declared or not declared.isdigit() or declared == "0":
                return
            size, head_only = int(declared), True
        if stream is not None and type(stream) is WebSocketUpgrade:
            return
        if res.status_code in (204, 206, 304) or res.status_code < 200:
            return
        headers = res.headers
        if "content-encoding" in headers or "content-range" in headers:
            return
        if not self.compressible(headers.get("content-type")):
            return
        if "no-transform" in (headers.get("cache-control") or "").lower():
            return
        add_vary(res, ["Accept-Encoding"])  # the answer depends on it from here on
        small = stream is None and size < self.minimum_size
        coding = self.choose(req.headers.get("accept-encoding"), small=small)
        if coding is None:
            return
        coder = self._coders[coding]
        if head_only:  # the compressed length is unknown without the body: not sent,
            headers.remove("content-length")  # as for a streamed GET (no body either way)
            res.body_stream = _compressed(_no_chunks(), coder)
        elif stream is None:
            body = res.body
            if len(body) > THREAD_ABOVE:
                res.body = await anyio.to_thread.run_sync(coder.one_shot, body)
            else:
                res.body = coder.one_shot(body)
            if "content-length" in headers:
                headers.set("content-length", str(len(res.body)))
        else:
            headers.remove("content-length")
            res.body_stream = _compressed(stream, coder)
        headers.set("content-encoding", coding)
        headers.remove("accept-ranges")
        etag = headers.get("etag")
        if etag is not None and not etag.startswith("W/"):
            headers.set("etag", "W/" + etag)


async def _compressed(chunks: AsyncIterable[bytes], coder: _Coder) -> AsyncIterator[bytes]:
    """``chunks`` compressed as they come, each flushed; the source closed in every case."""
    chunk, end = coder.streaming()
    try:
        async for data in chunks:
            if data:
                out = chunk(data)
                if out:
                    yield out
        tail = end()
        if tail:
            yield tail
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True):  # also when cancelled (ASGI disconnect)
                await close()


async def _no_chunks() -> AsyncIterator[bytes]:
    empty: tuple[bytes, ...] = ()
    for chunk in empty:
        yield chunk


def _check_int(name: str, value: object, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
