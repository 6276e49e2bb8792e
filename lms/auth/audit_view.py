"""The audit log as a person reads it: who (a name linked to the account, or "the system"), what (the
action's label), on what (the object's name, linked), and the facts of the entry, each with its label
in the reader's language and a link where it names an object (``Cán bộ: <name>, Nguồn: <the attempt>``).

The kernel declares its own facts and objects here (``KERNEL_FIELDS``, ``kernel_objects``); each
feature declares its own in its ``init_app`` (``lms.features.add_audit_fields`` / ``add_audit_objects``).
Entries written before facts were recorded as data show their text as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from markupsafe import Markup, escape

from lms.features import AuditField, AuditObject, registry
from lms.formatting import format_date, format_decimal

#: at most this many objects of a list are named; the rest are counted
LIST_SHOWN = 10
REFERENCE = re.compile(r"^([a-z_]+):(\d+)\b")


@dataclass
class AuditRow:
    entry: object
    actor: Markup
    action: str
    target: Markup
    facts: list[tuple[str, Markup]]
    legacy: str  # the free text of an entry written before ``data``


def _link(text: str, url: str | None) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url, text) if url else escape(text)


def show_object(kind: str, object_id: int) -> Markup:
    """The name of object ``kind`` number ``object_id``, linked to its page; "<kind> <number> (không
    còn)" when it no longer exists."""
    known = registry().audit_objects.get(kind)
    if known is None:
        return escape(f"{kind}:{object_id}")
    found = known.find(object_id)
    if found is None:
        return escape(_("%(kind)s số %(n)s (không còn)", kind=known.label, n=object_id))
    return _link(*found)


def show_reference(text: str) -> Markup | None:
    """``"attempt:2360 ..."`` -> the attempt, linked; None when ``text`` names no registered kind."""
    match = REFERENCE.match(text or "")
    if match is None or match.group(1) not in registry().audit_objects:
        return None
    return show_object(match.group(1), int(match.group(2)))


def show_value(field: AuditField | None, value) -> Markup:
    if field is not None and field.show is not None:
        return escape(field.show(value))
    if isinstance(value, list):
        shown = Markup(", ").join(show_value(field, item) for item in value[:LIST_SHOWN])
        if len(value) > LIST_SHOWN:
            shown += escape(" " + _("và %(n)s mục khác", n=format_decimal(len(value) - LIST_SHOWN)))
        return shown or escape("—")
    if field is not None and field.object and isinstance(value, int) and not isinstance(value, bool):
        return show_object(field.object, value)
    if isinstance(value, bool):
        return escape(_("Có") if value else _("Không"))
    if isinstance(value, int | float):
        return escape(format_decimal(value))
    text = str(value)
    if field is not None and field.values and text in field.values:
        return escape(str(field.values[text]))
    return show_reference(text) or escape(text)


def show_facts(data: dict | None) -> list[tuple[str, Markup]]:
    """``(label, value)`` for each fact, in the order written; a key with no ``AuditField`` (a
    programming error the tests catch) shows as it is rather than hiding the fact."""
    fields = registry().audit_fields
    facts = []
    for key, value in (data or {}).items():
        field = fields.get(key)
        facts.append((str(field.label) if field else key, show_value(field, value)))
    return facts


def show_actor(entry) -> Markup:
    if entry.actor_id is not None:
        return _link(entry.actor_name or str(entry.actor_id), url_for("auth.assign_role", user_id=entry.actor_id))
    if entry.actor_name:
        return escape(entry.actor_name)  # the account was removed since
    # nobody logged in: a request from a browser has an address; a command or a background job has none
    return escape(_("Người chưa đăng nhập") if entry.ip else _("Hệ thống (tự động)"))


def show_target(target: str) -> Markup:
    return show_reference(target) or escape(target)


def audit_rows(entries) -> list[AuditRow]:
    from lms.features import audit_action_label

    return [
        AuditRow(
            entry=e,
            actor=show_actor(e),
            action=audit_action_label(e.action),
            target=show_target(e.target),
            facts=show_facts(e.data),
            legacy="" if e.data else (e.details or ""),
        )
        for e in entries
    ]


# -- the kernel's own facts and objects ------------------------------------------------------------
def _find(model, name: str, endpoint: str, arg: str):
    def find(object_id: int):
        from lms.extensions import db

        obj = db.session.get(model, object_id)
        if obj is None:
            return None
        return getattr(obj, name), url_for(endpoint, **{arg: object_id})

    return find


def kernel_objects() -> dict[str, AuditObject]:
    from lms.auth.models import User
    from lms.org.models import Official, Unit

    return {
        "user": AuditObject(lazy_pgettext("audit", "Tài khoản"), _find(User, "name", "auth.assign_role", "user_id")),
        "official": AuditObject(
            lazy_pgettext("audit", "Cán bộ"), _find(Official, "full_name", "org.official_detail", "official_id")
        ),
        "unit": AuditObject(lazy_pgettext("audit", "Đơn vị"), _find(Unit, "name", "org.unit_detail", "unit_id")),
    }


