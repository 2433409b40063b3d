"""The helpdesk's tables as SQLAlchemy Core ``Table`` objects (the models live in
web/db/models.py)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from web.db import models

units = cast(Table, models.HdUnit.__table__)
addresses = cast(Table, models.HdAddress.__table__)
services = cast(Table, models.HdService.__table__)
unit_services = cast(Table, models.HdUnitService.__table__)
users = cast(Table, models.HdUser.__table__)
requests = cast(Table, models.HdRequest.__table__)
messages = cast(Table, models.HdMessage.__table__)
events = cast(Table, models.HdEvent.__table__)
attachments = cast(Table, models.HdAttachment.__table__)
reads = cast(Table, models.HdRead.__table__)
help_pages = cast(Table, models.HdHelpPage.__table__)
