"""A role in one part of the cloud, as an identity source hands it out: ``part:role`` or
``part:role@scope`` (``staff:reception@torun``, ``helpdesk:unit@4``, ``faults:supervisor@2``).

The catalogue below names every part's roles and whether a role needs its scope (a location,
a unit, a department or group). It reads the parts' pure role enums only; it is checked when a
configuration is loaded, so a typo refuses the file instead of granting nothing to everybody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Scope(Enum):
    NONE = "none"  # the role takes no scope
    OPTIONAL = "optional"
    REQUIRED = "required"
    NUMBER = "number"  # required, a whole number (an id)


def _catalogue() -> dict[str, dict[str, Scope]]:
    from web.auth.roles import Role as StaffRole
    from web.faults.domain import Role as FaultRole
    from web.helpdesk.domain import Role as HelpdeskRole

    return {
        # queue and booking staff: a location, for whose visits they see (web/staff/scope.py)
        "staff": {str(r): Scope.OPTIONAL for r in StaffRole},
        "helpdesk": {
            str(HelpdeskRole.ADMIN): Scope.NONE,
            str(HelpdeskRole.SERVICE): Scope.NONE,
            str(HelpdeskRole.UNIT): Scope.NUMBER,  # the unit's id
        },
        "faults": {
            str(FaultRole.ADMIN): Scope.NONE,
            str(FaultRole.SUPER_SUPERVISOR): Scope.NONE,
            str(FaultRole.OPERATOR): Scope.NONE,
            str(FaultRole.SUPERVISOR): Scope.NUMBER,  # the department's id
            str(FaultRole.COORDINATOR): Scope.NUMBER,  # the coordinator group's id
            str(FaultRole.REALIZER): Scope.NUMBER,  # the realizer group's id
        },
    }


class GrantError(ValueError):
    """Why a ``part:role@scope`` text is not a role (English, names what is wrong)."""


@dataclass(frozen=True, order=True)
class Grant:
    part: str
    role: str
    scope: str | None = None

    def __str__(self) -> str:
        return f"{self.part}:{self.role}" + (f"@{self.scope}" if self.scope else "")

    @classmethod
    def parse(cls, text: str) -> Grant:
        catalogue = _catalogue()
        head, _, scope = text.strip().partition("@")
        part, sep, role = head.partition(":")
        if not sep or part not in catalogue:
            parts = ", ".join(sorted(catalogue))
            raise GrantError(f"{text!r}: the part must be one of {parts} (written part:role)")
        rule = catalogue[part].get(role)
        if rule is None:
            roles = ", ".join(sorted(catalogue[part]))
            raise GrantError(f"{text!r}: {part} has no role {role!r} (its roles: {roles})")
        if scope and rule is Scope.NONE:
            raise GrantError(f"{text!r}: {part}:{role} takes no @scope")
        if not scope and rule in (Scope.REQUIRED, Scope.NUMBER):
            raise GrantError(f"{text!r}: {part}:{role} needs its @scope")
        if scope and rule is Scope.NUMBER and not scope.isdigit():
            raise GrantError(f"{text!r}: the scope of {part}:{role} is a number (an id)")
        return cls(part, role, scope or None)


def parse_mapping(
    raw: object, fail: Callable[[str, str], Exception], key: Callable[[str], str]
) -> dict[str, tuple[Grant, ...]]:
    """A role mapping of a settings file (an LDAP group DN, an OpenID Connect group or role
    name → ``part:role[@scope]`` texts), every entry checked: one bad key or role refuses the
    whole mapping, so a typo never strips everyone's roles. ``key`` gives an entry's key as it
    is compared (ValueError: not a key); ``fail(key, why)`` makes the error to raise."""
    if not isinstance(raw, dict) or not raw:
        raise fail("roles", "map at least one group to its roles")
    mapping: dict[str, tuple[Grant, ...]] = {}
    for name, grants in raw.items():
        where = f"roles.{name!r}"
        try:
            compared = key(name)
        except ValueError as exc:
            raise fail(where, str(exc)) from None
        if isinstance(grants, str):
            grants = [grants]
        if not isinstance(grants, list) or not grants:
            raise fail(where, "a list of part:role[@scope]")
        try:
            mapping[compared] = tuple(Grant.parse(str(g)) for g in grants)
        except GrantError as exc:
            raise fail(where, str(exc)) from None
    return mapping
