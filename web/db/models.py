"""Tables of the cloud service (SQLAlchemy 2). SQLite by default, PostgreSQL in production.

Times are stored in UTC. The catalog (departments, locations, services, service points and
their calendars) is edited on the administration pages; reservations refer to it by id.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SlotCount(Base):
    """Places taken in one slot of one offer: the row that booking locks and counts on, so
    concurrent visitors never get more than the capacity. The building limit locks a row of
    the same table (service_point = location id, service = "#building", start = the day)
    while it counts the visits overlapping the new one."""

    __tablename__ = "slot_counts"
    service_point: Mapped[str] = mapped_column(String(40), primary_key=True)
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    taken: Mapped[int] = mapped_column(Integer, default=0)


class Reservation(Base):
    __tablename__ = "reservations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_code: Mapped[str] = mapped_column(String(16))
    service_point: Mapped[str] = mapped_column(String(40))
    service: Mapped[str] = mapped_column(String(40))
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    hold_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    name: Mapped[str] = mapped_column(String(120))
    contact: Mapped[str] = mapped_column(String(120))  # mobile number or e-mail; the code
    # The other kind, when the visitor gave both (seed 003: e-mail and/or SMS); "" otherwise.
    contact_extra: Mapped[str] = mapped_column(String(120), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The 6-digit confirmation code is kept only as a digest, and guessing is counted.
    confirm_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confirm_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # online (the visitor), phone (booked by staff for a caller), desk (booked at the office)
    kind: Mapped[str] = mapped_column(String(16), default="online")
    # The secret behind the visitor's "manage / cancel" link (unguessable, 256 bits).
    manage_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    location: Mapped[str] = mapped_column(String(40), default="")
    # The visit's number at its location that day ("R007"), shown with the access code.
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Position in the location's change feed: the hubs pull reservations changed after a cursor.
    sync_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The language the visitor booked in: reminders and notices of a moved visit use it.
    language: Mapped[str] = mapped_column(String(5), default="pl", server_default="pl")
    # How long the visit occupies a place in the building (the building limit counts overlaps).
    duration_min: Mapped[int | None] = mapped_column(Integer, nullable=True)

    def contacts(self) -> list[str]:
        """Where the visitor is told about the visit: the contact and the other one, if any."""
        return [c for c in (self.contact, self.contact_extra) if c]

    __table_args__ = (
        UniqueConstraint("access_code", name="uq_reservations_access_code"),
        UniqueConstraint("manage_token", name="uq_reservations_manage_token"),
        Index("ix_reservations_slot", "service_point", "service", "start"),
        Index("ix_reservations_hold", "status", "hold_until"),
        Index("ix_reservations_start", "start"),
        Index("ix_reservations_sync", "location", "sync_seq"),
    )


class ReservationEvent(Base):
    """What happened to a reservation, by whom: the register's history and staff notes."""

    __tablename__ = "reservation_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reservation_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("reservations.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))  # staff e-mail, "visitor" or "system"
    action: Mapped[str] = mapped_column(String(32))  # created, confirmed, note, rescheduled, …
    detail: Mapped[str] = mapped_column(Text, default="")


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Location(Base):
    """An office building (a site: one hub)."""

    __tablename__ = "locations"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    # Seed 003: at most this many booked visitors in the building at once; null = no limit.
    building_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Service(Base):
    """A matter one can book a visit for, with its booking parameters."""

    __tablename__ = "services"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    department_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("departments.id"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name_uk: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    duration_min: Mapped[int] = mapped_column(Integer, default=15)
    horizon_days: Mapped[int] = mapped_column(Integer, default=30)
    notice_min: Mapped[int] = mapped_column(Integer, default=60)
    hold_min: Mapped[int] = mapped_column(Integer, default=15)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Other words visitors search for it by ("samochód, auto"), comma-separated.
    keywords: Mapped[str] = mapped_column(Text, default="", server_default="")


class ServicePoint(Base):
    """A bookable desk or room (often a counter) with its weekly calendar.

    ``hours`` and ``breaks`` are JSON: {"mon": ["08:00-16:00"], …}; absent days are closed."""

    __tablename__ = "service_points"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(40), ForeignKey("locations.id"))
    name: Mapped[str] = mapped_column(String(200))
    room: Mapped[str] = mapped_column(String(100), default="")
    hours: Mapped[str] = mapped_column(Text, default="{}")
    breaks: Mapped[str] = mapped_column(Text, default="{}")
    public_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServicePointService(Base):
    """Which services a service point takes, and how many visitors per slot."""

    __tablename__ = "service_point_services"
    service_point_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("service_points.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    capacity: Mapped[int] = mapped_column(Integer, default=1)


class CalendarException(Base):
    """A dated change at a service point: closed ("" spans) or other hours that day."""

    __tablename__ = "calendar_exceptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_point_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("service_points.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    spans: Mapped[str] = mapped_column(String(200), default="")  # "09:00-13:00,14:00-15:00"
    reason: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (UniqueConstraint("service_point_id", "day", name="uq_exception_day"),)


class Account(Base):
    """A person who signs in, whatever the parts they work in: the one password, the one
    session epoch (moved on by a password change or deactivation: older sessions of every part
    stop working) and the directory's user name. The parts' role rows (``staff``,
    ``hd_users``) hang off it; they keep a copy of the e-mail and name for their own lists,
    written with the account's (web/identity/accounts.py)."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # One account an e-mail (the writers see to it), but not unique: an upgrade conflict keeps
    # two (``account_conflicts``) until an administrator resolves it.
    email: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    # argon2; None until the person sets one through the e-mailed link (or never, for a
    # directory account: the directory keeps its password).
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # The directory's user name when the account came from the directory; None: a local one.
    directory_name: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccountConflict(Base):
    """Two accounts the upgrade to one account table could not merge (e.g. one e-mail with two
    different passwords): both are kept until an administrator resolves it."""

    __tablename__ = "account_conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(200), index=True)
    account_ids: Mapped[str] = mapped_column(String(200))  # "12,13"
    reason: Mapped[str] = mapped_column(String(200))
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PasswordLink(Base):
    """A one-time link that sets an account's password (a reset, or a new account's first);
    only the token's digest is stored."""

    __tablename__ = "password_links"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Staff(Base):
    """A person's queue and booking role: administrator, manager, clerk or reception."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"), unique=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)  # the account's, copied
    name: Mapped[str] = mapped_column(String(200))  # the account's, copied
    role: Mapped[str] = mapped_column(String(16))
    location_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    service_point_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The role is in force (an administrator of the part may take it away; the account stays).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Whose visits the account sees and changes: every location's, or only its own location's
    # (web/staff/scope.py); each role's default in web/auth/roles.py.
    all_locations: Mapped[bool] = mapped_column(Boolean, default=False)


class Setting(Base):
    """Installation-wide values kept in the database (e.g. the session signing key), so every
    worker of the cloud shares them."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# -- hub ↔ cloud sync (issue 5) ---------------------------------------------------------------


