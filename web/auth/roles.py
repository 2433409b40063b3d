"""Who may do what on the staff pages. One table; endpoints name a permission, not roles."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    MANAGER = "manager"
    CLERK = "clerk"
    RECEPTION = "reception"


ALL = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    # see the reservation register and a reservation's history
    "register.view": ALL,
    # confirm, cancel, annotate, reschedule, book for a caller on the phone
    "register.edit": frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.RECEPTION, Role.CLERK}),
    # the plan of the day of a service point, and marking visits kept or not kept
    "plan": frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.CLERK}),
    # the printed docket ("wokanda")
    "docket": ALL,
    # the information boards of the account's locations (to open on the hall screen)
    "boards": ALL,
    # reception: look up an access code
    "reception": frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.RECEPTION}),
    # queue statistics and reservation outcomes, with exports
    "reports": frozenset({Role.ADMINISTRATOR, Role.MANAGER}),
    # the sites' hubs: sync health, devices
    "sites": frozenset({Role.ADMINISTRATOR, Role.MANAGER}),
    # departments, locations, services, service points, calendars, staff accounts
    "admin": frozenset({Role.ADMINISTRATOR}),
}


# Whose visits an account sees and changes, unless the administrator set it otherwise: these
# roles every location's, the others only their own location's (web/staff/scope.py).
ALL_LOCATIONS_BY_DEFAULT = frozenset({Role.ADMINISTRATOR, Role.MANAGER})


def sees_all_locations_by_default(role: str) -> bool:
    return role in ALL_LOCATIONS_BY_DEFAULT


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]
