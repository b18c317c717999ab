"""harpia-shield: security headers and per-request CSP nonces.

Usage:
    >>> from harpia_shield import Shield, SecurityHeaders
    >>> shield = Shield(SecurityHeaders(use_nonce=True))
    >>> nonce, raw = shield.for_request()        # what one request gets
    >>> shield.headers(nonce="abc")              # [("Content-Security-Policy", ...), ...]

Standalone: no dependency on other Harpia packages. ``ShieldMiddleware`` wraps any ASGI app.
"""

from __future__ import annotations

from ._asgi import ShieldMiddleware as ShieldMiddleware
from ._csp import DEFAULT_DIRECTIVES as DEFAULT_DIRECTIVES
from ._csp import KNOWN_DIRECTIVES as KNOWN_DIRECTIVES
from ._options import CrossDomainOptions as CrossDomainOptions
from ._options import CSPOptions as CSPOptions
from ._options import DNSPrefetchOptions as DNSPrefetchOptions
from ._options import FrameOptions as FrameOptions
from ._options import HSTSOptions as HSTSOptions
from ._options import PolicyOptions as PolicyOptions
from ._options import ReferrerPolicyOptions as ReferrerPolicyOptions
from ._options import SecurityHeaders as SecurityHeaders
from ._shield import Shield as Shield
from ._version import __version__ as __version__

__all__ = (
    "DEFAULT_DIRECTIVES",
    "KNOWN_DIRECTIVES",
    "CSPOptions",
    "CrossDomainOptions",
    "DNSPrefetchOptions",
    "FrameOptions",
    "HSTSOptions",
    "PolicyOptions",
    "ReferrerPolicyOptions",
    "SecurityHeaders",
    "Shield",
    "ShieldMiddleware",
    "__version__",
)
