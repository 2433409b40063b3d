"""Open311 GeoReport v2 through a plain HTTP client, as the spec describes it: services, a
service definition, POST with and without an api_key, GET by id and by filters, JSON and XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.header import decode_header, make_header

import httpx

from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from tests.support.webproc import body_text, okienko
from web.faults.open311 import create_key


def test_services_and_a_definition_with_its_required_attributes(rig: Rig):  # noqa: F811
    base = f"{rig.web.url}/open311/v2"
    services = httpx.get(f"{base}/services.json").json()
    codes = {s["service_code"]: s for s in services}
    assert codes["dziura"]["metadata"] is True and codes["dziura"]["group"] == "Drogi"
    assert codes["lawka"]["metadata"] is False and codes["lawka"]["type"] == "realtime"
    xml = ET.fromstring(httpx.get(f"{base}/services.xml").content)
    assert xml.tag == "services" and xml.find("service/service_code") is not None
    definition = httpx.get(f"{base}/services/znak.json").json()
    assert definition["service_code"] == "znak"
    assert definition["attributes"][0] == {
        "variable": True,
        "code": "sign",
        "datatype": "string",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "Rodzaj znaku",
    }
    d_xml = ET.fromstring(httpx.get(f"{base}/services/znak.xml").content)
    assert d_xml.findtext("attributes/attribute/code") == "sign"
    assert httpx.get(f"{base}/services/nope.json").status_code == 404


def test_posting_needs_a_key_and_the_request_reads_back_without_personal_data(rig: Rig):  # noqa: F811
    base = f"{rig.web.url}/open311/v2"
    key = rig.db(lambda engine: create_key(engine, "test client", datetime.now(UTC)))
    form = {
        "service_code": "znak",
        "lat": "51.7687",
        "long": "19.4570",
        "address_string": "ul. Zachodnia 1",
        "description": "Znak obrócony",
        "attribute[sign]": "A-7",
        "email": "jan@example.com",
        "first_name": "Jan",
    }
    refused = httpx.post(f"{base}/requests.json", data=form)
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    wrong = httpx.post(f"{base}/requests.json", data={**form, "api_key": "guess"})
    assert wrong.status_code == 403
    missing = httpx.post(
        f"{base}/requests.json", data={**form, "api_key": key, "attribute[sign]": ""}
    )
    assert missing.status_code == 400 and "description" in missing.json()[0]
    made = httpx.post(f"{base}/requests.json", data={**form, "api_key": key})
    assert made.status_code == 201, made.text
    rid = made.json()[0]["service_request_id"]
    xml_made = httpx.post(f"{base}/requests.xml", data={**form, "api_key": key})
    assert ET.fromstring(xml_made.content).findtext("request/service_request_id")

    one = httpx.get(f"{base}/requests/{rid}.json").json()
    assert len(one) == 1
    got = one[0]
    assert got["service_request_id"] == rid and got["status"] == "open"
    assert got["service_code"] == "znak"
    # Published to anyone: the place to about 100 m, never the resident's exact point.
    assert got["lat"] == 51.769 and got["long"] == 19.457
    assert "51.7687" not in httpx.get(f"{base}/requests.json").text
    assert "jan@example.com" not in httpx.get(f"{base}/requests/{rid}.json").text
    listed = httpx.get(f"{base}/requests.json", params={"service_code": "znak", "status": "open"})
    assert rid in {r["service_request_id"] for r in listed.json()}
    closed = httpx.get(f"{base}/requests.json", params={"status": "closed", "service_code": "znak"})
    assert rid not in {r["service_request_id"] for r in closed.json()}
    by_ids = httpx.get(f"{base}/requests.json", params={"service_request_id": f"{rid},999999"})
    assert [r["service_request_id"] for r in by_ids.json()] == [rid]
    xml = ET.fromstring(httpx.get(f"{base}/requests/{rid}.xml").content)
    assert xml.tag == "service_requests" and xml.findtext("request/service_request_id") == rid
    assert httpx.get(f"{base}/requests/999999.json").status_code == 404
    bad = httpx.get(f"{base}/requests.json", params={"start_date": "yesterday"})
    assert bad.status_code == 400
    # The operator sees it, with the channel and the reporter who wants a reply.
    page = rig.client("operator").get(f"/usterki/r/{rid}")
    assert "Open311" in page.text and "jan@example.com" in page.text


def test_reports_taken_by_phone_or_mail_are_read_back_without_their_text(rig: Rig):  # noqa: F811
    from web.faults import dictionary, store
    from web.faults.domain import Channel

    async def file(engine):  # type: ignore[no-untyped-def]
        sub = (await dictionary.load(engine)).by_code("lawka")
        return await store.file_report(
            engine,
            store.Draft(
                sub.id,
                "Dzwoniła Anna Nowak, tel. 600 100 200: połamana ławka przy fontannie",
                Channel.PHONE,
                address="pl. Wolności 1",
            ),
            datetime.now(UTC),
        )

    rid, _ = rig.db(file)
    got = httpx.get(f"{rig.web.url}/open311/v2/requests/{rid}.json")
    assert got.status_code == 200 and got.json()[0]["address"] == "pl. Wolności 1"
    assert got.json()[0]["description"] == ""
    assert "Nowak" not in got.text and "600 100 200" not in got.text


def test_a_key_made_and_revoked_by_the_cli_stops_working(rig: Rig):  # noqa: F811
    """The rotation an admin does after a leak: a new key works, the revoked one is refused."""
    base = f"{rig.web.url}/open311/v2"
    form = {
        "service_code": "znak",
        "lat": "51.7687",
        "long": "19.4570",
        "description": "Znak obrócony",
        "attribute[sign]": "A-7",
    }
    made = okienko(
        "open311-key", "create", "--name", "portal", "--database-url", rig.web.database_url
    )
    key = made.stdout.strip()
    assert len(key) >= 24
    assert httpx.post(f"{base}/requests.json", data={**form, "api_key": key}).status_code == 201
    said = okienko(
        "open311-key", "revoke", "--name", "portal", "--database-url", rig.web.database_url
    )
    assert said.stdout.strip() == "1 key(s) of portal revoked"
    assert httpx.post(f"{base}/requests.json", data={**form, "api_key": key}).status_code == 403


def test_a_request_posted_in_ukrainian_is_acknowledged_and_read_back_in_ukrainian(rig: Rig):  # noqa: F811
    """A city app in Ukrainian posts with lang=uk: its user's confirmation comes in Ukrainian,
    and status_notes, the one text for people, follows ?lang= (Polish by default)."""
    base = f"{rig.web.url}/open311/v2"
    key = rig.db(lambda engine: create_key(engine, "ukrainian app", datetime.now(UTC)))
    form = {
        "api_key": key,
        "lang": "uk",
        "service_code": "lawka",
        "address_string": "ul. Piotrkowska 104",
        "description": "Зламана лавка",
        "email": "oksana.uk@example.com",
    }
    posted = httpx.post(f"{base}/requests.json", data=form)
    assert posted.status_code == 201, posted.text
    number = posted.json()[0]["service_request_id"]
    mail = rig.smtp.inbox.wait_for("oksana.uk@example.com")[0]
    subject = str(make_header(decode_header(str(mail["Subject"]))))
    assert subject == f"Повідомлення № {number} прийнято"
    text = body_text(mail)
    assert f"Дякуємо. Ваше повідомлення зареєстровано під номером {number}." in text
    assert "/usterka/s/" in text and "Zgłoszenie" not in text
    notes = {
        lang: httpx.get(f"{base}/requests/{number}.json{query}").json()[0]["status_notes"]
        for lang, query in (("pl", ""), ("uk", "?lang=uk"), ("en", "?lang=en"))
    }
    assert notes == {"pl": "Nowe", "uk": "Нове", "en": "New"}
