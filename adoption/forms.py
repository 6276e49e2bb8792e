"""Forms of the usage pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from adoption.models import System
from adoption.months import parse_month
from lms.forms import choices
from lms.org.forms import VNDateField


class MonthField(StringField):
    """A month typed as ``11/2026`` or sent by a month picker (``2026-11``); ``.month`` holds the date."""

    month = None

    def pre_validate(self, form) -> None:
        self.month = parse_month(self.data)
        if self.data and self.month is None:
            raise ValidationError(_l("Tháng không đúng dạng. Hãy nhập tháng/năm, ví dụ 11/2026."))


class UsageImportForm(FlaskForm):
    system = RadioField(
        _l("Số liệu của ứng dụng nào?"),
        choices=choices(System.choices()),
        default=System.EMAIL.value,
        validators=[DataRequired(_l("Hãy chọn ứng dụng."))],
    )
    month = MonthField(_l("Tháng của số liệu"), validators=[DataRequired(_l("Hãy nhập tháng của số liệu."))])
    file = FileField(_l("Chọn tệp (.csv hoặc .xlsx)"), validators=[FileRequired(_l("Hãy chọn một tệp."))])


_COUNT = [InputRequired(_l("Hãy nhập một số (0 nếu không có).")), NumberRange(0, 10_000_000, _l("Số không hợp lệ."))]


class UnitReportForm(FlaskForm):
    """The monthly form of a unit; the staff checklist is read from the request (one checkbox per person)."""

    dms_received = IntegerField(_l("Tổng số văn bản đến trong tháng"), validators=_COUNT, default=0)
    dms_processed = IntegerField(_l("Trong đó: xử lý trên phần mềm quản lý văn bản"), validators=_COUNT, default=0)
    dms_sent = IntegerField(_l("Tổng số văn bản đi trong tháng"), validators=_COUNT, default=0)
    dms_signed = IntegerField(_l("Trong đó: phát hành điện tử có ký số"), validators=_COUNT, default=0)
    has_portal = BooleanField(_l("Đơn vị có cổng (trang) thông tin điện tử thành phần"))
    portal_articles = IntegerField(
        _l("Số tin, bài đăng trong tháng"),
        validators=[Optional(), NumberRange(0, 100_000, _l("Số không hợp lệ."))],
        default=0,
    )
    portal_last_update = VNDateField(_l("Ngày cập nhật cổng gần nhất"), validators=[Optional()])
