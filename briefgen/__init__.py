"""briefgen: negotiation-round fact sheets (YAML) into dated, marked briefings in Markdown, HTML and PDF.

The public API is imported lazily, so `briefgen --help` does not pay for pydantic or Jinja.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the no-op rebuild's path
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "build": "pipeline",
    "BuildOptions": "pipeline",
    "BuildResult": "pipeline",
    "load": "loader",
    "LoadedSheet": "loader",
    "FactSheet": "models",
    "BriefgenError": "errors",
}
__all__ = ["BriefgenError", "BuildOptions", "BuildResult", "FactSheet", "LoadedSheet", "__version__", "build", "load"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module 'briefgen' has no attribute {name!r}")
