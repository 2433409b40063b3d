"""What a visitor can choose on each screen of the dispenser, in the order the screen shows
it: the keypad's focus walks this list, and each choice carries what is said when it gets
focus. Pure: the view draws the same choices under the same keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from appliance.common.i18n import LANGUAGES, NATIVE_NAMES
from appliance.dispenser import phrases
from hub.contract import access_code
from hub.domain.events import PriorityReason

if TYPE_CHECKING:
    from appliance.dispenser.presenter import Tile


@dataclass(frozen=True)
class Choice:
    """One thing a visitor can choose on the current screen, in focus order (the view's order).
    `key` names the action: "service:ID", "reason:R", "sign:C", "priority", "check_in",
    "cancel", "delete", "ok", "reprint", "contrast", "extend", "language:L".
    `language`: the voice it is said in when not the session's (each language's own name)."""

    key: str
    spoken: str
    enabled: bool = True
    language: str | None = None


def reasons(_: Callable[[str], str]) -> tuple[tuple[str, str], ...]:
    """The legal grounds for priority service, as the screen lists them."""
    return (
        (PriorityReason.PREGNANCY.value, _("Pregnancy")),
        (PriorityReason.DISABILITY.value, _("Disability")),
        (PriorityReason.LARGE_FAMILY.value, _("Large Family Card")),
        (PriorityReason.SENIOR.value, _("Senior")),
        (PriorityReason.OTHER.value, _("Other legal grounds")),
    )


def choices(
    screen: str,
    services: tuple[Tile, ...],
    *,
    priority: bool,
    code: str,
    warning: bool,
    contrast: bool,
    _: Callable[[str], str],
    n_: phrases.NGettext,
    language: str = "pl",
) -> tuple[Choice, ...]:
    """`screen` is the presenter's (services, priority, code, ticket, trouble), or "offline"."""
    out: list[Choice] = []
    if warning:
        out.append(Choice("extend", _("More time")))
    if screen == "offline":
        return tuple(out)
    if screen == "priority":
        out += [Choice(f"reason:{r}", label) for r, label in reasons(_)]
        out.append(Choice("cancel", _("Back")))
    elif screen == "code":
        out += [Choice(f"sign:{c}", c) for c in access_code.ALPHABET]
        out.append(Choice("delete", _("Delete the last sign.")))
        out.append(Choice("cancel", _("Back")))
        ok = " ".join((_("OK, check in."), phrases.code_so_far(code, _)))
        out.append(Choice("ok", ok, len(code) >= 4))
    elif screen in ("ticket", "trouble"):
        if screen == "trouble":
            out.append(Choice("reprint", _("Print again")))
        out.append(Choice("cancel", _("Back")))
    else:
        for t in services:
            spoken = phrases.service(t.name, t.waiting, t.wait_s, t.reason, _, n_)
            out.append(Choice(f"service:{t.service}", spoken, t.enabled))
        if priority:
            out.append(Choice("cancel", _("Back, without priority.")))
        else:
            out.append(
                Choice(
                    "priority",
                    _(
                        "Priority service: for pregnant women, people with a disability, "
                        "holders of the Large Family Card and seniors."
                    ),
                )
            )
        out.append(Choice("check_in", _("Confirm a booked visit, with the code.")))
    state = _("on") if contrast else _("off")
    out.append(Choice("contrast", _("Large text and high contrast") + ": " + state))
    if screen == "services" and not priority:
        # Last, as the screen's bottom row: each language named, and spoken, in itself.
        for lang in LANGUAGES:
            spoken = NATIVE_NAMES[lang]
            if lang == language:
                spoken = _("{language}, chosen.").format(language=spoken)
            out.append(Choice(f"language:{lang}", spoken, language=lang))
    return tuple(out)
