"""The dispenser presenter against a real hub: tiles, one ticket per tap, printer trouble with a
reprint, priority tickets, and the return to the start screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from appliance.common.hub_client import HubClient
from appliance.dispenser.presenter import DispenserPresenter
from hub.contract import messages as msg
from tests.conftest import SiteRig
from tests.support.hubproc import HubProcess
from tests.support.observe import watching

Connect = Callable[[str], HubClient]


class PaperOut(Exception):
    state = msg.PrinterState.PAPER_OUT


class RecordingPrinter:
    """Stands in for the USB printer that cannot exist here (the real adapters are in
    appliance.printing); it can be told to run out of paper."""

    def __init__(self) -> None:
        self.printed: list[Any] = []
        self.paper = True

    def print_ticket(self, ticket: Any) -> None:
        if not self.paper:
            raise PaperOut("paper out")
        self.printed.append(ticket)

    def status(self) -> msg.PrinterState:
        return msg.PrinterState.OK if self.paper else msg.PrinterState.PAPER_OUT


def make(client: HubClient, printer: RecordingPrinter, **kw: Any) -> DispenserPresenter:
    return DispenserPresenter(
        client,
        printer,
        run=lambda fn: fn(),
        make_ticket=lambda ticket, site, _: (ticket.number, site),
        **kw,
    )


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_tiles_show_waiting_and_why_a_service_is_unavailable(hub: HubProcess, connect: Connect):
    p = make(connect("dispenser-1"), RecordingPrinter())
    eventually(lambda: p.model().available)
    tiles = {t.service: t for t in p.model().tiles}
    assert tiles["dowody"].enabled
    assert not tiles["nieczynne"].enabled and tiles["nieczynne"].reason == "Teraz nieczynne"
    assert p.model().texts["title"] == "Wybierz sprawę"


def test_one_tap_one_ticket_even_when_tapped_twice(hub: HubProcess, connect: Connect):
    printer = RecordingPrinter()
    pending: list[Callable[[], None]] = []
    p = DispenserPresenter(
        connect("dispenser-1"),
        printer,
        run=pending.append,
        make_ticket=lambda ticket, site, _: ticket.number,
    )
    eventually(lambda: p.model().available)
    p.choose_service("dowody")
    p.choose_service("dowody")  # the second tap lands while the first is in flight
    assert len(pending) == 1
    pending.pop()()
    assert len(printer.printed) == 1 and p.model().screen == "ticket"


def test_paper_out_is_reported_shown_and_the_ticket_can_be_reprinted(
    rig: SiteRig, hub: HubProcess, connect: Connect
):
    topic = f"okienko/v1/{rig.site_id}/status/dispenser-2"
    with watching(rig.port, rig.passwords["hub"], topic, rig.ca_file) as statuses:
        printer = RecordingPrinter()
        p = make(connect("dispenser-2"), printer)
        eventually(lambda: p.model().available)
        printer.paper = False
        p.choose_service("dowody")
        model = p.model()
        assert model.screen == "trouble" and model.ticket is not None
        assert model.message == "Proszę pobrać bilet w punkcie informacyjnym."
        eventually(lambda: any(s["printer"] == "paper_out" for s in statuses))
        number = model.ticket.number
        printer.paper = True
        p.reprint()
        assert [n for n, _ in printer.printed] == [number]  # the same ticket, not a new one
        assert p.model().screen == "ticket"


def test_priority_ticket_and_return_to_start_when_idle(hub: HubProcess, connect: Connect):
    clock = [0.0]
    p = make(
        connect("dispenser-1"), RecordingPrinter(), monotonic=lambda: clock[0], idle_seconds=20
    )
    eventually(lambda: p.model().available)
    p.start_priority()
    assert p.model().screen == "priority"
    p.choose_priority("pregnancy")
    assert p.model().priority_reason == "pregnancy"
    p.choose_service("dowody")
    assert p.model().ticket is not None and p.model().ticket.kind == "priority"
    clock[0] += 25
    p.tick()
    assert p.model().screen == "services" and p.model().ticket is None


class Speaker:
    """The guide's ear: what the presenter asked to be said, in order."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.voices: list[str] = []  # the language each phrase was said in

    def say(self, text: str, *, language: str) -> None:
        self.said.append(text)
        self.voices.append(language)