class SiteToken(Base):
    """A hub's credential for the sync API: one per site, revocable; only its digest is kept."""

    __tablename__ = "site_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location_id: Mapped[str] = mapped_column(String(40), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class QueueEvent(Base):
    """A queue event as the hub stored it. (location, hub_seq) is the idempotency key: a batch
    sent again after a lost answer inserts nothing twice."""

    __tablename__ = "queue_events"
    location_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    hub_seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_queue_events_day", "location_id", "day"),)


class Ticket(Base):
    """The live state of one paper ticket, for its e-ticket page (/e/{token}); kept from the
    hub's events and snapshots."""

    __tablename__ = "tickets"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(40), index=True)
    ticket_id: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # waiting, called, serving, done, …
    counter: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ahead: Mapped[int | None] = mapped_column(Integer, nullable=True)
    wait_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_tickets_ticket", "location_id", "ticket_id"),)


class SiteSync(Base):
    """How a site's sync is doing, as its hub last reported it."""

    __tablename__ = "site_sync"
    location_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_hub_seq: Mapped[int] = mapped_column(Integer, default=0)
    backlog: Mapped[int] = mapped_column(Integer, default=0)
    reservations_cursor: Mapped[int] = mapped_column(Integer, default=0)
    hub_version: Mapped[str] = mapped_column(String(40), default="")
    snapshot: Mapped[str] = mapped_column(Text, default="{}")  # last queue snapshot (JSON)


class TicketAlert(Base):
    """A visitor's wish to be told (SMS or e-mail) when N people are ahead and when called."""

    __tablename__ = "ticket_alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64), index=True)  # the ticket's e-ticket token
    contact: Mapped[str] = mapped_column(String(120))
    ahead: Mapped[int] = mapped_column(Integer, default=3)
    sent_ahead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_called_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The language of the page the alert was asked on: its messages are sent in it.
    language: Mapped[str] = mapped_column(String(5), default="pl", server_default="pl")


