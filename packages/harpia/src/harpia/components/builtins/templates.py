"""The ``templates`` built-in: a ``harpia_templates.TemplateEngine`` as the app's engine.

Options::

    [templates]
    views = "templates/views"            # required; folders are relative to the app folder
    layouts = "templates/layouts"
    components = "templates/components"
    view_name = false                    # render("home") -> views/home.html
                                         # ("page": views/home/page.html)
    use_modules = false
    file_extension = ".html"
    strict = false

``res.render(view, data)`` then renders with it. The template folders are watched through
an ``EntryHandler`` (same API as extensions): any add, change or unlink clears the
engine's compiled templates, so the next render compiles the saved file. A changed option
builds a new engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._errors import OptionError
from ._schema import boolean, check_options, files, optional_string, string

if TYPE_CHECKING:
    from harpia_templates import TemplateEngine

    from .. import EntryEvent, Scope

FOLDERS = ("views", "layouts", "components")
SCHEMA = {
    "views": string,
    "layouts": string,
    "components": string,
    "view_name": optional_string,
    "use_modules": boolean,
    "file_extension": string,
    "strict": boolean,
}


def validate_options(options: dict[str, Any]) -> None:
    """Every key known and of the right type, ``views`` required, folders inside the app."""
    values = check_options(options, SCHEMA, required=("views",))
    for key in FOLDERS:
        if key in values:
            files(key, _glob(values[key]))


def _glob(folder: str) -> str:
    return folder.rstrip("/") + "/**"


def make_engine(scope: Scope, options: dict[str, Any]) -> TemplateEngine:
    """The engine the options describe, its folders resolved against the app folder."""
    from harpia_templates import TemplateEngine

    values = check_options({k: v for k, v in options.items() if k != "package"}, SCHEMA)
    paths = {key: str(scope.directory / values.pop(key)) for key in FOLDERS if key in values}
    try:
        return TemplateEngine(paths, auto_reload=scope.development, **values)
    except (TypeError, ValueError) as exc:
        raise OptionError(None, str(exc)) from exc


def _watched(options: dict[str, Any]) -> dict[str, Any]:
    return {"files": [_glob(options[key]) for key in FOLDERS if key in options]}


def handle_component(scope: Scope) -> None:
    """Configure the engine; recompile on file events; rebuild on option changes."""
    options = scope.options.get_all() or {}
    engine = make_engine(scope, options)
    engine.configure(scope.app)
    current = [engine]

    def entry(event: EntryEvent) -> None:
        current[0].clear_cache()

    handler = scope.handle_entry(_watched(options), entry)

    async def changed(key: list[str], value: Any, config: Any) -> None:
        fresh = scope.options.get_all() or {}
        try:
            engine = make_engine(scope, fresh)
        except OptionError as exc:
            scope.app.logger.error("[%s] not applied: %s", scope.name, exc)
            return
        current[0] = engine
        engine.configure(scope.app)
        await handler.update(_watched(fresh)["files"])

    scope.options.on("change", changed)
