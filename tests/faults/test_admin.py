"""The fault reports' administration over real HTTP against ``okienko web``: the administrator
adds a realizer group and a subcategory, makes an account a realizer of that group, and the
person then sees a report handed to the group; wrong input is told beside its field and kept;
nobody else reaches the pages. Plus the pages in Chromium with axe."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from tests.faults.conftest import NOW, PASSWORD
from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import csrf_of
from web.faults import tables as t
from web.helpdesk import accounts
from web.helpdesk.domain import Role as HdRole

SHOTS = Path("/tmp/okienko-shots/faults")


def _account(rig: Rig, who: str, role: HdRole) -> int:  # noqa: F811
    email = f"{who}@uml.example"
    if who in rig.people.emails:
        return rig.db(lambda e: _id_of(e, email))  # type: ignore[no-any-return]
    uid, _token = rig.db(
        lambda e: accounts.create_user(
            e, email=email, name=who.title(), role=role, now=NOW, password=PASSWORD
        )
    )
    rig.people.emails[who] = email
    return uid  # type: ignore[no-any-return]


async def _id_of(engine, email):  # type: ignore[no-untyped-def]
    from web.db import models

    users = models.HdUser.__table__
    async with engine.connect() as conn:
        return await conn.scalar(select(users.c.id).where(users.c.email == email))


def _group(rig: Rig, code: str) -> int:  # noqa: F811
    async def find(engine):  # type: ignore[no-untyped-def]
        async with engine.connect() as conn:
            return await conn.scalar(select(t.groups.c.id).where(t.groups.c.code == code))

    return rig.db(find)  # type: ignore[no-any-return]


def _sub(rig: Rig, code: str) -> tuple[int, int]:  # noqa: F811
    async def find(engine):  # type: ignore[no-untyped-def]
        async with engine.connect() as conn:
            row = (
                await conn.execute(select(t.subcategories).where(t.subcategories.c.code == code))
            ).first()
            return row.id, row.category_id

    return rig.db(find)  # type: ignore[no-any-return]


def test_only_the_administrator_reaches_the_administration(rig: Rig):  # noqa: F811
    _account(rig, "admin", HdRole.ADMIN)
    for who in ("operator", "super", "coord_roads", "real_roads"):
        c = rig.client(who)
        refused = c.get("/usterki/admin")
        assert refused.status_code == 403, who
        assert '<a href="/usterki/">Powrót do zgłoszeń usterek</a>' in refused.text
        assert c.get("/usterki/admin/people").status_code == 403, who
        assert 'href="/usterki/admin"' not in c.get("/usterki/").text
    anonymous = rig.client().get("/usterki/admin", follow_redirects=False)
    assert anonymous.status_code == 303 and "/signin" in anonymous.headers["location"]
    admin = rig.client("admin")
    assert 'href="/usterki/admin"' in admin.get("/usterki/").text
    assert admin.get("/usterki/admin").status_code == 200


def test_a_new_group_and_subcategory_and_a_realizer_who_gets_its_report(rig: Rig):  # noqa: F811
    p = rig.people
    _account(rig, "admin", HdRole.ADMIN)
    newbie = _account(rig, "mostowy", HdRole.FAULTS)
    admin = rig.client("admin")
    token = csrf_of(admin.get("/usterki/admin").text)
    zdit = str(p.departments["ZDIT"])

    # Wrong input: told beside the field, the input kept.
    bad = admin.post(
        "/usterki/admin/add/realizer",
        data={"csrf_token": token, "code": "ZDIT-R-DROGI", "name": "Mosty"},
    )
    assert bad.status_code == 400
    assert re.search(r'id="realizer-code-error">Ten kod jest już używany', bad.text)
    assert re.search(r'id="realizer-department-error">Wybierz komórkę organizacyjną', bad.text)
    assert 'id="realizer-name" name="name" maxlength="200" value="Mosty"' in bad.text

    made = admin.post(
        "/usterki/admin/add/realizer",
        data={"csrf_token": token, "code": "ZDIT-R-MOSTY", "name": "Mosty", "department": zdit},
    )
    assert made.status_code == 303, made.text
    group = _group(rig, "ZDIT-R-MOSTY")
    renamed = admin.post(
        f"/usterki/admin/realizer/{group}",
        data={"csrf_token": token, "name": "Mosty i wiadukty", "active": "yes"},
    )
    assert renamed.status_code == 303
    assert "Mosty i wiadukty" in admin.get("/usterki/admin").text

    _sign, category = _sub(rig, "znak")
    sub = {
        "csrf_token": token,
        "code": "barierka",
        "name": "Uszkodzona barierka mostu",
        "category": str(category),
        "attributes": "span | Przęsło | required",
    }
    wrong_group = admin.post("/usterki/admin/add/subcategory", data={**sub, "group": str(group)})
    assert wrong_group.status_code == 400
    assert re.search(
        r'id="subcategory-group-error">Podkategoria trafia do grupy koo', wrong_group.text
    )
    assert "span | Przęsło | required" in wrong_group.text
    added = admin.post(
        "/usterki/admin/add/subcategory",
        data={**sub, "group": str(p.groups["ZDIT-K-DROGI"])},
    )
    assert added.status_code == 303, added.text
    sub_id, _cat = _sub(rig, "barierka")

    # The person's role: wrong kind of group, no group, then right.
    person = f"/usterki/admin/people/{newbie}"
    form = admin.get(person)
    assert form.status_code == 200 and "mostowy@uml.example" in form.text
    wrong = admin.post(
        person,
        data={"csrf_token": token, "role": "realizer", "group": str(p.groups["ZDIT-K-DROGI"])},
    )
    assert wrong.status_code == 400
    assert re.search(r'id="group-error">To grupa koordynatorów', wrong.text)
    assert re.search(r'<option value="realizer" selected>', wrong.text)
    none = admin.post(person, data={"csrf_token": token, "role": "coordinator", "group": ""})
    assert none.status_code == 400 and "Koordynator potrzebuje grupy koordynatorów" in none.text
    ok = admin.post(person, data={"csrf_token": token, "role": "realizer", "group": str(group)})
    assert ok.status_code == 303, ok.text
    listed = admin.get("/usterki/admin/people").text
    assert "Mosty i wiadukty" in listed

    # A report of the new subcategory, handed to the new group, reaches the new realizer.
    mostowy = rig.client("mostowy")
    assert mostowy.get("/usterki/").status_code == 200
    new = admin.get("/usterki/new")
    assert "Uszkodzona barierka mostu" in new.text
    filed = admin.post(
        "/usterki/new",
        data={
            "csrf_token": csrf_of(new.text),
            "channel": "phone",
            "sub": str(sub_id),
            "description": "Wygięta barierka na moście",
            "address": "ul. Pomorska 10",
            "attr_span": "2",
        },
    )
    assert filed.status_code == 303, filed.text
    url = filed.headers["location"].split("?")[0]
    number = url.rsplit("/", 1)[1]
    assert mostowy.get(url).status_code == 404
    for data in (
        {"action": "forward", "group": str(p.groups["ZDIT-K-DROGI"])},
        {"action": "assign", "group": str(group)},
    ):
        r = admin.post(f"{url}/act", data={"csrf_token": token, **data})
        assert r.status_code == 303, r.text
    assert f'href="/usterki/r/{number}"' in mostowy.get("/usterki/?status=all").text
    assert mostowy.get(url).status_code == 200
    assert rig.client("real_roads").get(url).status_code == 404

    # Clearing the role takes the reports away; the administrator's own role stays.
    cleared = admin.post(person, data={"csrf_token": token, "role": ""})
    assert cleared.status_code == 303
    assert mostowy.get("/usterki/").status_code == 403
    admin_id = _account(rig, "admin", HdRole.ADMIN)
    own = admin.post(f"/usterki/admin/people/{admin_id}", data={"csrf_token": token, "role": ""})
    assert own.status_code == 400 and "własnej roli" in own.text


def test_the_administration_pages_are_accessible(rig: Rig):  # noqa: F811
    _account(rig, "admin", HdRole.ADMIN)
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        desk.goto(f"{rig.web.url}/usterki/")
        desk.fill("#email", rig.people.emails["admin"])
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        desk.click('a[href="/usterki/admin"]')
        desk.fill("#category-name", "Bez kodu")
        desk.click("#category button.primary")
        assert desk.locator("#category-code-error").count() == 1
        assert_accessible(desk, SHOTS, "admin")
        desk.goto(f"{rig.web.url}/usterki/admin/people")
        assert_accessible(desk, SHOTS, "admin-people")
        desk.click('a[href^="/usterki/admin/people/"] >> nth=0')
        assert_accessible(desk, SHOTS, "admin-person")


def test_a_subcategory_renamed_wrongly_is_told_and_deactivated_leaves_the_forms(rig: Rig):  # noqa: F811
    _account(rig, "admin", HdRole.ADMIN)
    admin = rig.client("admin")
    sub_id, _category = _sub(rig, "kosz")
    url = f"/usterki/admin/subcategory/{sub_id}"
    form = admin.get(url)
    assert form.status_code == 200 and 'name="active" value="yes" checked' in form.text
    token = csrf_of(form.text)
    empty = admin.post(url, data={"csrf_token": token, "name": " ", "category": str(_category)})
    assert empty.status_code == 400 and re.search(r'id="name-error">Wpisz nazwę', empty.text)
    off = admin.post(
        url, data={"csrf_token": token, "name": "Pełny kosz", "category": str(_category)}
    )
    assert off.status_code == 303
    assert "Pełny kosz" not in admin.get("/usterki/new").text
    assert "Pełny kosz" not in rig.client().get("/usterka").text
    assert "nieaktywny" in admin.get("/usterki/admin").text
