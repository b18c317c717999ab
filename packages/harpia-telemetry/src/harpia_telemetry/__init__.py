"""harpia-telemetry: exact request telemetry on a shared store, a reading API and a dashboard.

``Telemetry`` records requests — through ``record()``, the harpia middleware
(``telemetry.middleware()``) or the ASGI middleware (``TelemetryMiddleware``) — as atomic
counter, list and set updates in a ``harpia_store`` store, so counts stay exact across
concurrent requests and across worker processes sharing one Redis. Reading methods return
the shapes of Harpia's README in snake_case; ``telemetry.dashboard()`` serves them as one
self-contained HTML page with SVG charts.
"""

from ._asgi import TelemetryMiddleware as TelemetryMiddleware
from ._dashboard import Dashboard as Dashboard
from ._errors import Unauthorized as Unauthorized
from ._telemetry import Telemetry as Telemetry
from ._version import __version__ as __version__

__all__ = ("Dashboard", "Telemetry", "TelemetryMiddleware", "Unauthorized", "__version__")
