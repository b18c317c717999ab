"""What every multipart reader shares: the boundary, and skipping a preamble.

RFC 2046 §5.1.1 allows text before the first boundary (a *preamble*, to be ignored);
python-multipart only skips blank lines there. ``Preamble`` drops whatever comes before
the first delimiter line so that the parser sees the body from it on. It keeps at most a
delimiter's length of bytes while it looks, whatever the size of the preamble.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from python_multipart.multipart import parse_options_header

from ._errors import HTTPError

if TYPE_CHECKING:
    from ._request import Request


def boundary_of(req: Request) -> bytes:
    """The boundary of a multipart request.

    Raises:
        HTTPError: 400 when the Content-Type has none.
    """
    _, params = parse_options_header(req.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise HTTPError(400, "multipart body without a boundary")
    return boundary


class Preamble:
    """Feed it the body's chunks; it returns what the parser should get.

    Until the first delimiter line (``--boundary`` at the very start of the body or after
    a CRLF, followed by CRLF, ``--`` or blanks) it returns ``b""``; from then on,
    everything, the delimiter first.
    """

    __slots__ = ("_delimiter", "_tail", "done")

    def __init__(self, boundary: bytes) -> None:
        self._delimiter = b"\r\n--" + boundary
        self._tail = b"\r\n"  # the body's start counts as a line start
        self.done = False

    def feed(self, chunk: bytes) -> bytes:
        if self.done:
            return chunk
        data = self._tail + chunk
        delimiter = self._delimiter
        start = 0
        while (at := data.find(delimiter, start)) >= 0:
            end = at + len(delimiter)
            after = data[end : end + 2]
            if len(after) < 2:  # cannot tell yet: wait for the next chunk
                self._tail = data[at:]
                return b""
            if after in (b"\r\n", b"--") or after[:1] in (b" ", b"\t"):
                self.done = True
                return data[at + 2 :]  # from the "--": what the parser expects first
            start = at + 1  # "--boundary" followed by more text: not a delimiter line
        self._tail = data[-(len(delimiter) - 1) :]
        return b""
