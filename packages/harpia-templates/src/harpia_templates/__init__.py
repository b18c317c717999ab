"""harpia-templates: a compiled, sandboxed template engine.

Usage:
    >>> from harpia_templates import TemplateEngine
    >>> engine = TemplateEngine()
    >>> engine.register_plugin("uppercase", lambda s: s.upper())
    >>> engine.render_string("<p>{{ uppercase(name) }}</p>", {"name": "<ana>"})
    '<p>&lt;ANA&gt;</p>'
"""

from __future__ import annotations

from ._engine import ModuleViews as ModuleViews
from ._engine import TemplateEngine as TemplateEngine
from ._errors import TemplateError as TemplateError
from ._errors import TemplateLimitError as TemplateLimitError
from ._errors import TemplateNotFound as TemplateNotFound
from ._errors import TemplateSyntaxError as TemplateSyntaxError
from ._runtime import Markup as Markup
from ._version import __version__ as __version__

__all__ = (
    "Markup",
    "ModuleViews",
    "TemplateEngine",
    "TemplateError",
    "TemplateLimitError",
    "TemplateNotFound",
    "TemplateSyntaxError",
    "__version__",
)
