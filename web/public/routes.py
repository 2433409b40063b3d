"""Routes of the visitors' pages (filled in by the booking pages)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
