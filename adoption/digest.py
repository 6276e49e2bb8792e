"""The monthly digest to each unit head (the 2014 report's first cause: heads who do not push).

For each unit head and unit they head (in operation, with figures for the month): the unit's usage
score and rank in its block, the change since the unit's previous month with data, its e-mail /
document software / portal figures, and the names of its staff who hold a certificate but do not use
the tools, and of those who have not started learning. Written to the e-mail outbox in the caller's
transaction, once per (month, head, unit) (the outbox's key and ``DigestSent``'s unique constraint);
heads who turned it off (``DigestOptOut``) and heads without an e-mail address are skipped and
counted. ``flask lms adoption digest`` runs it (cron, monthly, after the month's imports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from adoption import indicators as ind
from adoption import links
from adoption.format import vn_date, vn_int, vn_num, vn_pct, vn_points
from adoption.models import DigestOptOut, DigestSent
from adoption.months import as_of, label, local_today
from adoption.staff import unit_staff_usage
from lms.auth.models import Role, RoleAssignment, User
from lms.org.models import Unit

NAMES_LISTED = 20


@dataclass
class DigestRun:
    month: date | None
    queued: int = 0
    already: int = 0
    opted_out: int = 0
    no_email: int = 0
    no_figures: int = 0
    recipients: list[str] = field(default_factory=list)


def recipient(user: User) -> str | None:
    return user.email or (user.official.email if user.official is not None else None)


def is_opted_out(session: Session, user_id: int) -> bool:
    return session.get(DigestOptOut, user_id) is not None


def set_subscription(session: Session, user: User, wanted: bool, ip: str = "") -> None:
    """Turn the head's digest on or off (audited)."""
    from lms.auth.services import audit

    if wanted:
        session.execute(delete(DigestOptOut).where(DigestOptOut.user_id == user.id))
    elif not is_opted_out(session, user.id):
        session.add(DigestOptOut(user_id=user.id))
    audit(session, user, "adoption.digest_on" if wanted else "adoption.digest_off", target=f"user:{user.id}", ip=ip)
    session.flush()


def head_assignments(session: Session, today: date) -> list[tuple[User, Unit]]:
    """(head, unit) for every unit-head role on a unit in operation, active accounts only."""
    rows = session.execute(
        select(User, Unit)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(
            RoleAssignment.role == Role.UNIT_HEAD,
            User.active.is_(True),
            or_(Unit.valid_until.is_(None), Unit.valid_until > today),
        )
        .order_by(Unit.name, User.id)
    ).all()
    return [(user, unit) for user, unit in rows]


@dataclass(frozen=True)
class DigestContent:
    unit: Unit
    month: date
    figures: ind.UnitFigures
    previous: ind.UnitFigures | None
    rank: int | None
    block_size: int | None
    block: str | None
    certified_not_using: tuple[str, ...]
    not_started: tuple[str, ...]


def digest_content(session: Session, unit: Unit, month: date, today: date) -> DigestContent | None:
    history = [f for f in ind.unit_months(session, unit.id, today=today) if f.month <= month]
    if not history or history[-1].month != month or not history[-1].officials:
        return None
    row = next((r for r in ind.unit_table(session, month, today) if r.figures.unit_id == unit.id), None)
    people = unit_staff_usage(session, unit.id, month, as_of(month, today))
    return DigestContent(
        unit=unit,
        month=month,
        figures=history[-1],
        previous=history[-2] if len(history) > 1 else None,
        rank=row.rank if row else None,
        block_size=row.block_size if row else None,
        block=row.block if row else None,
        certified_not_using=tuple(p.full_name for p in people if p.certified_not_using),
        not_started=tuple(p.full_name for p in people if p.not_started),
    )


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:NAMES_LISTED])
    if len(names) > NAMES_LISTED:
        shown += " " + _("và %(n)s người khác", n=vn_int(len(names) - NAMES_LISTED))
    return shown


