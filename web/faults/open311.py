"""Open311 GeoReport v2 under /open311/v2/ (https://wiki.open311.org/GeoReport_v2): the service
list (subcategories), service definitions (their attributes), and service requests — POST
(needs an api_key) and GET, in JSON and XML. Requests read back carry no personal data. The
one text meant for people, ``status_notes``, follows ``?lang=`` (pl, en, uk; Polish by
default); a POST's ``lang`` (field or ``?lang=``) is the language of the reporter's e-mails.

Contact data sent with a POST (e-mail, phone, name) are given on the reporter's initiative,
which Procedura § 26 ust. 2 counts as consent: the report then wants a reply."""

from __future__ import annotations

import hashlib
import secrets
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from web.faults import dictionary, notices, store
from web.faults import tables as t
from web.faults.domain import FINISHED, STATUS_LABELS, Channel, FaultError, Status
from web.faults.settings import of as settings_of
from web.faults.store import aware
from web.i18n import LANGUAGES, gettext, language_of

FORMATS = ("json", "xml")
MAX_LIST = 1000


async def create_key(engine: AsyncEngine, name: str, now: datetime) -> str:
    key = secrets.token_urlsafe(24)
    async with engine.begin() as conn:
        await conn.execute(
            insert(t.api_keys).values(
                key_digest=hashlib.sha256(key.encode()).hexdigest(),
                name=name[:120],
                created_at=now,
                active=True,
            )
        )
    return key


async def revoke_keys(engine: AsyncEngine, name: str) -> int:
    """Switch off every key given to ``name`` (a leaked key, an integration retired)."""
    async with engine.begin() as conn:
        done = await conn.execute(
            update(t.api_keys)
            .where((t.api_keys.c.name == name) & t.api_keys.c.active.is_(True))
            .values(active=False)
        )
    return int(done.rowcount)


async def key_ok(engine: AsyncEngine, key: str) -> bool:
    if not key:
        return False
    async with engine.connect() as conn:
        found = await conn.scalar(
            select(t.api_keys.c.name).where(
                t.api_keys.c.key_digest == hashlib.sha256(key.encode()).hexdigest(),
                t.api_keys.c.active.is_(True),
            )
        )
    return found is not None


# -- rendering ---------------------------------------------------------------------------------


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        _fill(ET.SubElement(top, item), row)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _fill(el: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(value, list):
            holder = ET.SubElement(el, key)
            for v in value:
                _fill(ET.SubElement(holder, key.rstrip("s") if key != "values" else "value"), v)
        elif isinstance(value, dict):
            _fill(ET.SubElement(el, key), value)
        else:
            child = ET.SubElement(el, key)
            if value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)


def answer(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200
) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, rows), status, media_type="text/xml; charset=utf-8")
    return JSONResponse(rows, status)


def single(fmt: str, root: str, data: dict[str, Any]) -> Response:
    if fmt == "xml":
        top = ET.Element(root)
        _fill(top, data)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return Response(body, media_type="text/xml; charset=utf-8")
    return JSONResponse(data)


def error(fmt: str, status: int, description: str) -> Response:
    rows = [{"code": status, "description": description}]
    return answer(fmt if fmt in FORMATS else "json", "errors", "error", rows, status)


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat(timespec="seconds") if moment else None


# -- services ----------------------------------------------------------------------------------


def _service(c: dictionary.Category, s: dictionary.Subcategory) -> dict[str, Any]:
    return {
        "service_code": s.code,
        "service_name": s.name,
        "description": f"{c.name}: {s.name}",
        "metadata": bool(s.attributes),
        "type": "realtime",
        "keywords": c.code,
        "group": c.name,
    }


