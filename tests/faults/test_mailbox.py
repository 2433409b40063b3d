"""The awaria@ mailbox for real: ``okienko faults-mail`` listens over SMTP; a real message with
a photo, sent by smtplib, becomes a report the operator opens — and mail to other addresses is
refused; the sender gets the number, an automatic message gets nothing."""

from __future__ import annotations

import re
import smtplib
import subprocess
import sys
import time
from email.header import decode_header, make_header
from email.message import EmailMessage, Message

import pytest
from playwright.sync_api import expect

from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from tests.faults.test_browser import SHOTS
from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import body_text, free_port


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


def test_a_mail_to_the_mailbox_becomes_a_report(rig: Rig):  # noqa: F811
    port = free_port()
    log = (rig.dir / "faults-mail.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "okienko.cli",
            "faults-mail",
            "--listen",
            f"127.0.0.1:{port}",
            "--address",
            "awaria@uml.example",
            "--database-url",
            rig.web.database_url,
            "--smtp",
            f"127.0.0.1:{rig.smtp.port}",
            "--mail-from",
            "Urząd Miasta <no-reply@uml.example>",
            "--outbox",
            str(rig.dir / "mail-outbox"),
            "--public-url",
            rig.web.url,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                smtp = smtplib.SMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                assert proc.poll() is None, (rig.dir / "faults-mail.log").read_text()
                assert time.monotonic() < deadline
                time.sleep(0.1)
        msg = EmailMessage()
        msg["From"] = "Jan Kowalski <jan.kowalski@example.com>"
        msg["To"] = "awaria@uml.example"
        msg["Subject"] = "Zerwana siatka na boisku"
        msg.set_content("Na boisku przy ul. Sportowej 3 zerwana siatka, niebezpiecznie.")
        msg.add_attachment(PNG, maintype="image", subtype="png", filename="siatka.png")
        with smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("jan.kowalski@example.com", ["ktos@uml.example"], msg.as_bytes())
            refused = smtp.send_message(msg)
            assert refused == {}
            # An out-of-office answer to the acknowledgement is filed, never answered (no loop).
            auto = EmailMessage()
            auto["From"] = "Anna Nowak <anna.nowak@example.com>"
            auto["To"] = "awaria@uml.example"
            auto["Subject"] = "Nieobecność: Zgłoszenie przyjęte"
            auto["Auto-Submitted"] = "auto-replied"
            auto.set_content("Jestem na urlopie do poniedziałku.")
            assert smtp.send_message(auto) == {}
        # § 8 ust. 2: the sender gets the report's number and its status link.
        ack = rig.smtp.inbox.wait_for("jan.kowalski@example.com")[0]
    finally:
        proc.terminate()
        proc.wait(10)
    op = rig.client("operator")
    listing = op.get("/usterki/?status=new").text
    # The mail's subject is the report's subject, shown above its (not yet known) subcategory.
    m = re.search(
        r'href="/usterki/r/(\d+)">\d+</a></td>\s*'
        r"<td>Zerwana siatka na boisku<br><small>Do sklasyfikowania</small>",
        listing,
    )
    assert m, listing
    page = op.get(f"/usterki/r/{m.group(1)}").text
    assert re.search(r"<h1>Zgłoszenie nr \d+: Zerwana siatka na boisku</h1>", page), page
    assert "siatka.png" in page
    assert "jan.kowalski@example.com" in page and "E-mail" in page
    assert subject_of(ack) == f"Zgłoszenie nr {m.group(1)} zostało przyjęte"
    link = re.search(r"(http://\S+/usterka/s/\S+)", body_text(ack))
    assert link, body_text(ack)
    with chromium() as browser:
        resident = browser.new_page()
        resident.goto(link.group(1))
        expect(resident.locator("h1")).to_contain_text(f"nr {m.group(1)}")
        expect(resident.locator(".facts")).to_contain_text("Zerwana siatka na boisku")
        assert_accessible(resident, SHOTS, "14-mail-acknowledged")
    assert "Nieobecność" in op.get("/usterki/?status=new").text
    assert rig.smtp.inbox.to("anna.nowak@example.com") == []