def compose(user: User, c: DigestContent) -> tuple[str, str, str]:
    """(subject, text, html) in Vietnamese."""
    f = c.figures
    subject = _("Tình hình sử dụng ứng dụng tháng %(m)s — %(u)s", m=label(c.month), u=c.unit.name)
    lead = _("Tháng %(m)s, %(u)s đạt điểm sử dụng %(s)s/100", m=label(c.month), u=c.unit.name, s=vn_num(f.score))
    if c.rank is not None:
        lead += ", " + _("xếp thứ %(r)s/%(n)s trong khối %(b)s", r=c.rank, n=c.block_size, b=links.block_label(c.block))
    if c.previous is not None:
        lead += " " + _(
            "(tháng %(m)s: %(s)s; thay đổi %(d)s điểm)",
            m=label(c.previous.month),
            s=vn_num(c.previous.score),
            d=vn_points(f.score - c.previous.score),
        )
    lead += "."
    facts = [
        (
            _("Cán bộ dùng thư điện tử công vụ"),
            f"{vn_int(f.mail_users)}/{vn_int(f.officials)} ({vn_pct(f.mail_share)})"
            + (f" — {_('tháng trước')} {vn_pct(c.previous.mail_share)}" if c.previous else ""),
        ),
    ]
    if f.dms_source:
        facts.append(
            (
                _("Phần mềm quản lý văn bản"),
                _(
                    "văn bản đến xử lý trên phần mềm %(a)s; văn bản đi có ký số %(b)s",
                    a=vn_pct(f.incoming_share),
                    b=vn_pct(f.outgoing_share),
                ),
            )
        )
    if f.has_portal:
        state = (
            _("cập nhật ngày %(d)s", d=vn_date(f.portal_last_update))
            if f.portal_fresh
            else _("chưa cập nhật từ %(d)s", d=vn_date(f.portal_last_update))
        )
        facts.append((_("Cổng thông tin thành phần"), state))
    paragraphs = [lead]
    if c.certified_not_using:
        paragraphs.append(
            _(
                "Có chứng nhận nhưng chưa sử dụng (%(n)s người): %(l)s.",
                n=vn_int(len(c.certified_not_using)),
                l=_names(c.certified_not_using),
            )
        )
    if c.not_started:
        paragraphs.append(
            _("Chưa bắt đầu học (%(n)s người): %(l)s.", n=vn_int(len(c.not_started)), l=_names(c.not_started))
        )
    greeting = _("Kính gửi đồng chí %(n)s,", n=user.name)
    link = links.external_url("adoption.unit", unit_id=c.unit.id, month=c.month.strftime("%Y-%m"))
    closing = _("Đồng chí có thể tắt thư tổng hợp này trên trang sử dụng ứng dụng của đơn vị.")
    auto = _("Đây là thư tự động của hệ thống học tập chính quyền điện tử. Vui lòng không trả lời thư này.")
    text = [greeting, "", *[p + "\n" for p in paragraphs]]
    text += [f"- {k}: {v}" for k, v in facts]
    text += ["", f"{_('Xem chi tiết')}: {link}", "", closing, auto]
    html = [f"<p>{escape(greeting)}</p>", *[f"<p>{escape(p)}</p>" for p in paragraphs]]
    html.append("<ul>" + "".join(f"<li><strong>{escape(k)}:</strong> {escape(v)}</li>" for k, v in facts) + "</ul>")
    html.append(f'<p><a href="{escape(link)}">{escape(_("Xem chi tiết"))}</a></p>')
    html.append(f"<p><small>{escape(closing)} {escape(auto)}</small></p>")
    return str(subject), "\n".join(text), "\n".join(html)


def queue_digests(session: Session, month: date | None = None, today: date | None = None) -> DigestRun:
    """Queue the month's digest (default: the latest month with data) to every unit head."""
    today = today or local_today()
    month = month or ind.latest_month(session)
    run = DigestRun(month)
    if month is None:
        return run
    opted_out = set(session.scalars(select(DigestOptOut.user_id)))
    contents: dict[int, DigestContent | None] = {}
    for user, unit in head_assignments(session, today):
        if user.id in opted_out:
            run.opted_out += 1
            continue
        address = recipient(user)
        if not address:
            run.no_email += 1
            continue
        if unit.id not in contents:
            contents[unit.id] = digest_content(session, unit, month, today)
        content = contents[unit.id]
        if content is None:
            run.no_figures += 1
            continue
        key = f"adoption-digest:{month:%Y-%m}:{user.id}:{unit.id}"
        subject, text, html = compose(user, content)
        if links.queue_mail(
            session,
            to_email=address,
            subject=subject,
            text_body=text,
            html_body=html,
            kind="adoption_digest",
            dedupe_key=key,
        ):
            session.add(DigestSent(month=month, user_id=user.id, unit_id=unit.id, to_email=address, dedupe_key=key))
            run.queued += 1
            run.recipients.append(address)
        else:
            run.already += 1
    session.flush()
    return run


def sent_query(month: date):
    """The digests queued for ``month`` (with their head and unit), by unit name."""
    return (
        select(DigestSent)
        .join(Unit, Unit.id == DigestSent.unit_id)
        .where(DigestSent.month == month)
        .order_by(Unit.name, DigestSent.user_id)
    )
