"""Tables of the cloud service (SQLAlchemy 2). SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SlotCount(Base):
    """Places taken in one slot of one offer: the row that booking locks and counts on, so
    concurrent visitors never get more than the capacity."""

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
    contact: Mapped[str] = mapped_column(String(120))  # mobile number or e-mail
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The 6-digit confirmation code is kept only as a digest, and guessing is counted.
    confirm_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confirm_attempts: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("access_code", name="uq_reservations_access_code"),
        Index("ix_reservations_slot", "service_point", "service", "start"),
        Index("ix_reservations_hold", "status", "hold_until"),
    )
