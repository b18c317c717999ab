"""The ``shield`` built-in: security headers on every response (``app.shield(options)``).

Options are those of ``harpia.SecurityHeaders`` (snake_case or camelCase), e.g.::

    [shield]
    use_nonce = true
    strict_transport_security = false
    content_security_policy = { directives = { script_src = ["'self'"] } }

A changed option is applied live (the whole configuration is replaced).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._errors import OptionError
from ._schema import api_error

if TYPE_CHECKING:
    from .. import Scope


def validate_options(options: dict[str, Any]) -> None:
    """Build the shield once to check every option (its errors name the field)."""
    from ..._shield import make_shield

    try:
        make_shield(dict(options))
    except (TypeError, ValueError) as exc:
        raise api_error(exc, options) from exc


def _options(scope: Scope) -> dict[str, Any]:
    return {k: v for k, v in (scope.options.get_all() or {}).items() if k != "package"}


def handle_component(scope: Scope) -> None:
    """Apply the options, and again whenever they change."""
    scope.app.shield(_options(scope))

    def changed(key: list[str], value: Any, config: Any) -> None:
        options = _options(scope)
        try:
            validate_options(options)
        except OptionError as exc:
            scope.app.logger.error("[%s] not applied: %s", scope.name, exc)
            return
        scope.app.shield(options)

    scope.options.on("change", changed)