def _role_label(value: str) -> str:
    from lms.auth.models import Role

    try:
        return Role(value).label
    except ValueError:
        return value


def _date(value: str) -> str:
    try:
        return format_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


LOGIN_WAYS = {
    "password": lazy_pgettext("audit", "mật khẩu"),
    "ldap": lazy_pgettext("audit", "mật khẩu của hệ thống thư công vụ (LDAP)"),
    "oidc": lazy_pgettext("audit", "tài khoản thư công vụ (đăng nhập một lần)"),
    "token:invite": lazy_pgettext("audit", "thư mời kích hoạt"),
    "token:reset": lazy_pgettext("audit", "liên kết đặt lại mật khẩu"),
    "token:slip": lazy_pgettext("audit", "phiếu kích hoạt"),
    "invite": lazy_pgettext("audit", "thư mời kích hoạt"),
    "reset": lazy_pgettext("audit", "liên kết đặt lại mật khẩu"),
    "slip": lazy_pgettext("audit", "phiếu kích hoạt"),
}

DISABLE_REASONS = {
    "left": lazy_pgettext("audit", "cán bộ đã nghỉ hoặc chuyển đi"),
    "manual": lazy_pgettext("audit", "khóa bằng tay"),
}

KERNEL_FIELDS = {
    "user": AuditField(lazy_pgettext("audit", "Tài khoản"), object="user"),
    "users": AuditField(lazy_pgettext("audit", "Các tài khoản"), object="user"),
    "official": AuditField(lazy_pgettext("audit", "Cán bộ"), object="official"),
    "unit": AuditField(lazy_pgettext("audit", "Đơn vị"), object="unit"),
    "from_units": AuditField(lazy_pgettext("audit", "Từ các đơn vị"), object="unit"),
    "moved_under": AuditField(
        lazy_pgettext("audit", "Đơn vị mới trực thuộc"),
        object="unit",
        values={"province": lazy_pgettext("audit", "tỉnh")},
    ),
    "role": AuditField(lazy_pgettext("audit", "Vai trò"), show=_role_label),
    "before": AuditField(lazy_pgettext("audit", "Vai trò trước đó"), show=_role_label),
    "province": AuditField(lazy_pgettext("audit", "Phạm vi"), show=lambda _true: _("Toàn tỉnh")),
    "via": AuditField(lazy_pgettext("audit", "Xác thực bằng"), values=LOGIN_WAYS),
    "reason": AuditField(lazy_pgettext("audit", "Lý do"), values=DISABLE_REASONS),
    "was": AuditField(lazy_pgettext("audit", "Đã khóa vì"), values=DISABLE_REASONS),
    "note": AuditField(lazy_pgettext("audit", "Ghi chú")),
    "sessions_ended": AuditField(lazy_pgettext("audit", "Số phiên đăng nhập đã đóng")),
    "temporary_password": AuditField(lazy_pgettext("audit", "Hủy mật khẩu tạm")),
    "chosen": AuditField(lazy_pgettext("audit", "Số người được chọn")),
    "created": AuditField(lazy_pgettext("audit", "Tạo mới")),
    "updated": AuditField(lazy_pgettext("audit", "Cập nhật")),
    "unchanged": AuditField(lazy_pgettext("audit", "Không đổi")),
    "linked": AuditField(lazy_pgettext("audit", "Gắn với tài khoản có sẵn")),
    "invited": AuditField(lazy_pgettext("audit", "Đã gửi thư mời")),
    "no_email": AuditField(lazy_pgettext("audit", "Không có địa chỉ thư")),
    "already_active": AuditField(lazy_pgettext("audit", "Đã kích hoạt từ trước")),
    "disabled": AuditField(lazy_pgettext("audit", "Tài khoản bị khóa")),
    "slips": AuditField(lazy_pgettext("audit", "Số phiếu in")),
    "no_birth_year": AuditField(lazy_pgettext("audit", "Thiếu năm sinh")),
    "file": AuditField(lazy_pgettext("audit", "Tệp")),
    "confirmed": AuditField(
        lazy_pgettext("audit", "Đã xác nhận"),
        values={
            "renames": lazy_pgettext("audit", "đổi họ tên cán bộ"),
            "legacy": lazy_pgettext("audit", "chuyển bảng mã cũ sang Unicode"),
        },
    ),
    "on": AuditField(lazy_pgettext("audit", "Có hiệu lực từ"), show=_date),
    "ended": AuditField(lazy_pgettext("audit", "Số đơn vị ngừng hoạt động")),
    "staff_moved": AuditField(lazy_pgettext("audit", "Số cán bộ chuyển sang")),
    "subunits": AuditField(lazy_pgettext("audit", "Số đơn vị trực thuộc chuyển theo")),
    "heads_moved": AuditField(lazy_pgettext("audit", "Số lãnh đạo chuyển theo")),
}
