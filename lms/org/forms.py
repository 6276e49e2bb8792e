from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from lms.forms import choices
from lms.org.models import Category, Level, Position


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
    unit_id = SelectField(_l("Đơn vị"), coerce=int, validators=[DataRequired(_l("Hãy chọn đơn vị."))])
    position = SelectField(_l("Chức vụ"), choices=choices(Position.choices()))
    category = SelectField(_l("Phân loại"), choices=choices(Category.choices()))
    level = SelectField(_l("Cấp"), choices=choices(Level.choices()))
    birth_year = IntegerField(
        _l("Năm sinh"), validators=[Optional(), NumberRange(1930, 2015, _l("Năm sinh không hợp lý."))]
    )
    active = BooleanField(_l("Đang công tác"), default=True)
