"""The services centre's contact details, shown on every request page as "Informacja
systemowa: Dane kontaktowe": whom to reach while no staff member handles the request yet, or
when they cannot be reached. Set per installation (``okienko web --helpdesk-email …``)."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str = ""
    hours: str = ""  # as the installation writes them, e.g. "pon.–pt. 7:30–15:30"
    remote_url: str = ""  # the remote-support program to download (help page); "" = none


def default_for(sender: str) -> Contact:
    """pomoc@ the no-reply sender's domain: the one address of the installation known without
    asking (the no-reply one itself takes no answers, so it must not be shown)."""
    _local, at, domain = parseaddr(sender)[1].rpartition("@")
    return Contact(f"pomoc@{domain.strip() if at and domain.strip() else 'localhost'}")
