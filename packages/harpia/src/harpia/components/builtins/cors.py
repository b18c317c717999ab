"""The ``cors`` built-in: ``app.cors(options, path)``.

Options are those of ``harpia.CorsOptions`` (``origin``, ``methods``, ``allowed_headers``,
``exposed_headers``, ``credentials``, ``max_age``, ``preflight_continue``,
``options_success_status``) plus ``path`` (answer CORS for that path and below; default
every path). ``origin`` is ``true``, ``false``, ``"*"``, an origin or a list of origins.
Changed options are applied live; a changed ``path`` needs a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..._cors import CorsOptions, CorsPolicy
from .._errors import OptionError
from ._schema import api_error, string, unknown_option

if TYPE_CHECKING:
    from .. import Scope

KEYS = frozenset(CorsOptions.__annotations__) | {"path"}


def validate_options(options: dict[str, Any]) -> None:
    """Check the keys, then build the policy once (its errors name the option)."""
    for key in options:
        if key not in KEYS:
            raise OptionError(key, unknown_option(key, KEYS))
    if "path" in options:
        string("path", options["path"])
    try:
        CorsPolicy({k: v for k, v in options.items() if k != "path"})
    except (TypeError, ValueError) as exc:
        raise api_error(exc, options) from exc


def _split(scope: Scope) -> tuple[dict[str, Any], str | None]:
    options = {k: v for k, v in (scope.options.get_all() or {}).items() if k != "package"}
    path = options.pop("path", None)
    return options, path


def handle_component(scope: Scope) -> None:
    """Add the policy; re-add it (same path: replaced) when options change."""
    options, path = _split(scope)
    scope.app.cors(options, path=path)

    def changed(key: list[str], value: Any, config: Any) -> None:
        new, new_path = _split(scope)
        if new_path != path:
            scope.request_restart()
            return
        try:
            validate_options({**new, **({"path": path} if path else {})})
        except OptionError as exc:
            scope.app.logger.error("[%s] not applied: %s", scope.name, exc)
            return
        scope.app.cors(new, path=path)

    scope.options.on("change", changed)
