"""Requests in SQLite and PostgreSQL: filing, isolation between units, the five-user cap,
status changes, rating, encrypted files, scheduled publication, repetition and the list."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpdesk.conftest import NOW, Catalogue
from web.helpdesk import accounts, listing, store
from web.helpdesk.crypto import WrongPassword
from web.helpdesk.domain import (
    Action,
    RatingClosed,
    RepeatUnit,
    Role,
    Status,
    UnitFull,
    WorkflowError,
    WrongStatus,
)
from web.identity import reset


def plain(cat: Catalogue, text: str = "Nie działa drukarka w sekretariacie") -> store.Filing:
    return store.Filing(cat.unit_a, cat.address_a, cat.it, text)


async def rows(engine: AsyncEngine, actor, f: listing.ListFilter, now=NOW) -> list:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return list(await conn.execute(listing.query(actor, f, now)))


async def test_a_unit_holds_at_most_five_users_even_when_added_at_once(
    engine: AsyncEngine, cat: Catalogue
):
    async def add(i: int) -> bool:
        try:
            await accounts.create_user(
                engine,
                email=f"u{i}@szkola.example",
                name=f"U{i}",
                role=Role.UNIT,
                unit_id=cat.unit_a,
                now=NOW,
            )
            return True
        except UnitFull:
            return False

    assert sum(await asyncio.gather(*(add(i) for i in range(8)))) == 4  # alice is the first
    # Deactivating one frees a place.
    users = await rows(engine, cat.staff, listing.ListFilter())  # no requests yet
    assert users == []
    await accounts.deactivate_user(engine, cat.alice.id)
    assert await add(99)


async def test_a_unit_user_cannot_see_another_units_request(engine: AsyncEngine, cat: Catalogue):
    filed = await store.file_request(engine, cat.alice, plain(cat), NOW)
    with pytest.raises(store.NotFound):
        await store.load(engine, cat.bob, filed.id)
    assert await rows(engine, cat.bob, listing.ListFilter(number=filed.id)) == []
    assert [r.id for r in await rows(engine, cat.alice, listing.ListFilter())] == [filed.id]
    assert (await store.load(engine, cat.staff, filed.id)).text.startswith("Nie działa")


async def test_a_unit_files_only_its_services(engine: AsyncEngine, cat: Catalogue):
    with pytest.raises(WorkflowError):
        await store.file_request(
            engine, cat.bob, store.Filing(cat.unit_b, cat.address_b, cat.bhp, "x"), NOW
        )
    with pytest.raises(WorkflowError):  # the service's own required field
        await store.file_request(
            engine, cat.alice, store.Filing(cat.unit_a, cat.address_a, cat.bhp, "Szkolenie"), NOW
        )


async def test_the_whole_path_with_rating_by_link(engine: AsyncEngine, cat: Catalogue):
    filed = await store.file_request(engine, cat.alice, plain(cat), NOW)
    assert filed.status is Status.NEW
    with pytest.raises(WorkflowError):
        await store.change_status(engine, cat.staff, filed.id, Action.REJECT, "", NOW)
    later = NOW + timedelta(hours=1)
    await store.change_status(engine, cat.staff, filed.id, Action.ACCEPT, "", later)
    await store.add_message(engine, cat.staff, filed.id, "Który pokój?", later)
    await store.add_message(engine, cat.alice, filed.id, "Pokój 12", later)
    done = await store.change_status(engine, cat.staff, filed.id, Action.COMPLETE, "", later)
    assert done.rating_token
    with pytest.raises(RatingClosed):
        await store.rate_by_token(
            engine, done.rating_token, 5, "Szybko", later + timedelta(days=31)
        )
    await store.rate_by_token(engine, done.rating_token, 5, "Szybko", later + timedelta(days=2))
    with pytest.raises(WrongStatus):  # used once (the link still says so)
        await store.rate_by_token(engine, done.rating_token, 1, "Jeszcze raz", later)
    d = await store.detail(engine, cat.alice, filed.id, later)
    assert d.request.status == "rated" and d.request.rating == 5 and not d.request.active
    assert [e.kind for e in d.events] == ["filed", "accept", "complete", "rated"]
    assert [m.body for m in d.messages] == ["Który pokój?", "Pokój 12"]
    assert {p.name for p in d.people.values()} == {"Alice", "Obsluga"}


async def test_an_encrypted_file_opens_only_with_the_mailed_password(
    engine: AsyncEngine, cat: Catalogue
):
    secret = b"PESEL 90010112345"
    filing = store.Filing(
        cat.unit_a,
        cat.address_a,
        cat.it,
        "Lista osób w załączniku",
        files=(store.NewFile("lista.txt", "text/plain", secret),),
        encrypt=True,
    )
    filed = await store.file_request(engine, cat.alice, filing, NOW)
    assert filed.password
    d = await store.detail(engine, cat.staff, filed.id, NOW)
    (a,) = d.attachments
    assert a.encrypted
    from sqlalchemy import select

    from web.helpdesk import tables as t

    async with engine.connect() as conn:
        stored = await conn.scalar(select(t.attachments.c.content))
    assert secret not in stored
    with pytest.raises(WrongPassword):
        await store.attachment(engine, cat.staff, filed.id, a.id, "zgadywane")
    with pytest.raises(WrongPassword):
        await store.attachment(engine, cat.staff, filed.id, a.id, None)
    name, _mime, data = await store.attachment(engine, cat.staff, filed.id, a.id, filed.password)
    assert (name, data) == ("lista.txt", secret)


async def test_a_messages_files_are_stored_and_opened_like_the_requests_own(
    engine: AsyncEngine, cat: Catalogue
):
    filed = await store.file_request(engine, cat.alice, plain(cat), NOW)
    secret = b"Jan Kowalski, PESEL 90010112345"
    posted = await store.add_message(
        engine, cat.staff, filed.id, "Proszę uzupełnić listę.",
        NOW, (store.NewFile("lista.txt", "text/plain", secret),), encrypt=True,
    )  # fmt: skip
    plain_one = await store.add_message(
        engine, cat.alice, filed.id, "Zdjęcie drukarki.",
        NOW, (store.NewFile("drukarka.jpg", "image/jpeg", b"\xff\xd8jpeg"),),
    )  # fmt: skip
    assert posted.password and plain_one.password is None
    d = await store.detail(engine, cat.alice, filed.id, NOW)
    assert [(a.filename, a.message_id, a.encrypted) for a in d.attachments] == [
        ("lista.txt", posted.message_id, True),
        ("drukarka.jpg", plain_one.message_id, False),
    ]
    assert d.request.attachment_count == 2
    encrypted, photo = d.attachments
    with pytest.raises(WrongPassword):
        await store.attachment(engine, cat.alice, filed.id, encrypted.id, None)
    _n, _m, data = await store.attachment(
        engine, cat.alice, filed.id, encrypted.id, posted.password
    )
    assert data == secret
    _n, _m, data = await store.attachment(engine, cat.staff, filed.id, photo.id, None)
    assert data == b"\xff\xd8jpeg"
    with pytest.raises(store.NotFound):  # another unit: neither the request nor its files
        await store.attachment(engine, cat.bob, filed.id, photo.id, None)
    # The list's 📎 mark and filter count the messages' files too.
    (row,) = await rows(engine, cat.alice, listing.ListFilter(flags=["files"]))
    assert (row.id, row.attachment_count) == (filed.id, 2)
    with pytest.raises(WorkflowError):  # the filing form's limits
        await store.add_message(
            engine, cat.alice, filed.id, "Za dużo.", NOW,
            tuple(store.NewFile(f"{i}.txt", "text/plain", b"x") for i in range(11)),
        )  # fmt: skip
    with pytest.raises(WorkflowError):
        await store.add_message(
            engine, cat.alice, filed.id, "Za duży.", NOW,
            (store.NewFile("duzy.bin", "", b"x" * (store.MAX_FILE + 1)),),
        )  # fmt: skip


async def test_scheduled_publishes_on_time_and_repeats_follow(engine: AsyncEngine, cat: Catalogue):
    at = NOW + timedelta(days=1)
    filing = store.Filing(
        cat.unit_a,
        cat.address_a,
        cat.bhp,
        "Szkolenie okresowe",
        {"f1": "12"},
        due_on=date(2026, 3, 10),
        publish_at=at,
        repeat=(1, RepeatUnit.WEEK),
    )
    filed = await store.file_request(engine, cat.alice, filing, NOW)
    assert filed.status is Status.SCHEDULED
    assert await store.publish_due(engine, at - timedelta(seconds=1)) == []
    assert await store.publish_due(engine, at) == [filed.id]
    assert await store.publish_due(engine, at) == []  # once
    assert await store.repeat_due(engine, at + timedelta(days=6)) == []
    week = at + timedelta(days=7)
    made, again = await asyncio.gather(
        store.repeat_due(engine, week), store.repeat_due(engine, week)
    )
    assert len(made + again) == 1
    copy = await store.load(engine, cat.alice, (made + again)[0])
    assert copy.status == "new" and copy.recurring and copy.due_on == date(2026, 3, 17)
    assert copy.text == "Szkolenie okresowe" and copy.repeat_of == filed.id


async def test_the_list_filters_and_marks(engine: AsyncEngine, cat: Catalogue):
    old = await store.file_request(engine, cat.alice, plain(cat, "Stary monitor"), NOW)
    new = await store.file_request(
        engine, cat.alice, plain(cat, "Brak internetu"), NOW + timedelta(hours=30)
    )
    now = NOW + timedelta(hours=31)
    everyone = await rows(engine, cat.staff, listing.ListFilter(), now)
    assert [r.id for r in everyone] == [new.id, old.id]  # last change first
    late = await rows(engine, cat.staff, listing.ListFilter(flags=["late"]), now)
    assert [r.id for r in late] == [old.id]
    found = await rows(engine, cat.staff, listing.ListFilter(text="INTERNET"), now)
    assert [r.id for r in found] == [new.id]
    await store.add_message(engine, cat.staff, old.id, "Sprawdzimy", now)
    unread = await rows(engine, cat.alice, listing.ListFilter(flags=["message"]), now)
    assert [r.id for r in unread] == [old.id]
    await store.detail(engine, cat.alice, old.id, now)  # read
    assert await rows(engine, cat.alice, listing.ListFilter(flags=["message"]), now) == []
    await store.change_status(engine, cat.staff, old.id, Action.REJECT, "Duplikat", now)
    active = await rows(engine, cat.staff, listing.ListFilter(), now)
    assert [r.id for r in active] == [new.id]
    both = await rows(engine, cat.staff, listing.ListFilter(inactive_days=30), now)
    assert {r.id for r in both} == {new.id, old.id}
    by_status = await rows(
        engine, cat.staff, listing.ListFilter(statuses=["rejected"], inactive_days=30), now
    )
    assert [r.id for r in by_status] == [old.id]


async def test_a_chosen_closed_status_or_a_number_finds_closed_requests(
    engine: AsyncEngine, cat: Catalogue
):
    # The seed's example: "only the rated ones", with "show inactive too" left unticked.
    rated = await store.file_request(engine, cat.alice, plain(cat, "Nowe konto"), NOW)
    rejected = await store.file_request(engine, cat.alice, plain(cat, "Pomyłka"), NOW)
    open_ = await store.file_request(engine, cat.alice, plain(cat, "Brak tonera"), NOW)
    await store.change_status(engine, cat.staff, rated.id, Action.ACCEPT, "", NOW)
    done = await store.change_status(engine, cat.staff, rated.id, Action.COMPLETE, "", NOW)
    assert done.rating_token
    await store.rate_by_token(engine, done.rating_token, 4, "Dobrze", NOW)
    await store.change_status(engine, cat.staff, rejected.id, Action.REJECT, "Duplikat", NOW)
    now = NOW + timedelta(days=400)  # older than any "show inactive" period but ten years
    for who in (cat.staff, cat.alice):
        assert [r.id for r in await rows(engine, who, listing.ListFilter(), now)] == [open_.id]
        only_rated = await rows(engine, who, listing.ListFilter(statuses=["rated"]), now)
        assert [r.id for r in only_rated] == [rated.id]
        only_rejected = await rows(engine, who, listing.ListFilter(statuses=["rejected"]), now)
        assert [r.id for r in only_rejected] == [rejected.id]
        by_number = await rows(engine, who, listing.ListFilter(number=rejected.id), now)
        assert [r.id for r in by_number] == [rejected.id]
    # Another unit's user still finds nothing, by status or by number.
    assert await rows(engine, cat.bob, listing.ListFilter(statuses=["rated"]), now) == []
    assert await rows(engine, cat.bob, listing.ListFilter(number=rated.id), now) == []
    # With "show inactive too" ticked, its period still holds.
    ticked = listing.ListFilter(statuses=["rated"], inactive_days=30)
    assert await rows(engine, cat.staff, ticked, now) == []


async def test_a_password_link_dies_on_use_and_takes_the_accounts_other_links(
    engine: AsyncEngine, cat: Catalogue
):
    now = datetime.now(UTC)
    user_id, welcome = await accounts.create_user(
        engine, email="linki@sp1.example", name="Linki", role=Role.SERVICE, now=now
    )
    found = await reset.create(engine, "linki@sp1.example", now)
    assert found is not None
    assert await reset.use(engine, found.token, "Nowe-haslo-123", now)
    for token in (found.token, welcome):  # used, and the other one mailed before
        assert await reset.holder(engine, token, now) is None
        assert not await reset.use(engine, token, "Cudze-haslo-456", now)
    assert (await accounts.find_by_email(engine, "linki@sp1.example")).id == user_id


async def test_a_password_link_dies_on_an_email_change_and_on_deactivation(
    engine: AsyncEngine, cat: Catalogue
):
    now = datetime.now(UTC)
    moved, to_old_address = await accounts.create_user(
        engine, email="stary@sp1.example", name="Stary", role=Role.SERVICE, now=now
    )
    await accounts.change_email(engine, moved, "nowy@sp1.example")
    gone, before_leaving = await accounts.create_user(
        engine, email="odchodzi@sp1.example", name="Odchodzi", role=Role.SERVICE, now=now
    )
    await accounts.deactivate_user(engine, gone)
    for token in (to_old_address, before_leaving):
        assert await reset.holder(engine, token, now) is None
        assert not await reset.use(engine, token, "Cudze-haslo-456", now)
    # A link asked for at the new address works.
    found = await reset.create(engine, "nowy@sp1.example", now)
    assert found is not None
    assert await reset.use(engine, found.token, "Nowe-haslo-123", now)