# -- helpdesk (issue 6) -----------------------------------------------------------------------
# Requests between the city services centre and the units it serves. Its people are their own
# population (unit users, service staff, helpdesk administrators), apart from the booking staff.


class HdUnit(Base):
    """A served unit (jednostka); ``user_count`` is the row the five-user cap locks on."""

    __tablename__ = "hd_units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HdAddress(Base):
    """One of a unit's addresses (buildings) a request is about."""

    __tablename__ = "hd_addresses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_units.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HdService(Base):
    """What a request is about; ``fields`` (JSON) are its own extra fields, and the flags say
    whether a due date, deferred publication and repetition are offered."""

    __tablename__ = "hd_services"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    fields: Mapped[str] = mapped_column(Text, default="[]")
    allow_due: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_schedule: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class HdUnitService(Base):
    __tablename__ = "hd_unit_services"
    unit_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_units.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_services.id"), primary_key=True)


class HdUser(Base):
    """A person's helpdesk role: unit (with its unit), service or admin (and the role in the
    fault reports hangs off it: ``fault_members``)."""

    __tablename__ = "hd_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(Integer, ForeignKey("accounts.id"), unique=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)  # the account's, copied
    name: Mapped[str] = mapped_column(String(120))  # the account's, copied
    phone: Mapped[str] = mapped_column(String(40), default="")  # the account's, copied
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("hd_units.id"), nullable=True, index=True
    )
    # The role is in force (a deactivated unit user frees the unit's place; the account stays).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HdRequest(Base):
    """A request (zgłoszenie); its number is the id. The text is never changed after filing.
    Flags the list filters on (``active``, counts, ``recurring``) are kept on the row so the
    list is one indexed query."""

    __tablename__ = "hd_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_units.id"))
    address_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_addresses.id"))
    service_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_services.id"))
    filed_by: Mapped[int] = mapped_column(Integer, ForeignKey("hd_users.id"))
    text: Mapped[str] = mapped_column(Text)
    fields: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    publish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_every: Mapped[int | None] = mapped_column(Integer, nullable=True)
    repeat_unit: Mapped[str | None] = mapped_column(String(8), nullable=True)
    repeat_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    repeat_n: Mapped[int] = mapped_column(Integer, default=0)
    repeat_next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    repeat_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    handler_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rating_token_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    last_change_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_hd_requests_active_change", "active", "last_change_at"),
        Index("ix_hd_requests_unit_active_change", "unit_id", "active", "last_change_at"),
        Index("ix_hd_requests_change", "last_change_at", "created_at"),
        Index("ix_hd_requests_unit_change", "unit_id", "last_change_at"),
        Index("ix_hd_requests_status_change", "status", "last_change_at"),
        Index("ix_hd_requests_service_change", "service_id", "last_change_at"),
        Index("ix_hd_requests_created", "created_at"),
        Index("ix_hd_requests_due", "due_on"),
        Index("ix_hd_requests_publish", "status", "publish_at"),
        Index("ix_hd_requests_repeat", "repeat_next_at"),
    )


