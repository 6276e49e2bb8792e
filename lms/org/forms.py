from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from lms.forms import ChecklistField, VNDateField, choices
from lms.inputs import db_int
from lms.org.models import SUCCESSION_KINDS, Category, Level, Position, UnitKind


class ImportForm(FlaskForm):
    kind = RadioField(
        _l("Bạn nhập danh sách gì?"),
        choices=choices([("officials", _l("Danh sách cán bộ")), ("units", _l("Danh sách đơn vị"))]),
        default="officials",
        validators=[DataRequired()],
    )
    file = FileField(_l("Chọn tệp (.csv hoặc .xlsx)"), validators=[FileRequired(_l("Hãy chọn một tệp."))])


class OfficialForm(FlaskForm):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(_l("Vui lòng nhập họ và tên.")), Length(max=240)])
    split_manually = BooleanField(_l("Tự tách họ, tên đệm, tên (cho tên ghép như “Mỹ Dạ”, họ kép như “Hoàng Phủ”)"))
    family_name = StringField(_l("Họ"), validators=[Optional(), Length(max=80)])
    middle_name = StringField(_l("Tên đệm"), validators=[Optional(), Length(max=80)])
    given_name = StringField(_l("Tên"), validators=[Optional(), Length(max=80)])
    code = StringField(_l("Mã cán bộ"), validators=[Optional(), Length(max=32)])
    email = StringField(
        _l("Thư điện tử công vụ"),
        validators=[
            Optional(),
            Email(_l("Địa chỉ thư điện tử không hợp lệ."), check_deliverability=False),
            Length(max=255),
        ],
    )
    phone = StringField(_l("Điện thoại"), validators=[Optional(), Length(max=32)])
    unit_id = SelectField(_l("Đơn vị"), coerce=db_int, validators=[DataRequired(_l("Hãy chọn đơn vị."))])
    position = SelectField(_l("Chức vụ"), choices=choices(Position.choices()))
    category = SelectField(_l("Phân loại"), choices=choices(Category.choices()))
    level = SelectField(_l("Cấp"), choices=choices(Level.choices()))
    birth_year = IntegerField(
        _l("Năm sinh"), validators=[Optional(), NumberRange(1930, 2015, _l("Năm sinh không hợp lý."))]
    )
    active = BooleanField(_l("Đang công tác"), default=True)
    unit_head = BooleanField(
        _l("Là thủ trưởng đơn vị (xem kết quả học tập và quản lý tài khoản của cán bộ đơn vị mình)")
    )


class UnitChangeForm(FlaskForm):
    """Merger, split or rename of units (``lms.org.services.plan_succession`` checks the rest)."""

    kind = RadioField(
        _l("Loại thay đổi"),
        choices=choices([(k, v) for k, v in SUCCESSION_KINDS.items()]),
        default="merge",
        validators=[DataRequired(_l("Hãy chọn loại thay đổi."))],
    )
    old_ids = ChecklistField(_l("Đơn vị cũ"), coerce=db_int, validate_choice=False)
    successor_mode = RadioField(
        _l("Đơn vị mới"),
        choices=choices([("new", _l("Tạo đơn vị mới")), ("existing", _l("Đơn vị đã có"))]),
        default="new",
    )
    successor_id = SelectField(_l("Chọn đơn vị đã có"), coerce=db_int, validate_choice=False, default=0)
    new_code = StringField(_l("Mã đơn vị mới"), validators=[Optional(), Length(max=32)])
    new_name = StringField(_l("Tên đơn vị mới"), validators=[Optional(), Length(max=255)])
    new_kind = SelectField(_l("Khối của đơn vị mới"), choices=choices(UnitKind.choices()), default="xa")
    new_parent_id = SelectField(_l("Trực thuộc (đơn vị cấp trên)"), coerce=db_int, validate_choice=False, default=0)
    effective_on = VNDateField(_l("Ngày có hiệu lực"), validators=[InputRequired(_l("Hãy nhập ngày có hiệu lực."))])
    note = StringField(_l("Ghi chú (số quyết định, nghị quyết)"), validators=[Optional(), Length(max=500)])
    move_heads = BooleanField(_l("Chuyển quyền trưởng đơn vị sang đơn vị mới"))
    end_old = BooleanField(_l("Đây là phần tách cuối cùng: đơn vị cũ chấm dứt hoạt động từ ngày có hiệu lực"))


class ImportConfirmForm(FlaskForm):
    """The confirmation of a previewed import: the kept file, the plan shown, what the user confirmed."""

    token = HiddenField(validators=[DataRequired()])
    kind = HiddenField(validators=[AnyOf(["officials", "units"])])
    digest = HiddenField(validators=[DataRequired()])
    confirm_renames = BooleanField(_l("Tôi đã xem và đồng ý đổi họ tên những cán bộ trên."))
    confirm_legacy = BooleanField(_l("Tôi đã xem: chữ ở các cột trên được chuyển sang Unicode đúng."))
