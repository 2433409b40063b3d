"""The e-ticket's state as JSON (GET /api/v1/etickets/{token}): what the paper ticket's page
shows, for an app or a city portal that follows a ticket without the page."""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from web.apierrors import ApiModel, error, reply
from web.eticket.state import ticket_view
from web.i18n import language_of


class TicketState(ApiModel):
    number: str = Field(description="the ticket's number, e.g. A012")
    site: str = Field(description="the site (location) id")
    site_name: str
    service_name: str = Field(description="in the language asked (?lang=pl|en|uk)")
    status: str = Field(description="waiting, called, serving, done, missed, cancelled")
    counter_name: str | None = Field(None, description="where the visitor is called to")
    counter_number: str | None = None
    ahead: int | None = Field(None, description="people ahead, while waiting")
    wait_min: int | None = Field(None, description="the estimated wait, minutes")
    offline: bool = Field(description="the site's hub has not reported for a minute")
    finished: bool = Field(description="nothing more will change (done, missed, or a past day)")


async def ticket(request: Request) -> JSONResponse:
    token = request.path_params["token"]
    view = await ticket_view(request.app.state.engine, token, language_of(request))
    if view is None or len(token) > 64:
        return error(404, "not_found")
    return reply(
        TicketState(
            number=view.number,
            site=view.site,
            site_name=view.site_name,
            service_name=view.service_name,
            status=view.status,
            counter_name=view.counter_name,
            counter_number=view.counter_number,
            ahead=view.ahead,
            wait_min=view.wait_min,
            offline=view.offline,
            finished=view.finished,
        ),
        Cache_Control="no-store",
    )
