"""The spoken text of a call from a site's template."""

from __future__ import annotations

import pytest

from appliance.speech.text import (
    ENGLISH_TEMPLATE,
    POLISH_TEMPLATE,
    TemplateError,
    check_template,
    split_ticket,
    spoken_text,
)
from hub.config import Site


def test_polish_template_says_the_number_not_its_digits() -> None:
    assert spoken_text(POLISH_TEMPLATE, "A012", "3") == "Numer A 12, stanowisko 3."


def test_english_template() -> None:
    assert spoken_text(ENGLISH_TEMPLATE, "B007", "12") == "Number B 7, counter 12."


def test_a_site_template_may_use_the_whole_ticket() -> None:
    text = spoken_text("Bilet {ticket} – okienko {counter}", "C100", "2")
    assert text == "Bilet C100 – okienko 2"


def test_transferred_ticket_keeps_all_its_letters() -> None:
    assert split_ticket("AB007") == ("AB", 7)
    assert split_ticket("A000") == ("A", 0)


@pytest.mark.parametrize("bad", ["012", "A", "", "A-12", "1A2"])
def test_not_a_ticket_number_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a ticket number"):
        split_ticket(bad)


def test_unknown_placeholder_is_named_in_the_error() -> None:
    with pytest.raises(TemplateError, match=r"unknown placeholder \{okienko\}") as caught:
        spoken_text("Numer {letters} {number}, okienko {okienko}.", "A012", "3")
    assert "{counter}" in str(caught.value)  # and says what may be used
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("bad", ["Numer {", "Numer {}", "Numer {0}", "Numer {number[0]}"])
def test_malformed_or_positional_templates_are_refused(bad: str) -> None:
    with pytest.raises(TemplateError):
        check_template(bad)


def test_format_spec_that_does_not_fit_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="cannot fill"):
        spoken_text("Numer {letters:d}", "A012", "3")


def test_the_hub_default_templates_are_valid_here() -> None:
    fields = Site.model_fields
    for name in ("announcement_pl", "announcement_en"):
        default = fields[name].default
        assert check_template(default) == default
