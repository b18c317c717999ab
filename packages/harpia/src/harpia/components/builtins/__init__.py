"""The built-in components: each a module with ``validate_options`` and ``handle_component``,
built on the same ``Scope`` API as third-party extensions."""

BUILTINS = ("static", "templates", "routes", "shield", "cors", "telemetry", "session")
