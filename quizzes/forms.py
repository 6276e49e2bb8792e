"""Forms of the quizzes pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from lms.forms import VNDateTimeField, choices
from lms.topics import Topic
from quizzes.models import GradingMethod, ReviewMode


class CsrfForm(FlaskForm):
    """Only the CSRF token (start, submit, draws)."""


class ArchiveForm(FlaskForm):
    """Archive or restore a question; ``next``: the page to go back to (the bank list with its filters)."""

    next = HiddenField(validators=[Optional(), Length(max=2000)])


class ImportForm(FlaskForm):
    topic = SelectField(_l("Chủ đề"), validators=[DataRequired()])
    file = FileField(
        _l("Tệp câu hỏi (.gift, .txt, .csv, .xlsx)"),
        validators=[
            FileRequired(),
            FileAllowed(["gift", "txt", "csv", "xlsx"], _l("Chỉ nhận tệp .gift, .txt, .csv, .xlsx")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topic.choices = choices(Topic.choices())


class ImportConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}\.(gift|txt|csv|xlsx)$")])
    topic = HiddenField(validators=[DataRequired()])
    # the page's --skip-unsupported: shown (and required) when the file holds essays or descriptions
    skip_unsupported = BooleanField(_l("Bỏ qua các câu hỏi loại chưa hỗ trợ ở trên và nhập các câu còn lại"))


class EditQuestionForm(FlaskForm):
    gift_text = TextAreaField(_l("Nội dung câu hỏi (định dạng GIFT)"), validators=[DataRequired(), Length(max=50000)])


class QuizSettingsForm(FlaskForm):
    title = StringField(_l("Tên bài kiểm tra"), validators=[DataRequired(), Length(max=255)])
    description = TextAreaField(_l("Hướng dẫn cho người làm bài"), validators=[Optional(), Length(max=5000)])
    course_id = SelectField(_l("Khóa học"), validators=[Optional()])
    topic = SelectField(_l("Chủ đề"), validators=[Optional()])
    is_final = BooleanField(_l("Bài kiểm tra cuối khóa (đạt thì hoàn thành khóa học)"))
    time_limit_minutes = IntegerField(
        _l("Thời gian làm bài (phút, để trống = không giới hạn)"), validators=[Optional(), NumberRange(1, 600)]
    )
    attempts_allowed = IntegerField(
        _l("Số lần làm bài (0 = không giới hạn)"), default=0, validators=[NumberRange(0, 100)]
    )
    delay_minutes = IntegerField(
        _l("Thời gian chờ giữa hai lần làm (phút)"), default=0, validators=[NumberRange(0, 100000)]
    )
    pass_percent = FloatField(_l("Điểm đạt (%)"), default=70, validators=[NumberRange(0, 100)])
    grading_method = SelectField(_l("Cách tính điểm khi làm nhiều lần"))
    review_mode = SelectField(_l("Sau khi nộp bài, người học được xem"))
    open_at = VNDateTimeField(_l("Mở từ (giờ Việt Nam)"), validators=[Optional()])
    close_at = VNDateTimeField(_l("Đóng lúc (giờ Việt Nam)"), validators=[Optional()])
    shuffle_questions = BooleanField(_l("Xáo trộn thứ tự câu hỏi"), default=True)
    shuffle_options = BooleanField(_l("Xáo trộn thứ tự phương án"), default=True)
    published = BooleanField(_l("Mở cho người học"))

    def __init__(self, *args, course_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.course_id.choices = choices([("", _l("— Bài luyện tập, không thuộc khóa học —")), *course_choices])
        self.topic.choices = choices([("", "—"), *Topic.choices()])
        self.grading_method.choices = choices(GradingMethod.choices())
        self.review_mode.choices = choices(ReviewMode.choices())


class OverrideForm(FlaskForm):
    official_code = StringField(_l("Mã cán bộ hoặc thư điện tử"), validators=[DataRequired(), Length(max=255)])
    extra_minutes = IntegerField(_l("Thêm thời gian (phút)"), default=0, validators=[NumberRange(0, 600)])
    extra_attempts = IntegerField(_l("Thêm số lần làm"), default=0, validators=[NumberRange(0, 100)])
    reason = StringField(_l("Lý do"), validators=[DataRequired(), Length(max=500)])
