"""The ``telemetry`` built-in: ``harpia.Telemetry``, its middleware and, optionally, its
dashboard.

Options: those of ``Telemetry`` — ``store`` (``"memory"``, the default, or a
``redis://`` URL), ``ignore``, ``trust_proxy``, ``max_visitors_keys``, ``access_token``,
``allowed_ips``, ``prefix``, ``max_paths``, ``max_visits_per_ip``, ``retention_days``,
``retry_after`` — plus ``dashboard`` (a path such as ``"/_telemetry"``; default none),
``dashboard_days`` and ``slow_threshold``. The ``Telemetry`` is in
``app.state["telemetry"]``. Changing options needs a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._schema import (
    api_error,
    boolean,
    check_options,
    integer,
    number,
    optional_integer,
    optional_string,
    string,
    strings,
)
from ._stores import check_store, close_store, make_store

if TYPE_CHECKING:
    from harpia_telemetry import Telemetry

    from .. import Scope

SCHEMA = {
    "store": check_store,
    "ignore": strings,
    "trust_proxy": boolean,
    "max_visitors_keys": integer(1),
    "access_token": optional_string,
    "allowed_ips": strings,
    "prefix": string,
    "max_paths": integer(1),
    "max_visits_per_ip": integer(1),
    "retention_days": optional_integer(1),
    "retry_after": number,
    "dashboard": optional_string,
    "dashboard_days": integer(1),
    "slow_threshold": number,
}
_BOARD = ("dashboard", "dashboard_days", "slow_threshold")


def validate_options(options: dict[str, Any]) -> None:
    """Every key known and of the right type; then built once for the value checks."""
    make_telemetry(options)


def make_telemetry(options: dict[str, Any]) -> Telemetry:
    """The ``Telemetry`` the options describe (without its dashboard)."""
    from harpia_telemetry import Telemetry

    values = check_options({k: v for k, v in options.items() if k != "package"}, SCHEMA)
    for key in _BOARD:
        values.pop(key, None)
    store_url = values.pop("store", None)
    store = None if store_url in (None, "memory") else make_store(store_url)
    try:
        return Telemetry(store, **values)
    except (TypeError, ValueError) as exc:
        raise api_error(exc, values) from exc


def handle_component(scope: Scope) -> None:
    """Record every request; mount the dashboard when asked; close the store with the scope."""
    options = scope.options.get_all() or {}
    telemetry = make_telemetry(options)
    scope.app.use(telemetry.middleware())
    scope.app.state["telemetry"] = telemetry
    path = options.get("dashboard")
    if path:
        board = telemetry.dashboard(
            path,
            days=options.get("dashboard_days", 30),
            slow_threshold=float(options.get("slow_threshold", 500.0)),
        )
        scope.app.swap_routes(f"telemetry:{scope.name}", board)

    async def closed() -> None:
        scope.app.swap_routes(f"telemetry:{scope.name}", None)
        await close_store(telemetry.store)

    scope.on("close", closed)