class HdHelpPage(Base):
    """The helpdesk's "Pomoc zdalna" FAQ as the helpdesk administrator writes it (one row;
    plain text with light markdown, rendered escaped)."""

    __tablename__ = "hd_help_pages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class HdMessage(Base):
    """A chat message on a request, between the unit and the service staff."""

    __tablename__ = "hd_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_requests.id"), index=True)
    author_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HdEvent(Base):
    """The request's history: what changed, who (None = the system) and when."""

    __tablename__ = "hd_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class HdAttachment(Base):
    """A file of a request or of one of its messages, kept in the database. Encrypted ones hold
    only AES-GCM ciphertext with the scrypt salt and nonce: the key comes from the password that
    was e-mailed."""

    __tablename__ = "hd_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_requests.id"), index=True)
    # The chat message it came with; None for the files sent with the request itself.
    message_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("hd_messages.id"), nullable=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    nonce: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int] = mapped_column(Integer, ForeignKey("hd_users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HdRead(Base):
    """When a user last opened a request: later changes show in bold, new messages as an icon."""

    __tablename__ = "hd_reads"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- fleet health (issue 7) ---------------------------------------------------------------------


class Device(Base):
    """A site's device as its hub last reported it."""

    __tablename__ = "devices"
    location_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    software: Mapped[str] = mapped_column(String(80), default="")
    printer: Mapped[str] = mapped_column(String(20), default="none")
    detail: Mapped[str] = mapped_column(String(200), default="")
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeviceChange(Base):
    """A device's history: one row whenever its presence or printer state changed."""

    __tablename__ = "device_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location_id: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    online: Mapped[bool] = mapped_column(Boolean)
    printer: Mapped[str] = mapped_column(String(20))

    __table_args__ = (Index("ix_device_changes_device", "location_id", "device_id", "at"),)


# -- citizen fault reports (issue 8) ----------------------------------------------------------
# The Łódź "Usterka" procedure: a dictionary (departments, coordinator and realizer groups,
# categories, subcategories), the people's roles (their accounts are hd_users), reports with
# their history, files, replies to the reporter and mail records, the Open311 keys, and the
# monthly counts that outlive the reports (retention).


class FaultDepartment(Base):
    """A city department or unit working in the application (e.g. ZDiT)."""

    __tablename__ = "fault_departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FaultGroup(Base):
    """A coordinator or realizer group of a department ("symbol grupy w aplikacji")."""

    __tablename__ = "fault_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    department_id: Mapped[int] = mapped_column(Integer, ForeignKey("fault_departments.id"))
    kind: Mapped[str] = mapped_column(String(12))  # coordinator | realizer
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FaultCategory(Base):
    __tablename__ = "fault_categories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FaultSubcategory(Base):
    """What a report is about (Open311's service, ``code`` its service_code); the coordinator
    group it usually goes to, and its own required fields (JSON, Open311 attributes)."""

    __tablename__ = "fault_subcategories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category_id: Mapped[int] = mapped_column(Integer, ForeignKey("fault_categories.id"))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    coordinator_group_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("fault_groups.id"), nullable=True
    )
    attributes: Mapped[str] = mapped_column(Text, default="[]")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FaultMember(Base):
    """A helpdesk account's role in the reports, with its department or group."""

    __tablename__ = "fault_members"
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hd_users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("fault_departments.id"), nullable=True
    )
    group_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("fault_groups.id"), nullable=True
    )


class FaultReport(Base):
    """A report (zgłoszenie); its number is the id. ``received_at`` is when it reached the
    office (for outage entries, the real time), ``handed_at`` when its holder got it. The
    reporter's data are kept only when a reply was wanted, and only until ``forget_on``."""

    __tablename__ = "fault_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_digest: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(16))
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(12))
    category_id: Mapped[int] = mapped_column(Integer, ForeignKey("fault_categories.id"))
    subcategory_id: Mapped[int] = mapped_column(Integer, ForeignKey("fault_subcategories.id"))
    department_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    coordinator_group_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    realizer_group_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    taken: Mapped[bool] = mapped_column(Boolean, default=False)
    handler_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    family_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    precinct: Mapped[str] = mapped_column(String(60), default="")
    parcel: Mapped[str] = mapped_column(String(60), default="")
    rpw_id: Mapped[str | None] = mapped_column(String(60), nullable=True)
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    source_message: Mapped[str] = mapped_column(Text, default="")
    reply_wanted: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reporter_email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reporter_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    handed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    realise_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The category's deadline in working hours (devices), else null: the days of the SLA.
    realise_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    suspended_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    # A suspension pauses the realisation clock (§ 19 ust. 3): when the current one began,
    # and the working seconds of the past ones (``realise_due`` is moved on each resumption).
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    paused_s: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    contractor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contractor_ordered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    contractor_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closure: Mapped[str | None] = mapped_column(String(20), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    delay_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    planned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    device_key: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)
    forget_on: Mapped[date] = mapped_column(Date)
    last_change_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The reminder and escalation jobs claim a report by setting these (a conditional UPDATE),
    # so several workers send each mail once; a hand-over clears ``reminded_at``.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The language of the page (or Open311 ?lang=) the report was filed in: the reporter's
    # e-mails are written in it.
    language: Mapped[str] = mapped_column(String(5), default="pl", server_default="pl")

    __table_args__ = (
        Index("ix_fault_reports_status_change", "status", "last_change_at"),
        Index("ix_fault_reports_coordinator", "coordinator_group_id", "last_change_at"),
        Index("ix_fault_reports_realizer", "realizer_group_id", "last_change_at"),
        Index("ix_fault_reports_department", "department_id", "last_change_at"),
        Index("ix_fault_reports_forget", "finished", "forget_on"),
        # One open report per device and problem, even with several workers watching.
        Index(
            "uq_fault_reports_open_device",
            "device_key",
            unique=True,
            sqlite_where=text("NOT finished"),
            postgresql_where=text("NOT finished"),
        ),
        # The id is the report's public number: never given twice, even after a deletion
        # (SQLite would reuse the largest; PostgreSQL's sequence never goes back).
        {"sqlite_autoincrement": True},
    )


