"""Forms of the courses pages. Messages are plain Vietnamese, shown next to the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from lms.forms import ChecklistField, VNDateField, choices
from lms.inputs import db_int
from lms.org.models import Category, Level
from lms.topics import Topic

SLUG_RULE = Regexp(
    r"^[a-z0-9][a-z0-9-]*$",
    message=_l("Chỉ dùng chữ thường không dấu, chữ số và dấu gạch ngang, ví dụ: thu-dien-tu."),
)


def split_codes(text: str | None) -> list[str]:
    """'IU06, EMAIL-01' or one per line -> ['IU06', 'EMAIL-01']."""
    raw = (text or "").replace("\n", ",").replace(";", ",")
    return [part.strip().upper() for part in raw.split(",") if part.strip()]


def split_lines(text: str | None) -> list[str]:
    return [line.strip().lstrip("-• ").strip() for line in (text or "").splitlines() if line.strip()]


class CodesField(StringField):
    """Codes kept as a list on the model, edited as "IU06, EMAIL-01" (also when a POST leaves the
    field out and WTForms takes the model's list)."""

    def process_data(self, value):
        self.data = ", ".join(value) if isinstance(value, list | tuple) else value


class LinesField(TextAreaField):
    """A list on the model, one line per item in the form."""

    def process_data(self, value):
        self.data = "\n".join(value) if isinstance(value, list | tuple) else value


class CourseForm(FlaskForm):
    title = StringField(
        _l("Tên khóa học"), validators=[DataRequired(_l("Vui lòng nhập tên khóa học.")), Length(max=255)]
    )
    slug = StringField(
        _l("Tên rút gọn (dùng trong đường dẫn)"),
        validators=[DataRequired(_l("Vui lòng nhập tên rút gọn.")), Length(max=80), SLUG_RULE],
    )
    topic = SelectField(_l("Chủ đề"), choices=choices(Topic.choices()))
    summary = TextAreaField(_l("Tóm tắt (một, hai câu)"), validators=[Optional(), Length(max=2000)])
    audience = StringField(_l("Đối tượng"), validators=[Optional(), Length(max=255)])
    competency = CodesField(_l("Mã năng lực (cách nhau bởi dấu phẩy)"), validators=[Optional(), Length(max=500)])
    version = StringField(_l("Phiên bản"), validators=[Optional(), Length(max=32)])
    validity_months = IntegerField(
        _l("Chứng nhận có hiệu lực (tháng, để trống nếu không hết hạn)"),
        validators=[Optional(), NumberRange(1, 240, _l("Hãy nhập số tháng từ 1 đến 240."))],
    )
    intro_md = TextAreaField(_l("Giới thiệu (Markdown)"), validators=[Optional(), Length(max=20000)])
    published = BooleanField(_l("Phát hành (người học nhìn thấy)"))


class LessonForm(FlaskForm):
    title = StringField(_l("Tên bài học"), validators=[DataRequired(_l("Vui lòng nhập tên bài học.")), Length(max=255)])
    slug = StringField(
        _l("Tên rút gọn (dùng trong đường dẫn)"),
        validators=[DataRequired(_l("Vui lòng nhập tên rút gọn.")), Length(max=120), SLUG_RULE],
    )
    minutes = IntegerField(
        _l("Thời lượng (phút)"),
        default=15,
        validators=[
            DataRequired(_l("Vui lòng nhập thời lượng bằng số phút, ví dụ 15.")),
            NumberRange(1, 600, _l("Thời lượng từ 1 đến 600 phút.")),
        ],
    )
    objectives = LinesField(_l("Mục tiêu (mỗi dòng một mục tiêu)"), validators=[Optional(), Length(max=5000)])
    competency = CodesField(_l("Mã năng lực (cách nhau bởi dấu phẩy)"), validators=[Optional(), Length(max=500)])
    body_md = TextAreaField(
        _l("Nội dung bài học (Markdown)"),
        validators=[DataRequired(_l("Vui lòng nhập nội dung bài học.")), Length(max=100000)],
    )
    version_note = StringField(_l("Ghi chú phiên bản (đã sửa gì)"), validators=[Optional(), Length(max=500)])
    published = BooleanField(_l("Phát hành (người học nhìn thấy)"), default=True)


class AssignForm(FlaskForm):
    course_id = SelectField(_l("Khóa học"), coerce=db_int, validators=[DataRequired(_l("Hãy chọn khóa học."))])
    unit_id = SelectField(_l("Đơn vị"), coerce=db_int, default=0)
    include_subunits = BooleanField(_l("Gồm cả các đơn vị trực thuộc"))
    category = SelectField(_l("Phân loại"), choices=choices([("", _l("Tất cả"))] + Category.choices()), default="")
    level = SelectField(_l("Cấp"), choices=choices([("", _l("Tất cả"))] + Level.choices()), default="")
    # a unit head says whom: the whole unit, or only the officials ticked (an empty list is a mistake,
    # never "the whole unit" in silence)
    target = RadioField(
        _l("Giao cho ai?"),
        choices=choices(
            [
                ("unit", _l("Cả đơn vị (mọi cán bộ đang công tác, cả người chuyển đến sau)")),
                ("chosen", _l("Chỉ những cán bộ được chọn dưới đây")),
            ]
        ),
        default="unit",
    )
    official_ids = ChecklistField(_l("Cán bộ được giao"), coerce=db_int)
    due_on = VNDateField(
        _l("Hạn hoàn thành"),
        validators=[DataRequired(_l("Vui lòng chọn hạn hoàn thành, ví dụ 31/12/2026."))],
    )
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=500)])

    def validate_official_ids(self, field) -> None:
        if self.target.data == "chosen" and not field.data:
            raise ValidationError(_l("Hãy đánh dấu ít nhất một cán bộ, hoặc chọn “Cả đơn vị”."))

    def chosen_officials(self) -> list[int] | None:
        """The officials ticked when "only those chosen" is picked; None means the whole target."""
        return list(self.official_ids.data) if self.target.data == "chosen" else None

    def category_value(self) -> Category | None:
        return Category(self.category.data) if self.category.data else None

    def level_value(self) -> Level | None:
        return Level(self.level.data) if self.level.data else None