def test_time_runs_out_only_after_a_warning_on_screen_and_aloud_and_can_be_extended(
    hub: HubProcess, connect: Connect
):
    clock = [0.0]
    ear = Speaker()
    p = make(
        connect("dispenser-1"),
        RecordingPrinter(),
        monotonic=lambda: clock[0],
        idle_seconds=20,
        speaker=ear,
    )
    eventually(lambda: p.model().available)
    p.start_code()
    p.key("A")
    clock[0] += 21
    p.tick()
    m = p.model()
    assert m.screen == "code" and m.code == "A"
    assert m.warning == "Potrzebujesz więcej czasu? Dotknij ekranu albo naciśnij dowolny klawisz."
    assert ear.said == [f"{m.warning} W przeciwnym razie biletomat zacznie od początku."]
    clock[0] += 19  # 20 s to answer (WCAG 2.2.1)
    p.tick()
    assert p.model().screen == "code"
    p.extend()  # "Więcej czasu", a touch or a key
    assert p.model().warning == "" and p.model().code == "A"
    clock[0] += 21
    p.tick()
    assert p.model().warning
    clock[0] += 20
    p.tick()
    assert p.model().screen == "services" and p.model().code == "" and not p.model().warning


def test_keypad_focus_walks_the_choices_and_the_session_ends_when_left(
    hub: HubProcess, connect: Connect
):
    clock = [0.0]
    ear = Speaker()
    p = make(
        connect("dispenser-1"),
        RecordingPrinter(),
        monotonic=lambda: clock[0],
        idle_seconds=20,
        speaker=ear,
    )
    eventually(lambda: p.model().available)
    assert p.model().focus is None  # no ring until the keypad is used
    p.nav("down")  # the first key only starts the guidance
    assert ear.said[-1].startswith("Prowadzenie głosowe włączone.")
    assert p.model().focus == "service:dowody"
    p.nav("up")  # round to the last choice: the languages' row, each named in its own voice
    assert p.model().focus == "language:uk"
    assert (ear.said[-1], ear.voices[-1]) == ("Українська", "uk")
    p.nav("up")
    assert (ear.said[-1], ear.voices[-1]) == ("English", "en")
    p.nav("up")
    assert (ear.said[-1], ear.voices[-1]) == ("Polski, wybrany.", "pl")
    p.nav("up")
    assert p.model().focus == "contrast"
    assert ear.said[-1] == "Duży tekst i wysoki kontrast: wyłączony"
    p.nav("activate")
    assert p.model().contrast and ear.said[-1] == "Włączono duży tekst i wysoki kontrast."
    p.nav("up")
    p.nav("activate")  # "Potwierdzenie wizyty"
    assert p.model().screen == "code" and p.model().focus == "sign:2"
    p.nav("down")  # a row of eight down
    assert p.model().focus == "sign:A" and ear.said[-1] == "A"
    p.nav("activate")
    assert p.model().code == "A" and ear.said[-1] == "A. Wpisany kod: A."
    p.nav("delete")
    assert p.model().code == "" and ear.said[-1] == "Usunięto. Kod jest pusty."
    # A visitor who walks away: warned after three times the usual time, then a fresh start.
    clock[0] += 59
    p.tick()
    assert not p.model().warning
    clock[0] += 2
    p.tick()
    assert p.model().warning
    clock[0] += 20
    p.tick()
    m = p.model()
    assert (m.screen, m.focus, m.contrast) == ("services", None, False)
    p.nav("contrast")  # the star starts the guidance and does what it says
    assert p.model().contrast
    assert ear.said[-1].startswith("Włączono duży tekst i wysoki kontrast. Prowadzenie głosowe")
    p.client.stop()  # the hub is gone: said, not only shown
    eventually(lambda: not p.model().available)
    assert ear.said[-1].startswith("Brak połączenia z serwerem.")


def test_a_refused_code_is_spoken(hub: HubProcess, connect: Connect):
    """EN 301 549 5.1.3.15: an error the screen shows is also said while the voice guides."""
    ear = Speaker()
    p = make(connect("dispenser-1"), RecordingPrinter(), speaker=ear)
    eventually(lambda: p.model().available)
    p.nav("activate")  # starts the guidance
    p.typed("ZZZZ ZZZZ")  # a scanner reads a code the hub does not know
    assert p.model().screen == "code" and ear.said[-1] == "Wpisany kod: Z Z Z Z Z Z Z Z."
    p.enter()  # the scanner's Enter submits what it typed
    eventually(lambda: bool(p.model().message) and not p.model().busy)
    assert ear.said[-1] == p.model().message


def test_a_second_press_of_the_same_key_within_the_set_time_is_ignored(
    hub: HubProcess, connect: Connect
):
    """EN 301 549 5.8 (double-strike key acceptance): `double_strike_s` in the config."""
    clock = [0.0]
    p = make(
        connect("dispenser-1"),
        RecordingPrinter(),
        monotonic=lambda: clock[0],
        speaker=Speaker(),
        double_strike_s=0.5,
    )
    eventually(lambda: p.model().available)
    p.nav("down")  # starts the guidance on the first service
    clock[0] += 1
    p.nav("down")
    assert p.model().focus == "service:meldunki"
    clock[0] += 0.3
    p.nav("down")  # a bounce: ignored
    assert p.model().focus == "service:meldunki"
    clock[0] += 0.6
    p.nav("down")
    assert p.model().focus == "service:nieczynne"


