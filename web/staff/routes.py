"""Routes of the staff pages."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from web.staff import boards, book, day, reception, register, reschedule

routes: list[BaseRoute] = [
    Route("/staff/register", register.register, methods=["GET"]),
    Route("/staff/register/{id}", register.detail, methods=["GET"]),
    Route("/staff/register/{id}/reschedule", reschedule.reschedule_form, methods=["GET"]),
    Route("/staff/register/{id}/reschedule", reschedule.reschedule, methods=["POST"]),
    Route(
        "/staff/register/{id}/{action:str}",
        register.act,
        methods=["POST"],
    ),
    Route("/staff/book", book.book_form, methods=["GET"]),
    Route("/staff/book", book.book, methods=["POST"]),
    Route("/staff/plan", day.plan, methods=["GET"]),
    Route("/staff/plan/{id}/{action:str}", day.plan_action, methods=["POST"]),
    Route("/staff/docket", day.docket, methods=["GET"]),
    Route("/staff/reception", reception.reception, methods=["GET"]),
    Route("/staff/boards", boards.boards, methods=["GET"]),
]
