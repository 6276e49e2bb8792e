"""Usage data in: imports, manual matches, the unit form, and the monthly rebuild of the derived rows.

Plain functions over a session; they flush, the request (or CLI command) commits once.

Rules (one place, also explained on the pages):

* **E-mail**: an official uses official e-mail in a month when their mailbox's last login is on or
  after the month's first day, or they sent mail that month.
* **Document software**: electronic handling = incoming documents processed on the software +
  outgoing documents signed digitally. An official (their account) or a unit uses the software in a
  month when it has any. The incoming flow is electronic in the share processed / received, the
  outgoing one in the share signed / sent.
* **Portal**: a portal is up to date when its last update is at most 30 days before the day the month
  is judged on (its last day, or today for the current month).
* **Sources**: for each unit and system, a file's matched rows win; a unit the file does not mention
  but that filled the monthly form takes the form's figures; a unit in neither, in a month with a
  file, is "not found in the export" (nobody uses it); without file or form, "no data".
* **Roster**: a month counts the officials active when its data arrive (their unit and category as of
  then); the current and the previous month are refreshed at every rebuild (imports of e-mail or
  document data, forms, matches; a portal file changes only the units' rows), older months keep
  theirs (so the units of before the July 2025 reorganisation keep their history).
* **Usage score** of a unit (0-100): the mean, over the applications the unit has, of the share of
  staff using e-mail, the electronic share of its document flow ((processed + signed) / (received +
  sent)), and 1 / 0 for a portal up to date / stale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, contains_eager

from adoption import cache
from adoption.imports import ParsedFile
from adoption.matching import Directory
from adoption.models import (
    MatchMethod,
    OfficialMonth,
    System,
    UnitMonth,
    UnitReport,
    UnitReportOfficial,
    UsageImport,
    UsageMatch,
    UsageRow,
)
from adoption.months import add_months, as_of, local_today, month_start
from lms.errors import UserError
from lms.org.models import Official, Unit

PORTAL_FRESH_DAYS = 30


class AdoptionError(UserError):
    """A user error of the usage pages, with a message fit for the page."""


# -- imports -------------------------------------------------------------------------------------
@dataclass
class ImportOutcome:
    usage_import: UsageImport
    replaced: bool
    matched: int
    unmatched: int
    not_person: int
    methods: dict[str, int] = field(default_factory=dict)


def check_month(month: date | None, today: date | None = None) -> date:
    today = today or local_today()
    if month is None:
        raise AdoptionError(_("Hãy chọn tháng của số liệu."))
    if month > month_start(today):
        raise AdoptionError(_("Không nhập được số liệu của tháng chưa đến."))
    return month


def import_usage(
    session: Session, parsed: ParsedFile, filename: str, actor=None, ip: str = "", today: date | None = None
) -> ImportOutcome:
    """Write a validated file as the month's data of its system, replacing an earlier file of the
    same month (idempotent), then rebuild the month. ``parsed`` must have no errors."""
    if not parsed.ok:
        raise ValueError("import_usage needs a file without errors")
    system, month = parsed.system, check_month(parsed.month, today)
    previous = session.scalar(select(UsageImport).where(UsageImport.system == system, UsageImport.month == month))
    if previous is not None:
        session.execute(delete(UsageRow).where(UsageRow.import_id == previous.id))
        session.delete(previous)
        session.flush()
    batch = UsageImport(system=system, month=month, filename=filename[:255], created_by_id=actor.id if actor else None)
    session.add(batch)
    session.flush()
    directory = Directory(session, system, as_of(month, today))
    rows, methods = [], defaultdict(int)
    for row in parsed.rows:
        v = row.values
        found = directory.match(v)
        if found.method is not None:
            methods[found.method.value] += 1
        label = v.get("mailbox") or v.get("account") or v.get("email") or v.get("portal") or ""
        rows.append(
            {
                "import_id": batch.id,
                "row_number": row.row_number,
                "key": found.key,
                "label": label[:300],
                "name": (v.get("name") or "")[:255],
                "unit_text": (v.get("unit") or "")[:255],
                "official_id": found.official_id,
                "unit_id": found.unit_id,
                "match": found.method,
                "received": v.get("received"),
                "processed": v.get("processed"),
                "sent": v.get("sent"),
                "signed": v.get("signed"),
                "articles": v.get("articles"),
                "last_update_on": v.get("last_update"),
                "last_login_on": v.get("last_login"),
                "messages_sent": v.get("messages_sent"),
            }
        )
    if rows:
        session.execute(UsageRow.__table__.insert(), rows)
    not_person = methods.get(MatchMethod.NOT_PERSON.value, 0)
    matched = sum(methods.values()) - not_person
    batch.rows, batch.matched, batch.unmatched = len(rows), matched, len(rows) - matched - not_person
    if system == System.PORTAL:
        rebuild_portals(session, month, today)
    else:
        rebuild_month(session, month, today)
    cache.bump(session)
    _audit(
        session,
        actor,
        "adoption.import",
        "",
        {
            "system": system.value,
            "month": f"{month:%Y-%m}",
            "file": filename,
            "rows": len(rows),
            "matched": matched,
            "unmatched": batch.unmatched,
            "not_person": not_person,
            "replaced": previous is not None,
        },
        ip,
    )
    session.flush()
    return ImportOutcome(batch, previous is not None, matched, batch.unmatched, not_person, dict(methods))


def _audit(session, actor, action, target, data, ip) -> None:
    from lms.auth.services import audit

    audit(session, actor, action, target=target, data=data, ip=ip)


# -- manual matching -----------------------------------------------------------------------------
def unmatched_rows(system: System | None = None, month: date | None = None):
    """Rows nobody matched, most recent month first, then as in the file."""
    query = (
        select(UsageRow)
        .join(UsageImport, UsageImport.id == UsageRow.import_id)
        .options(contains_eager(UsageRow.usage_import))
        .where(UsageRow.official_id.is_(None), UsageRow.unit_id.is_(None), UsageRow.match.is_(None))
        .order_by(UsageImport.month.desc(), UsageImport.system, UsageRow.row_number)
    )
    if system is not None:
        query = query.where(UsageImport.system == system)
    if month is not None:
        query = query.where(UsageImport.month == month)
    return query


def match_by_hand(
    session: Session,
    row: UsageRow,
    *,
    official: Official | None = None,
    unit: Unit | None = None,
    not_person: bool = False,
    actor=None,
    ip: str = "",
    today: date | None = None,
) -> int:
    """Match a row (and every unmatched row of the same key, any month) to an official, a unit, or
    "not a person"; remember it for later files. Returns the number of rows matched."""
    batch = session.get(UsageImport, row.import_id)
    system = batch.system
    per_unit = system == System.PORTAL or (system == System.DMS and row.key.startswith("unit:"))
    if not_person:
        official = unit = None
    elif per_unit:
        if unit is None:
            raise AdoptionError(_("Hãy chọn đơn vị của dòng này."))
        official = None
    elif official is None:
        raise AdoptionError(_("Hãy chọn cán bộ của dòng này."))
    elif not official.active:
        raise AdoptionError(_("Cán bộ này đã nghỉ công tác."))
    remembered = session.scalar(select(UsageMatch).where(UsageMatch.system == system, UsageMatch.key == row.key))
    if remembered is None:
        remembered = UsageMatch(system=system, key=row.key)
        session.add(remembered)
    remembered.official_id = official.id if official else None
    remembered.unit_id = unit.id if unit else None
    remembered.created_by_id = actor.id if actor else None
    method = MatchMethod.NOT_PERSON if not_person else MatchMethod.MANUAL
    same_key = (
        select(UsageRow.id)
        .join(UsageImport, UsageImport.id == UsageRow.import_id)
        .where(
            UsageImport.system == system,
            UsageRow.key == row.key,
            UsageRow.official_id.is_(None),
            UsageRow.unit_id.is_(None),
            UsageRow.match.is_(None),
        )
    )
    ids = list(session.scalars(same_key))
    if row.id not in ids:
        ids.append(row.id)
    months = set(
        session.scalars(
            select(UsageImport.month).join(UsageRow, UsageRow.import_id == UsageImport.id).where(UsageRow.id.in_(ids))
        )
    )
    session.execute(
        update(UsageRow)
        .where(UsageRow.id.in_(ids))
        .values(official_id=remembered.official_id, unit_id=remembered.unit_id, match=method)
        .execution_options(synchronize_session=False)
    )
    session.expire(row)
    _recount(session, system, months)
    for month in sorted(months):
        (rebuild_portals if system == System.PORTAL else rebuild_month)(session, month, today)
    cache.bump(session)
    who = {"official": official.id} if official else ({"unit": unit.id} if unit else {"not_person": True})
    facts = {"system": system.value, "account": row.key, **who, "rows": len(ids)}
    _audit(session, actor, "adoption.match", "", facts, ip)
    session.flush()
    return len(ids)


def _recount(session: Session, system: System, months) -> None:
    for batch in session.scalars(
        select(UsageImport).where(UsageImport.system == system, UsageImport.month.in_(list(months)))
    ):
        counts = dict(
            session.execute(
                select(UsageRow.match, func.count()).where(UsageRow.import_id == batch.id).group_by(UsageRow.match)
            ).all()
        )
        not_person = counts.get(MatchMethod.NOT_PERSON, 0)
        batch.unmatched = counts.get(None, 0)
        batch.matched = batch.rows - batch.unmatched - not_person


# -- the monthly unit form -----------------------------------------------------------------------
@dataclass
class UnitReportInput:
    dms_received: int = 0
    dms_processed: int = 0
    dms_sent: int = 0
    dms_signed: int = 0
    has_portal: bool = False
    portal_articles: int = 0
    portal_last_update: date | None = None
    email_users: set[int] = field(default_factory=set)  # official ids
    dms_users: set[int] = field(default_factory=set)


def unit_staff(session: Session, unit_id: int) -> list[Official]:
    """The active staff of a unit in list order (the form's checklist)."""
    return list(
        session.scalars(
            select(Official)
            .where(Official.unit_id == unit_id, Official.active.is_(True))
            .order_by(Official.sort_key, Official.id)
        )
    )


def save_unit_report(
    session: Session,
    unit: Unit,
    month: date,
    data: UnitReportInput,
    actor=None,
    ip: str = "",
    today: date | None = None,
) -> UnitReport:
    """Create or replace the unit's form for ``month`` and rebuild the month."""
    month = check_month(month, today)
    if data.dms_processed > data.dms_received:
        raise AdoptionError(_("Số văn bản đến xử lý trên phần mềm không thể lớn hơn tổng số văn bản đến."))
    if data.dms_signed > data.dms_sent:
        raise AdoptionError(_("Số văn bản đi có ký số không thể lớn hơn tổng số văn bản đi."))
    if data.has_portal and data.portal_last_update is None:
        raise AdoptionError(_("Hãy nhập ngày cổng thông tin được cập nhật gần nhất."))
    if data.portal_last_update and data.portal_last_update > as_of(month, today):
        raise AdoptionError(_("Ngày cập nhật cổng không thể sau tháng báo cáo."))
    staff = {o.id for o in unit_staff(session, unit.id)}
    if not (data.email_users | data.dms_users) <= staff:
        raise AdoptionError(_("Danh sách có người không thuộc đơn vị. Hãy tải lại trang và thử lại."))
    report = session.scalar(select(UnitReport).where(UnitReport.unit_id == unit.id, UnitReport.month == month))
    if report is None:
        report = UnitReport(unit_id=unit.id, month=month)
        session.add(report)
    report.dms_received, report.dms_processed = data.dms_received, data.dms_processed
    report.dms_sent, report.dms_signed = data.dms_sent, data.dms_signed
    report.has_portal = data.has_portal
    report.portal_articles = data.portal_articles if data.has_portal else 0
    report.portal_last_update = data.portal_last_update if data.has_portal else None
    report.submitted_by_id = actor.id if actor else None
    from lms.time import utcnow

    report.submitted_at = utcnow()
    # lines updated in place: replacing the list would insert the new lines before deleting the old
    # ones, against the unique (report, official) of a form sent again
    lines = {line.official_id: line for line in report.officials}
    for oid, line in lines.items():
        if oid not in staff:
            report.officials.remove(line)
    for oid in sorted(staff):
        line = lines.get(oid)
        if line is None:
            line = UnitReportOfficial(official_id=oid)
            report.officials.append(line)
        line.uses_email, line.uses_dms = oid in data.email_users, oid in data.dms_users
    session.flush()
    rebuild_month(session, month, today)
    cache.bump(session)
    _audit(session, actor, "adoption.unit_report", f"unit:{unit.id}", {"month": f"{month:%Y-%m}"}, ip)
    session.flush()
    return report


# -- the monthly rebuild -------------------------------------------------------------------------
def _roster(session: Session, month: date, today: date) -> dict[int, tuple[int, str]]:
    """official id -> (unit id, category) of the month (see the module rules)."""
    refresh = month >= add_months(month_start(today), -1)
    if not refresh:
        kept = {
            oid: (uid, cat)
            for oid, uid, cat in session.execute(
                select(OfficialMonth.official_id, OfficialMonth.unit_id, OfficialMonth.category).where(
                    OfficialMonth.month == month
                )
            )
        }
        if kept:
            return kept
    return {
        oid: (uid, cat)
        for oid, uid, cat in session.execute(
            select(Official.id, Official.unit_id, Official.category).where(Official.active.is_(True))
        )
    }


def mail_used(last_login: date | None, sent: int | None, month: date) -> bool:
    return (last_login is not None and last_login >= month) or bool(sent)


def portal_fresh(last_update: date | None, judged_on: date) -> bool:
    return last_update is not None and last_update >= judged_on - timedelta(days=PORTAL_FRESH_DAYS - 1)


def usage_score(
    officials: int,
    mail_users: int,
    mail_known: bool,
    dms: tuple[int, int, int, int] | None,
    has_portal: bool,
    portal_ok: bool,
) -> float:
    """The unit usage score, 0-100 (see the module rules). ``dms`` = (received, processed, sent, signed)."""
    parts = []
    if mail_known and officials:
        parts.append(mail_users / officials)
    if dms is not None:
        received, processed, sent, signed = dms
        flow = received + sent
        parts.append((processed + signed) / flow if flow else 0.0)
    if has_portal:
        parts.append(1.0 if portal_ok else 0.0)
    return round(100.0 * sum(parts) / len(parts), 2) if parts else 0.0


def rebuild_month(
    session: Session, month: date, today: date | None = None, roster: dict[int, tuple[int, str]] | None = None
) -> tuple[int, int]:
    """Recompute the month's ``OfficialMonth`` and ``UnitMonth`` rows from its files and forms.

    ``roster`` (official id -> (unit id, category)) replaces the month's roster (history written by
    the demo); by default it follows the module rules. Returns (officials, units) written.
    Idempotent; called by every write of usage data."""
    today = today or local_today()
    judged_on = as_of(month, today)
    roster = roster if roster is not None else _roster(session, month, today)
    imports = {b.system: b for b in session.scalars(select(UsageImport).where(UsageImport.month == month))}
    reports = {r.unit_id: r for r in session.scalars(select(UnitReport).where(UnitReport.month == month))}
    lines = defaultdict(dict)  # unit id -> {official id: UnitReportOfficial}
    for report in reports.values():
        for line in report.officials:
            lines[report.unit_id][line.official_id] = line

    # e-mail, per official, from the file
    mail_file: dict[int, list] = {}
    if System.EMAIL in imports:
        for oid, login, sent in session.execute(
            select(UsageRow.official_id, UsageRow.last_login_on, UsageRow.messages_sent).where(
                UsageRow.import_id == imports[System.EMAIL].id, UsageRow.official_id.is_not(None)
            )
        ):
            acc = mail_file.setdefault(oid, [None, 0])
            if login is not None and (acc[0] is None or login > acc[0]):
                acc[0] = login
            acc[1] += sent or 0
    mail_units = {roster[oid][0] for oid in mail_file if oid in roster}

    # document software, per official and per unit, from the file
    dms_file: dict[int, list[int]] = {}
    dms_unit_file: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    if System.DMS in imports:
        for oid, uid, *counts in session.execute(
            select(
                UsageRow.official_id,
                UsageRow.unit_id,
                UsageRow.received,
                UsageRow.processed,
                UsageRow.sent,
                UsageRow.signed,
            ).where(UsageRow.import_id == imports[System.DMS].id)
        ):
            counts = [c or 0 for c in counts]
            if oid is not None:
                if oid not in roster:
                    continue
                acc = dms_file.setdefault(oid, [0, 0, 0, 0])
                uid = roster[oid][0]
            elif uid is not None:
                acc = None
            else:
                continue
            unit_acc = dms_unit_file[uid]
            for i, c in enumerate(counts):
                unit_acc[i] += c
                if acc is not None:
                    acc[i] += c
    dms_units = set(dms_unit_file)

    portal_file = _portal_file(session, imports)

    def source(system: System, unit_id: int, covered: set[int]) -> str | None:
        if system in imports and unit_id in covered:
            return "file"
        if unit_id in reports:
            return "form"
        return "file" if system in imports else None

    official_rows = []
    units: dict[int, dict] = {}

    def unit_entry(uid: int) -> dict:
        entry = units.get(uid)
        if entry is None:
            entry = units[uid] = {"officials": 0, "mail_users": 0, "dms_users": 0}
        return entry

    for oid, (uid, category) in roster.items():
        entry = unit_entry(uid)
        entry["officials"] += 1
        m_source = source(System.EMAIL, uid, mail_units)
        d_source = source(System.DMS, uid, dms_units)
        row = dict(month=month, official_id=oid, unit_id=uid, category=category, mail_used=None, mail_sent=None)
        row.update(mail_last_login=None, dms_used=None, dms_handled=None)
        if m_source == "file":
            login, sent = mail_file.get(oid, (None, 0))
            row["mail_used"] = mail_used(login, sent, month)
            row["mail_sent"], row["mail_last_login"] = (sent, login) if oid in mail_file else (None, None)
        elif m_source == "form":
            line = lines[uid].get(oid)
            row["mail_used"] = bool(line and line.uses_email)
        if d_source == "file":
            counts = dms_file.get(oid)
            handled = (counts[1] + counts[3]) if counts else 0
            row["dms_used"], row["dms_handled"] = handled > 0, handled if counts else None
        elif d_source == "form":
            line = lines[uid].get(oid)
            row["dms_used"] = bool(line and line.uses_dms)
        entry["mail_users"] += 1 if row["mail_used"] else 0
        entry["dms_users"] += 1 if row["dms_used"] else 0
        entry["mail_source"], entry["dms_source"] = m_source, d_source
        official_rows.append(row)

    for uid in set(dms_unit_file) | set(portal_file) | set(reports):
        unit_entry(uid)
    unit_rows = []
    for uid, entry in units.items():
        d_source = entry.get("dms_source") or source(System.DMS, uid, dms_units)
        m_source = entry.get("mail_source") or source(System.EMAIL, uid, mail_units)
        dms = None
        if d_source == "file":
            dms = tuple(dms_unit_file.get(uid, (0, 0, 0, 0)))
        elif d_source == "form":
            r = reports[uid]
            dms = (r.dms_received, r.dms_processed, r.dms_sent, r.dms_signed)
        has_portal, articles, last_update, p_source = _portal_of(uid, portal_file, reports)
        score = usage_score(
            entry["officials"],
            entry["mail_users"],
            m_source is not None,
            dms,
            has_portal,
            portal_fresh(last_update, judged_on),
        )
        unit_rows.append(
            {
                "month": month,
                "unit_id": uid,
                "officials": entry["officials"],
                "mail_users": entry["mail_users"],
                "mail_source": m_source if entry["officials"] else None,
                "dms_users": entry["dms_users"],
                "dms_received": dms[0] if dms else None,
                "dms_processed": dms[1] if dms else None,
                "dms_sent": dms[2] if dms else None,
                "dms_signed": dms[3] if dms else None,
                "dms_source": d_source if dms else None,
                "has_portal": has_portal,
                "portal_articles": articles,
                "portal_last_update": last_update,
                "portal_source": p_source,
                "score": score,
            }
        )
    session.execute(
        delete(OfficialMonth).where(OfficialMonth.month == month).execution_options(synchronize_session=False)
    )
    session.execute(delete(UnitMonth).where(UnitMonth.month == month).execution_options(synchronize_session=False))
    if official_rows:
        session.execute(OfficialMonth.__table__.insert(), official_rows)
    if unit_rows:
        session.execute(UnitMonth.__table__.insert(), unit_rows)
    session.flush()
    return len(official_rows), len(unit_rows)


def _portal_file(session: Session, imports: dict) -> dict[int, list]:
    """unit id -> [articles, last update] from the month's portal file."""
    out: dict[int, list] = {}
    if System.PORTAL in imports:
        for uid, articles, last_update in session.execute(
            select(UsageRow.unit_id, UsageRow.articles, UsageRow.last_update_on).where(
                UsageRow.import_id == imports[System.PORTAL].id, UsageRow.unit_id.is_not(None)
            )
        ):
            acc = out.setdefault(uid, [0, None])
            acc[0] += articles or 0
            if last_update is not None and (acc[1] is None or last_update > acc[1]):
                acc[1] = last_update
    return out


def _portal_of(uid: int, portal_file: dict, reports: dict) -> tuple[bool, int | None, date | None, str | None]:
    """(has a portal, articles, last update, source) of a unit: the file wins over the form."""
    if uid in portal_file:
        return True, portal_file[uid][0], portal_file[uid][1], "file"
    report = reports.get(uid)
    if report is not None and report.has_portal:
        return True, report.portal_articles, report.portal_last_update, "form"
    return False, None, None, None


def rebuild_portals(session: Session, month: date, today: date | None = None) -> int:
    """After a change of portal data only: the units' portal figures and scores, the officials'
    rows untouched (a full ``rebuild_month`` when the month has no rows yet). Returns units written."""
    today = today or local_today()
    existing = {u.unit_id: u for u in session.scalars(select(UnitMonth).where(UnitMonth.month == month))}
    if not existing:
        return rebuild_month(session, month, today)[1]
    imports = {b.system: b for b in session.scalars(select(UsageImport).where(UsageImport.month == month))}
    reports = {r.unit_id: r for r in session.scalars(select(UnitReport).where(UnitReport.month == month))}
    portal_file = _portal_file(session, imports)
    judged_on = as_of(month, today)
    for uid in (set(portal_file) | set(reports)) - set(existing):
        row = existing[uid] = UnitMonth(month=month, unit_id=uid, officials=0, mail_users=0, dms_users=0)
        session.add(row)
    for uid, row in existing.items():
        row.has_portal, row.portal_articles, row.portal_last_update, row.portal_source = _portal_of(
            uid, portal_file, reports
        )
        dms = None
        if row.dms_source is not None:
            dms = (row.dms_received or 0, row.dms_processed or 0, row.dms_sent or 0, row.dms_signed or 0)
        row.score = usage_score(
            row.officials,
            row.mail_users,
            row.mail_source is not None,
            dms,
            row.has_portal,
            portal_fresh(row.portal_last_update, judged_on),
        )
    session.flush()
    return len(existing)


def months_with_data(session: Session) -> list[date]:
    """Every month that has usage data, oldest first."""
    return sorted(session.scalars(select(UnitMonth.month).distinct()))
