"""The awaria@ mailbox for real: ``okienko faults-mail`` listens over SMTP; a real message with
a photo, sent by smtplib, becomes a report the operator opens — and mail to other addresses is
refused."""

from __future__ import annotations

import re
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

import pytest

from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from tests.support.webproc import free_port

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
