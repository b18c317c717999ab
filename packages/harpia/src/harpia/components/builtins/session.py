"""The ``session`` built-in: ``harpia.Session`` and its middleware (``req.session``).

Options: ``store`` (``"memory"`` or a ``redis://`` URL; omitted: ``Session``'s own
in-process default, which logs a warning), ``cookie_name``, ``ttl`` (seconds, or false),
``rolling``, ``prefix``, ``secure`` (omitted: ``Secure`` when the request is HTTPS),
``same_site`` (``"Strict"``, ``"Lax"``, ``"None"`` or false). The ``Session`` is in
``app.state["session"]`` (for ``session.regenerate(req, res)`` and friends); a Redis store
is closed when the app stops. Changing options needs a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..._process_state import ProcessLocal, mark, process_local_of
from ..._session import Session
from .._errors import OptionError
from ._schema import boolean, check_options, choice, optional_integer, string
from ._stores import check_store, close_store, make_store

if TYPE_CHECKING:
    from .. import Scope

SCHEMA = {
    "store": check_store,
    "cookie_name": string,
    "ttl": optional_integer(1),
    "rolling": boolean,
    "prefix": string,
    "secure": boolean,
    "same_site": choice("Strict", "Lax", "None", False),
}


def validate_options(options: dict[str, Any]) -> None:
    """Every key known and of the right type (see the module notes)."""
    check_options(options, SCHEMA)


def make_session(options: dict[str, Any]) -> Session:
    """The ``Session`` the (checked) options describe."""
    values = check_options({k: v for k, v in options.items() if k != "package"}, SCHEMA)
    named = values.pop("store", None)
    store = None if named is None else make_store(named)  # None: the default (warned about)
    if values.get("same_site") is False:
        values["same_site"] = None
    try:
        return Session(store, **values)
    except (TypeError, ValueError) as exc:  # pragma: no cover - the schema checks first
        raise OptionError(None, str(exc)) from exc


def handle_component(scope: Scope) -> None:
    """Add the session middleware; close the store with the scope."""
    session = make_session(scope.options.get_all() or {})
    middleware = session.middleware()
    if process_local_of(middleware) is not None:  # say it in the config's terms
        state = ProcessLocal(
            f"[{scope.name}] store = 'memory'",
            "sessions",
            f'[{scope.name}] store = "redis://host:6379/0"',
            default=False,
        )
        mark(middleware, state)
    scope.app.use(middleware)
    scope.app.state["session"] = session

    async def closed() -> None:
        await close_store(session.store)

    scope.on("close", closed)
