"""A real ``okienko web`` (SQLite) and a real SMTP inbox for the fault reports' page, Open311
and e-mail tests, with one signed-in HTTP client per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.conftest import PASSWORD, People, make_people
from tests.support.webproc import Smtp, WebProcess, csrf_of


@dataclass
class Rig:
    web: WebProcess
    smtp: Smtp
    people: People
    dir: Path
    signed_in: dict[str, httpx.Client] = field(default_factory=dict)

    def db(self, work: Any) -> Any:
        return self.web.db(work)

    def client(self, who: str | None = None) -> httpx.Client:
        """A fresh anonymous client, or the role's signed-in one (signed in once: sign-ins
        are rate-limited per address)."""
        if who in self.signed_in:
            return self.signed_in[who]
        c = httpx.Client(base_url=self.web.url, timeout=10)
        if who:
            self.signed_in[who] = c
            page = c.get("/signin")
            r = c.post(
                "/signin",
                data={
                    "csrf_token": csrf_of(page.text),
                    "email": self.people.emails[who],
                    "password": PASSWORD,
                    "next": "/usterki/",
                },
            )
            assert r.status_code in (200, 303), r.text
        return c

    def post(self, c: httpx.Client, path: str, form_page: str, data: dict[str, Any]) -> Any:
        token = csrf_of(c.get(form_page).text)
        return c.post(path, data={"csrf_token": token, **data})


def number_in(html: str) -> int:
    m = re.search(r"(?:nr|no\.) (\d+)", html)
    assert m, html
    return int(m.group(1))


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    workdir = tmp_path_factory.mktemp("faults-web")
    smtp = Smtp.start()
    web = WebProcess.start(workdir, smtp_port=smtp.port)
    try:
        r = Rig(web, smtp, None, workdir)  # type: ignore[arg-type]
        r.people = r.db(lambda engine: make_people(engine, passwords=True))
        yield r
    finally:
        web.stop()
        smtp.stop()