class FaultPastHolder(Base):
    """A coordinator group that forwarded or returned a report: it keeps read-only sight of
    what it handed on (the "przekazane" list)."""

    __tablename__ = "fault_past_holders"
    report_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("fault_reports.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FaultEvent(Base):
    """A report's history: every step with who (None = the system or the reporter) and when;
    ``at`` is the real time of the step (entered afterwards after an outage)."""

    __tablename__ = "fault_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("fault_reports.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    group_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class FaultAttachment(Base):
    """A photo or file of a report (the source message too), kept in the database."""

    __tablename__ = "fault_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("fault_reports.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FaultReply(Base):
    """A reply given to the reporter (§ 16 ust. 3): when and how."""

    __tablename__ = "fault_replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("fault_reports.id", ondelete="CASCADE"), index=True
    )
    replied_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FaultMail(Base):
    """An e-mail sent about a report (to whom, what): purged with the report."""

    __tablename__ = "fault_mails"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("fault_reports.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))


class FaultApiKey(Base):
    """An Open311 client's key (only its digest is kept)."""

    __tablename__ = "fault_api_keys"
    key_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FaultStat(Base):
    """Monthly counts of finished reports that stay when the reports are deleted (§ 27
    ust. 3); department 0 = none."""

    __tablename__ = "fault_stats"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-03
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(12), primary_key=True)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)


class RateHit(Base):
    """One counted attempt of a rate limit (web/ratelimit.py), shared by every worker. The key
    (an address, a phone number, an e-mail) is kept only as an HMAC digest; rows older than a
    day are deleted."""

    __tablename__ = "rate_hits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_digest: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float)  # epoch seconds

    __table_args__ = (
        Index("ix_rate_hits_key", "key_digest", "at"),
        Index("ix_rate_hits_at", "at"),
    )


class AuthSession(Base):
    """A signed-in session, kept on the server (web/identity/sessions.py) so that signing out, a
    password change or deactivation ends it for every copy of the cookie. The cookie holds
    a random token; only its sha256 digest is stored."""

    __tablename__ = "auth_sessions"
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    realm: Mapped[str] = mapped_column(String(16))  # "staff" or "helpdesk": which account table
    account_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)  # epoch seconds
    seen_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index("ix_auth_sessions_account", "realm", "account_id"),
        Index("ix_auth_sessions_created", "created_at"),
    )


class SigninEvent(Base):
    """The sign-in audit (web/identity/audit.py): who signed in or out, or failed to, when and
    from which address. Kept for the installation's period, then deleted."""

    __tablename__ = "signin_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    realm: Mapped[str] = mapped_column(String(16))  # which sign-in: "staff", "helpdesk"
    email: Mapped[str] = mapped_column(String(200))  # as typed (lower case), known or not
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # web/identity/audit.py: Outcome
    source: Mapped[str] = mapped_column(String(64))  # the client's address

    __table_args__ = (Index("ix_signin_audit_at", "at"),)


class StaffApiToken(Base):
    """An integration's read access to the staff register (an EZD system): revocable, scoped
    to one location or none (all); only the token's digest is kept, the token is shown once."""

    __tablename__ = "staff_api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    location_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AccessEvent(Base):
    """The access log (GDPR art. 5(2), web/privacy/access.py): who opened a record with personal
    data, or exported or erased a person's data, when and what. Kept for the installation's
    period (``--access-log-days``), then deleted."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))  # staff or helpdesk e-mail, or "cli"
    action: Mapped[str] = mapped_column(String(16))  # opened, looked_up, exported, erased
    record: Mapped[str] = mapped_column(String(120))  # "reservation R1", "contact j***@x.pl"

    __table_args__ = (Index("ix_access_log_at", "at"),)
