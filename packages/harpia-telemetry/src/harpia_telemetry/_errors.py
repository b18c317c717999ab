"""The error a reading call raises when the caller may not read."""

from __future__ import annotations


class Unauthorized(Exception):
    """The token is wrong or missing, or the caller's IP is not allowed.

    Raised by every reading method and by ``flush``/``delete``; the dashboard answers it
    with ``401``. The message never contains the expected token.

    Attributes:
        status: The HTTP status a web front end should answer with (``401``).
    """

    status = 401
