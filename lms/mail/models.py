"""The e-mail outbox: one row per message, written in the transaction of the change it reports."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.time import utcnow


class OutboxState(LabelledEnum):
    PENDING = "pending", _l("Đang chờ gửi")
    SENDING = "sending", _l("Đang gửi")
    SENT = "sent", _l("Đã gửi")
    FAILED = "failed", _l("Lỗi")


class OutboxMessage(db.Model):
    """An e-mail written in the same transaction as the change it reports; ``lms.mail.sender.send_pending`` sends it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_email: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    ics: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[OutboxState] = mapped_column(str_enum(OutboxState), default=OutboxState.PENDING)
