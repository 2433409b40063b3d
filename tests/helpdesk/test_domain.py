"""The request workflow without any I/O: statuses, who may do what, the clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from web.helpdesk.domain import (
    Action,
    Actor,
    NotAllowed,
    RatingClosed,
    ReasonRequired,
    RepeatUnit,
    Role,
    Status,
    WrongStatus,
    actions_for,
    can_see,
    check_rating,
    decide,
    initial_status,
    is_overdue,
    is_red,
    next_repeat,
)

NOW = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
UNIT = Actor(1, Role.UNIT, unit_id=10)
STAFF = Actor(2, Role.SERVICE)


def test_service_staff_accept_reject_and_complete_in_order():
    assert decide(STAFF, Action.ACCEPT, Status.NEW, "") is Status.IN_PROGRESS
    assert decide(STAFF, Action.COMPLETE, Status.IN_PROGRESS, "") is Status.COMPLETED
    assert decide(STAFF, Action.REJECT, Status.IN_PROGRESS, "duplikat") is Status.REJECTED
    with pytest.raises(WrongStatus):
        decide(STAFF, Action.COMPLETE, Status.NEW, "")
    with pytest.raises(WrongStatus):
        decide(STAFF, Action.ACCEPT, Status.RATED, "")


def test_a_rejection_needs_its_reason():
    with pytest.raises(ReasonRequired):
        decide(STAFF, Action.REJECT, Status.NEW, "  ")


def test_a_unit_user_cannot_change_the_status():
    assert actions_for(UNIT, Status.NEW) == []
    with pytest.raises(NotAllowed):
        decide(UNIT, Action.ACCEPT, Status.NEW, "")


def test_a_unit_user_sees_only_the_units_requests():
    assert can_see(UNIT, 10) and not can_see(UNIT, 11)
    assert can_see(STAFF, 11)


def test_new_turns_red_after_24_hours_without_acceptance():
    published = NOW - timedelta(hours=24)
    assert not is_red(Status.NEW, published, NOW)
    assert is_red(Status.NEW, published, NOW + timedelta(seconds=1))
    assert not is_red(Status.IN_PROGRESS, published, NOW + timedelta(days=3))
    assert is_red(Status.NEW, (NOW - timedelta(days=2)).replace(tzinfo=None), NOW)  # SQLite


def test_rating_is_open_for_30_days_after_completion():
    done = NOW - timedelta(days=30)
    check_rating(Status.COMPLETED, done, NOW, 5, "Sprawnie")
    with pytest.raises(RatingClosed):
        check_rating(Status.COMPLETED, done, NOW + timedelta(seconds=1), 5, "Sprawnie")
    with pytest.raises(WrongStatus):
        check_rating(Status.IN_PROGRESS, None, NOW, 5, "x")


def test_a_publication_time_in_the_future_schedules_the_request():
    assert initial_status(None, NOW) is Status.NEW
    assert initial_status(NOW + timedelta(hours=1), NOW) is Status.SCHEDULED


def test_monthly_repetition_keeps_to_the_month_end_without_drifting():
    assert next_repeat(NOW, 1, RepeatUnit.MONTH, 1) == NOW.replace(month=2, day=28)
    assert next_repeat(NOW, 1, RepeatUnit.MONTH, 2) == NOW.replace(month=3, day=31)
    assert next_repeat(NOW, 2, RepeatUnit.WEEK, 1) == NOW + timedelta(weeks=2)
    assert next_repeat(NOW, 3, RepeatUnit.DAY, 2) == NOW + timedelta(days=6)
    assert next_repeat(NOW, 12, RepeatUnit.MONTH, 1).year == 2027


def test_overdue_counts_only_while_work_is_open():
    assert is_overdue(Status.IN_PROGRESS, date(2026, 1, 30), date(2026, 1, 31))
    assert not is_overdue(Status.COMPLETED, date(2026, 1, 30), date(2026, 1, 31))
    assert not is_overdue(Status.NEW, date(2026, 1, 31), date(2026, 1, 31))


def test_the_centres_contact_defaults_to_help_at_the_no_reply_senders_domain():
    from web.helpdesk.contact import Contact, default_for

    assert default_for("Urząd Miasta <no-reply@um.example>") == Contact("pomoc@um.example")
    assert default_for("uslugi.powiadomienia@cum.kielce.eu").email == "pomoc@cum.kielce.eu"
    assert default_for("Okienko").email == "pomoc@localhost"


def test_an_edited_services_fields_keep_their_keys_so_filed_values_keep_their_labels():
    from web.helpdesk.accounts import Field, fields_spec, refit_fields

    old = [Field("people", "Liczba osób", number=True, required=True), Field("f2", "Sala")]
    new = refit_fields("Budynek\n*Liczba osób #", old)
    assert [(f.key, f.label, f.number, f.required) for f in new] == [
        ("f3", "Budynek", False, False),  # never f2 again: old requests hold "Sala" under it
        ("people", "Liczba osób", True, True),
    ]
    assert fields_spec(new) == "Budynek\n*Liczba osób #"