async def services(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        return error("json", 404, "format must be json or xml")
    d = await dictionary.load(request.app.state.engine)
    rows = [_service(c, s) for c in d.categories for s in c.subcategories]
    return answer(fmt, "services", "service", rows)


async def service_definition(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        return error("json", 404, "format must be json or xml")
    d = await dictionary.load(request.app.state.engine)
    sub = d.by_code(request.path_params["code"])
    if sub is None:
        return error(fmt, 404, "service_code not found")
    attributes = [
        {
            "variable": True,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": "",
            "order": i + 1,
            "description": a.description,
        }
        for i, a in enumerate(sub.attributes)
    ]
    return single(fmt, "service_definition", {"service_code": sub.code, "attributes": attributes})


# -- requests ----------------------------------------------------------------------------------


PUBLISHED_CHANNELS = frozenset({Channel.WEB, Channel.OPEN311})


def _request_row(row: Any, sub: dictionary.Subcategory | None, agency: str) -> dict[str, Any]:
    status = Status(row.status)
    return {
        "service_request_id": str(row.id),
        "status": "closed" if status in FINISHED else "open",
        # In the language asked with ?lang= (pl, en, uk); Polish by default.
        "status_notes": gettext(STATUS_LABELS[status]),
        "service_name": sub.name if sub else "",
        "service_code": sub.code if sub else "",
        # What a resident wrote for publication; an operator's note of a call or a forwarded
        # e-mail may name people, so those are read back without their text.
        "description": row.description if row.channel in PUBLISHED_CHANNELS else "",
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": _iso(row.received_at),
        "updated_datetime": _iso(row.last_change_at),
        "expected_datetime": _iso(row.realise_due),
        "address": row.address,
        "address_id": "",
        "zipcode": "",
        # Published to anyone: the place to about 100 m, not a resident's doorstep.
        "lat": _rounded(row.lat),
        "long": _rounded(row.lon),
        "media_url": "",
    }


PUBLISHED_DECIMALS = 3  # 0.001° is 111 m of latitude, about 70 m of longitude in Poland


def _rounded(degrees: float | None) -> float | None:
    return None if degrees is None else round(degrees, PUBLISHED_DECIMALS)


def _float(value: Any) -> float | None:
    try:
        return float(str(value)) if str(value or "").strip() else None
    except ValueError:
        return None


def _language(request: Request, values: dict[str, str]) -> str:
    """The reporter's language for the e-mails to them: a ``lang`` field or ``?lang=``."""
    asked = values.get("lang", "")
    return asked if asked in LANGUAGES else language_of(request)


async def post_request(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        return error("json", 404, "format must be json or xml")
    engine = request.app.state.engine
    form = await request.form()
    v = {k: str(x) for k, x in form.items() if isinstance(x, str)}
    if not await key_ok(engine, v.get("api_key", "")):
        return error(fmt, 403, "api_key is missing or not valid")
    d = await dictionary.load(engine)
    sub = d.by_code(v.get("service_code", ""))
    if sub is None:
        return error(fmt, 400, "service_code not found")
    lat, lon = _float(v.get("lat")), _float(v.get("long"))
    if (lat is None) != (lon is None):
        return error(fmt, 400, "lat and long go together")
    attributes = {
        key[len("attribute[") : -1]: value
        for key, value in v.items()
        if key.startswith("attribute[") and key.endswith("]")
    }
    name = " ".join(x for x in (v.get("first_name", ""), v.get("last_name", "")) if x).strip()
    email, phone = v.get("email", ""), v.get("phone", "")
    media = v.get("media_url", "").strip()
    try:
        report_id, token = await store.file_report(
            engine,
            store.Draft(
                sub.id,
                v.get("description", ""),
                Channel.OPEN311,
                address=v.get("address_string", ""),
                lat=lat,
                lon=lon,
                reply_wanted=bool(email or phone),
                name=name,
                email=email,
                phone=phone,
                attributes=attributes,
                source_message=f"media_url: {media}" if media else "",
                language=_language(request, v),
            ),
            datetime.now(UTC),
            settings_of(request.app),
        )
    except FaultError as exc:
        return error(fmt, 400, exc.message)
    await notices.filed(request.app, report_id, token)
    rows = [{"service_request_id": str(report_id), "service_notice": "", "account_id": ""}]
    return answer(fmt, "service_requests", "request", rows, 201)


async def _rows(engine: AsyncEngine, where: list[Any], limit: int) -> list[dict[str, Any]]:
    d = await dictionary.load(engine)
    subs = d.subcategories
    async with engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(t.reports).where(*where).order_by(t.reports.c.id.desc()).limit(limit)
            )
        )
    return [
        _request_row(
            r, subs.get(r.subcategory_id), d.department_name(r.department_id) or "Urząd Miasta"
        )
        for r in rows
    ]


def _date(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def get_requests(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        return error("json", 404, "format must be json or xml")
    q = request.query_params
    r = t.reports.c
    where: list[Any] = []
    if ids := q.get("service_request_id"):
        numbers = [int(x) for x in ids.split(",") if x.strip().isdigit()]
        where.append(r.id.in_(numbers))
    if codes := q.get("service_code"):
        d = await dictionary.load(request.app.state.engine)
        found = [s.id for c in codes.split(",") if (s := d.by_code(c.strip()))]
        where.append(r.subcategory_id.in_(found))
    for name, op in (("start_date", ">="), ("end_date", "<=")):
        if value := q.get(name):
            moment = _date(value)
            if moment is None:
                return error(fmt, 400, f"{name} must be a W3C date-time")
            where.append(r.received_at >= moment if op == ">=" else r.received_at <= moment)
    if status := q.get("status"):
        wanted = {s.strip() for s in status.split(",")}
        if not wanted <= {"open", "closed"}:
            return error(fmt, 400, "status is open or closed")
        if wanted == {"open"}:
            where.append(r.finished.is_(False))
        elif wanted == {"closed"}:
            where.append(r.finished.is_(True))
    if not q.get("service_request_id") and not q.get("start_date"):
        # The spec's default window: the last 90 days.
        where.append(r.received_at >= datetime.now(UTC) - timedelta(days=90))
    rows = await _rows(request.app.state.engine, where, MAX_LIST)
    return answer(fmt, "service_requests", "request", rows)


async def get_request(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        return error("json", 404, "format must be json or xml")
    rid = request.path_params["id"]
    if not rid.isdigit():
        return error(fmt, 404, "service_request_id not found")
    rows = await _rows(request.app.state.engine, [t.reports.c.id == int(rid)], 1)
    if not rows:
        return error(fmt, 404, "service_request_id not found")
    return answer(fmt, "service_requests", "request", rows)


routes = [
    Route("/open311/v2/services.{fmt}", services),
    Route("/open311/v2/services/{code}.{fmt}", service_definition),
    Route("/open311/v2/requests.{fmt}", post_request, methods=["POST"]),
    Route("/open311/v2/requests.{fmt}", get_requests),
    Route("/open311/v2/requests/{id}.{fmt}", get_request),
]