def test_a_visitors_language_lasts_until_the_ticket_is_taken_or_time_runs_out(
    hub: HubProcess, connect: Connect
):
    """The screens, the voice and the printed ticket follow the visitor's language; the next
    visitor finds Polish again: after Back from the ticket, or after the warned time-out."""
    clock = [0.0]
    ear = Speaker()
    printer = RecordingPrinter()
    p = DispenserPresenter(
        connect("dispenser-1"),
        printer,
        run=lambda fn: fn(),
        monotonic=lambda: clock[0],
        speaker=ear,
    )
    eventually(lambda: p.model().available)
    p.choose_language("uk")
    m = p.model()
    assert (m.language, m.texts["title"]) == ("uk", "Виберіть справу")
    # the site names this service only in Polish: the Polish name stays
    assert m.tiles[0].name == "Dowody osobiste" and "чека" in m.tiles[0].waiting_text
    p.nav("down")  # the keypad: the guidance speaks Ukrainian, in the Ukrainian voice
    assert ear.said[-1].startswith("Голосовий супровід увімкнено.") and ear.voices[-1] == "uk"
    p.choose_service("dowody")
    (printed,) = printer.printed
    assert printed.note == "Будь ласка, чекайте, доки ваш номер з’явиться на екрані."
    assert ear.said[-1].startswith("Ваш номер ") and ear.voices[-1] == "uk"
    p.cancel()  # the ticket is taken: the next visitor starts in Polish
    assert p.model().texts["title"] == "Wybierz sprawę" and p.model().language == "pl"
    p.choose_language("en")
    clock[0] += 60  # a visitor who chose English and walked away: warned, then Polish again
    p.tick()
    assert p.model().warning.startswith("Do you need more time?")
    clock[0] += 20
    p.tick()
    assert p.model().language == "pl" and p.model().texts["title"] == "Wybierz sprawę"


class TurnableSpeaker(Speaker):
    """The guide's ear, with its volume knob (``Guide.set_volume``)."""

    def __init__(self) -> None:
        super().__init__()
        self.volumes: list[float] = []

    def set_volume(self, volume: float) -> None:
        self.volumes.append(volume)


def test_plus_and_minus_change_the_volume_for_one_visitor(hub: HubProcess, connect: Connect):
    """The keypad's + and - (EN 301 549 5.1.3.1: the user controls the loudness): a step of
    10 per cent, announced; at the limits the voice says so; the next visitor finds the
    configured loudness again."""
    clock = [0.0]
    ear = TurnableSpeaker()
    p = make(
        connect("dispenser-1"),
        RecordingPrinter(),
        monotonic=lambda: clock[0],
        idle_seconds=20,
        speaker=ear,
        volume=30,
    )
    eventually(lambda: p.model().available)
    p.nav("quieter")  # the first key starts the guidance, and does what it says
    assert ear.said[-1].startswith("Ciszej. Głośność 20 procent. Prowadzenie głosowe włączone.")
    assert "Klawisze plus i minus zmieniają głośność." in ear.said[-1]
    assert ear.volumes == [0.2]
    p.nav("quieter")
    assert ear.said[-1] == "Ciszej. Głośność 10 procent."
    p.nav("quieter")
    assert ear.said[-1] == "To najmniejsza głośność." and ear.volumes == [0.2, 0.1]
    for _ in range(14):
        p.nav("louder")
    assert ear.said[-1] == "Głośniej. Głośność 150 procent." and ear.volumes[-1] == 1.5
    p.nav("louder")
    assert ear.said[-1] == "To największa głośność."
    p.choose_language("uk")
    p.nav("quieter")
    assert ear.said[-1] == "Тихіше. Гучність 140 відсотків." and ear.voices[-1] == "uk"
    clock[0] += 61  # the visitor walks away: warned, then a fresh start at the set volume
    p.tick()
    clock[0] += 20
    p.tick()
    assert p.model().screen == "services" and ear.volumes[-1] == 0.3
    p.nav("louder")
    p.choose_service("dowody")
    eventually(lambda: p.model().screen == "ticket")
    assert ear.volumes[-1] == 0.4  # the ticket is this visitor's: still their loudness
    p.cancel()  # the ticket is taken: the next visitor hears the set volume again
    assert ear.volumes[-1] == 0.3
