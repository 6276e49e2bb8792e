"""Usage of the three core applications, month by month.

Sources (written by the imports and the unit form, kept as they came):

* ``UsageImport`` / ``UsageRow``: one file of one system for one month, and its rows with what they
  matched (an official, or a unit for portals and per-unit document counts; NULL = unmatched, listed
  for IT staff, never dropped). A month imported again replaces the earlier file (unique
  ``(system, month)``).
* ``UsageMatch``: a match made by hand, remembered for the next months (key = the folded mailbox,
  account, portal address or "name|unit" of the row).
* ``UnitReport`` / ``UnitReportOfficial``: the monthly form of a unit without an export.

Derived rows (rebuilt from the sources by ``services.rebuild_month``, in the same transaction):

* ``OfficialMonth``: the month's roster (every active official, their unit and category as of that
  month) with whether they used official e-mail and the document software;
* ``UnitMonth``: a unit's figures for the month (document flow, portal, e-mail users, usage score).

The province indicators are GROUP BYs over these two tables.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.org.models import Category, Official, Unit
from lms.time import utcnow


class System(LabelledEnum):
    """The three core applications whose usage is measured."""

    DMS = "dms", _l("Phần mềm quản lý văn bản và điều hành")
    PORTAL = "portal", _l("Cổng thông tin điện tử thành phần")
    EMAIL = "email", _l("Thư điện tử công vụ")

    @property
    def short_label(self) -> str:
        return str({"dms": _l("Quản lý văn bản"), "portal": _l("Cổng thông tin"), "email": _l("Thư công vụ")}[self])


class MatchMethod(LabelledEnum):
    EMAIL = "email", _l("Theo địa chỉ thư")
    ACCOUNT = "account", _l("Theo tài khoản")
    NAME = "name", _l("Theo họ tên và đơn vị")
    UNIT = "unit", _l("Theo đơn vị")
    REMEMBERED = "remembered", _l("Theo lần ghép tay trước")
    MANUAL = "manual", _l("Ghép tay")
    NOT_PERSON = "not_person", _l("Hộp thư/tài khoản chung của cơ quan")


class UsageImport(db.Model):
    """One imported file: the usage of one system in one month."""

    __tablename__ = "adoption_import"
    __table_args__ = (UniqueConstraint("system", "month", name="uq_adoption_import_system_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[System] = mapped_column(str_enum(System))
    month: Mapped[date] = mapped_column(Date)
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsageRow(db.Model):
    """A row of an imported file, with what it matched. Figures are NULL where the system has none."""

    __tablename__ = "adoption_row"
    __table_args__ = (
        Index("ix_adoption_row_import_official", "import_id", "official_id"),
        Index("ix_adoption_row_import_key", "import_id", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("adoption_import.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)  # as the user sees it in Excel (header = 1)
    key: Mapped[str] = mapped_column(String(300), default="")  # folded identity, what a manual match remembers
    label: Mapped[str] = mapped_column(String(300), default="")  # mailbox / account / portal as written
    name: Mapped[str] = mapped_column(String(255), default="")
    unit_text: Mapped[str] = mapped_column(String(255), default="")
    official_id: Mapped[int | None] = mapped_column(ForeignKey("official.id", ondelete="SET NULL"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    match: Mapped[MatchMethod | None] = mapped_column(str_enum(MatchMethod))
    received: Mapped[int | None] = mapped_column(Integer)
    processed: Mapped[int | None] = mapped_column(Integer)
    sent: Mapped[int | None] = mapped_column(Integer)
    signed: Mapped[int | None] = mapped_column(Integer)
    articles: Mapped[int | None] = mapped_column(Integer)
    last_update_on: Mapped[date | None] = mapped_column(Date)
    last_login_on: Mapped[date | None] = mapped_column(Date)
    messages_sent: Mapped[int | None] = mapped_column(Integer)

    usage_import: Mapped[UsageImport] = relationship()
    official: Mapped[Official | None] = relationship()
    unit: Mapped[Unit | None] = relationship()


class UsageMatch(db.Model):
    """A match made by hand, remembered: the same key in a later file matches the same official
    (or unit), or is known not to be a person (an agency mailbox) when both are NULL."""

    __tablename__ = "adoption_match"
    __table_args__ = (UniqueConstraint("system", "key", name="uq_adoption_match_system_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[System] = mapped_column(str_enum(System))
    key: Mapped[str] = mapped_column(String(300))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnitReport(db.Model):
    """The monthly form of a unit (its IT focal point or head): the figures the 2014 report collected."""

    __tablename__ = "adoption_unit_report"
    __table_args__ = (UniqueConstraint("unit_id", "month", name="uq_adoption_unit_report_unit_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    month: Mapped[date] = mapped_column(Date)
    dms_received: Mapped[int] = mapped_column(Integer, default=0)
    dms_processed: Mapped[int] = mapped_column(Integer, default=0)
    dms_sent: Mapped[int] = mapped_column(Integer, default=0)
    dms_signed: Mapped[int] = mapped_column(Integer, default=0)
    has_portal: Mapped[bool] = mapped_column(Boolean, default=False)
    portal_articles: Mapped[int] = mapped_column(Integer, default=0)
    portal_last_update: Mapped[date | None] = mapped_column(Date)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    officials: Mapped[list[UnitReportOfficial]] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="selectin"
    )


class UnitReportOfficial(db.Model):
    """One staff line of a unit's form: did this official use official e-mail / the document software."""

    __tablename__ = "adoption_unit_report_official"
    __table_args__ = (UniqueConstraint("report_id", "official_id", name="uq_adoption_unit_report_official"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("adoption_unit_report.id", ondelete="CASCADE"))
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"), index=True)
    uses_email: Mapped[bool] = mapped_column(Boolean, default=False)
    uses_dms: Mapped[bool] = mapped_column(Boolean, default=False)

    report: Mapped[UnitReport] = relationship(back_populates="officials")


class OfficialMonth(db.Model):
    """An official's month: in the roster (active that month, in ``unit_id``, of ``category``) and
    their use of official e-mail and the document software (NULL = no data for their unit)."""

    __tablename__ = "adoption_official_month"
    __table_args__ = (Index("ix_adoption_official_month_month_unit", "month", "unit_id"),)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    official_id: Mapped[int] = mapped_column(
        ForeignKey("official.id", ondelete="CASCADE"), primary_key=True, autoincrement=False, index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    category: Mapped[Category] = mapped_column(str_enum(Category))
    mail_used: Mapped[bool | None] = mapped_column(Boolean)
    mail_sent: Mapped[int | None] = mapped_column(Integer)
    mail_last_login: Mapped[date | None] = mapped_column(Date)
    dms_used: Mapped[bool | None] = mapped_column(Boolean)
    dms_handled: Mapped[int | None] = mapped_column(Integer)  # processed + sent through the software


class UnitMonth(db.Model):
    """A unit's month. Document counts are NULL without data; ``has_portal`` False = no portal known."""

    __tablename__ = "adoption_unit_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, autoincrement=False, index=True
    )
    officials: Mapped[int] = mapped_column(Integer, default=0)
    mail_users: Mapped[int] = mapped_column(Integer, default=0)
    mail_source: Mapped[str | None] = mapped_column(String(8))  # file | form | None (no data)
    dms_users: Mapped[int] = mapped_column(Integer, default=0)
    dms_received: Mapped[int | None] = mapped_column(Integer)
    dms_processed: Mapped[int | None] = mapped_column(Integer)
    dms_sent: Mapped[int | None] = mapped_column(Integer)
    dms_signed: Mapped[int | None] = mapped_column(Integer)
    dms_source: Mapped[str | None] = mapped_column(String(8))
    has_portal: Mapped[bool] = mapped_column(Boolean, default=False)
    portal_articles: Mapped[int | None] = mapped_column(Integer)
    portal_last_update: Mapped[date | None] = mapped_column(Date)
    portal_source: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float, default=0.0)  # the unit usage score, 0-100

    unit: Mapped[Unit] = relationship()


class DigestOptOut(db.Model):
    """A unit head who turned the monthly digest off."""

    __tablename__ = "adoption_digest_optout"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestSent(db.Model):
    """A monthly digest queued for a unit head (one per head, unit and month)."""

    __tablename__ = "adoption_digest"
    __table_args__ = (UniqueConstraint("month", "user_id", "unit_id", name="uq_adoption_digest_month_user_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    to_email: Mapped[str] = mapped_column(String(255))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")


class AdoptionVersion(db.Model):
    """The version of the cached indicators: bumped in the transaction of every write that changes
    them (imports, matches, forms, rebuilds), so every worker process sees the change."""

    __tablename__ = "adoption_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
