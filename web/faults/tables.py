"""The citizen fault reports' tables as SQLAlchemy Core ``Table`` objects (the models live in
web/db/models.py)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from web.db import models

departments = cast(Table, models.FaultDepartment.__table__)
groups = cast(Table, models.FaultGroup.__table__)
categories = cast(Table, models.FaultCategory.__table__)
subcategories = cast(Table, models.FaultSubcategory.__table__)
members = cast(Table, models.FaultMember.__table__)
reports = cast(Table, models.FaultReport.__table__)
events = cast(Table, models.FaultEvent.__table__)
attachments = cast(Table, models.FaultAttachment.__table__)
replies = cast(Table, models.FaultReply.__table__)
mails = cast(Table, models.FaultMail.__table__)
api_keys = cast(Table, models.FaultApiKey.__table__)
stats = cast(Table, models.FaultStat.__table__)
past_holders = cast(Table, models.FaultPastHolder.__table__)
