"""Routes of the visitors' pages: the five booking steps, the visit page behind the manage
link, and the booking terms and personal-data notice."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from web.public import booking, visit
from web.templating import render


async def terms(request: Request) -> Response:
    return render(request, "public/terms.html")


async def privacy(request: Request) -> Response:
    return render(request, "public/privacy.html")


routes: list[BaseRoute] = [
    Route("/", booking.home),
    Route("/book/place", booking.place),
    Route("/book/day", booking.day),
    Route("/book/hour", booking.hour),
    Route("/book/details", booking.details, methods=["GET"]),
    Route("/book/details", booking.submit_details, methods=["POST"]),
    Route("/book/code/{id}", booking.code, methods=["GET"]),
    Route("/book/code/{id}", booking.submit_code, methods=["POST"]),
    Route("/book/done/{id}", booking.done),
    # The .ics route first: "{token}" alone would also match "TOKEN.ics".
    Route("/visit/{token}.ics", visit.visit_ics),
    Route("/visit/{token}", visit.visit),
    Route("/visit/{token}/cancel", visit.cancel_form, methods=["GET"]),
    Route("/visit/{token}/cancel", visit.cancel, methods=["POST"]),
    Route("/visit/{token}/cancelled", visit.cancelled),
    Route("/terms", terms),
    Route("/privacy", privacy),
]
