"""Forms of the certificates pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from certificates.services import upload_problem
from lms.forms import VNDateField, choices
from lms.inputs import db_int

REASON_REQUIRED = _l("Cần ghi rõ lý do.")


class ManualIssueForm(FlaskForm):
    official_code = StringField(
        _l("Mã cán bộ"), validators=[DataRequired(_l("Nhập mã cán bộ (ví dụ T-000123).")), Length(max=32)]
    )
    course_id = SelectField(_l("Khóa học"), coerce=db_int, validators=[DataRequired(_l("Hãy chọn khóa học."))])
    score_percent = DecimalField(
        _l("Kết quả đánh giá (%)"),
        places=2,
        validators=[DataRequired(_l("Nhập kết quả từ 0 đến 100.")), NumberRange(0, 100, _l("Từ 0 đến 100."))],
    )
    issued_on = VNDateField(_l("Ngày cấp"), validators=[DataRequired(_l("Chọn ngày cấp."))])
    note = TextAreaField(
        _l("Ghi chú (ví dụ: kỳ kiểm tra trên lớp ngày ...)"), validators=[Optional(), Length(max=2000)]
    )


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Lý do thu hồi"), validators=[DataRequired(REASON_REQUIRED), Length(max=2000)])


class ReissueForm(FlaskForm):
    holder_name = StringField(_l("Họ và tên in trên chứng nhận"), validators=[Optional(), Length(max=255)])
    unit_name = StringField(_l("Đơn vị công tác"), validators=[Optional(), Length(max=255)])
    course_title = StringField(_l("Tên khóa học"), validators=[Optional(), Length(max=255)])
    score_percent = DecimalField(
        _l("Kết quả đánh giá (%)"), places=2, validators=[Optional(), NumberRange(0, 100, _l("Từ 0 đến 100."))]
    )
    reason = TextAreaField(_l("Lý do cấp lại (điều gì được sửa)"), validators=[DataRequired(REASON_REQUIRED)])


class BatchForm(FlaskForm):
    action = SelectField(
        _l("Thao tác với các chứng nhận đã chọn"),
        choices=choices([("revoke", _l("Thu hồi")), ("reissue", _l("Cấp lại (lấy thông tin mới nhất)"))]),
    )
    reason = StringField(_l("Lý do"), validators=[DataRequired(REASON_REQUIRED), Length(max=2000)])


class UploadForm(FlaskForm):
    pdf = FileField(_l("Tệp PDF giấy chứng nhận"), validators=[FileRequired(_l("Hãy chọn tệp PDF."))])

    def validate_pdf(self, field) -> None:
        problem = upload_problem(field.data.filename, field.data.content_type, field.data.stream)
        if problem:
            raise StopValidation(problem)
