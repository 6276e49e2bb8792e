"""Forms of training scheduling. Date-times are typed in Vietnam time (converted to UTC in the view)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.forms import ChecklistField, VNDateTimeField, choices
from lms.topics import Topic
from training.models import SessionKind


class SessionForm(FlaskForm):
    title = StringField(_l("Tên buổi tập huấn"), validators=[DataRequired(_l("Vui lòng nhập tên.")), Length(max=255)])
    topic = SelectField(_l("Chủ đề"), choices=[], validators=[DataRequired()])
    kind = SelectField(_l("Hình thức"), choices=[], validators=[DataRequired()])
    course_id = SelectField(_l("Khóa học liên quan (bài kiểm tra sau tập huấn)"), choices=[], validators=[Optional()])
    starts_at = VNDateTimeField(
        _l("Bắt đầu (giờ Việt Nam)"), validators=[DataRequired(_l("Vui lòng nhập giờ bắt đầu."))]
    )
    ends_at = VNDateTimeField(
        _l("Kết thúc (giờ Việt Nam)"), validators=[DataRequired(_l("Vui lòng nhập giờ kết thúc."))]
    )
    place = StringField(_l("Địa điểm"), validators=[Optional(), Length(max=255)])
    link = StringField(_l("Đường dẫn tham gia (buổi trực tuyến)"), validators=[Optional(), Length(max=500)])
    capacity = IntegerField(
        _l("Số chỗ (để trống nếu không giới hạn)"),
        validators=[Optional(), NumberRange(min=1, max=10000, message=_l("Số chỗ từ 1 đến 10000."))],
    )
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=5000)])
    open_registration = BooleanField(_l("Cho phép cán bộ tự đăng ký"))
    trainer_ids = ChecklistField(_l("Giảng viên"), choices=[], validators=[Optional()])
    target_unit_ids = ChecklistField(_l("Đơn vị được hỗ trợ / mời"), choices=[], validators=[Optional()])

    def __init__(self, courses, trainers, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic.choices = choices(Topic.choices())
        self.kind.choices = choices(SessionKind.choices())
        self.course_id.choices = choices([("", "—")] + [(c.id, c.title) for c in courses])
        self.trainer_ids.choices = choices((u.id, u.name) for u in trainers)
        self.target_unit_ids.choices = choices((u.id, f"{u.name} ({u.code})") for u in units)


class CancelForm(FlaskForm):
    reason = StringField(_l("Lý do hủy (gửi cho người được mời)"), validators=[Optional(), Length(max=500)])


class ActionForm(FlaskForm):
    """Only the CSRF token: buttons that post an action."""
