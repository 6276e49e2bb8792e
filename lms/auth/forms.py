from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.auth.models import Role
from lms.forms import choices


class LoginForm(FlaskForm):
    login = StringField(
        _l("Tên đăng nhập hoặc thư điện tử"),
        validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập.")), Length(max=255)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Mật khẩu hiện tại"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại."))],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("Mật khẩu mới (ít nhất 8 ký tự)"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu mới.")), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(_l("Vui lòng nhập lại mật khẩu mới."))],
        render_kw={"autocomplete": "new-password"},
    )


class RoleForm(FlaskForm):
    role = RadioField(_l("Vai trò"), choices=[], validators=[DataRequired(_l("Hãy chọn một vai trò."))])
    unit_id = SelectField(_l("Đơn vị (chỉ cho thủ trưởng đơn vị)"), choices=[], validators=[Optional()])

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices((r.value, r.label) for r in Role)
        self.unit_id.choices = choices([("", "—")] + [(u.id, f"{u.name} ({u.code})") for u in units])


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("Địa chỉ thư điện tử công vụ của bạn"),
        validators=[DataRequired(_l("Vui lòng nhập địa chỉ thư điện tử.")), Length(max=255)],
        render_kw={"autocomplete": "email", "autofocus": True, "inputmode": "email"},
    )


class SetPasswordForm(FlaskForm):
    new = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(_l("Vui lòng nhập mật khẩu mới.")), Length(max=200)],
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(_l("Vui lòng nhập lại mật khẩu mới."))],
        render_kw={"autocomplete": "new-password"},
    )


class SlipCodeForm(FlaskForm):
    code = StringField(
        _l("Mã kích hoạt (8 ký tự, trên phiếu)"),
        validators=[DataRequired(_l("Vui lòng nhập mã kích hoạt.")), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    birth_year = StringField(
        _l("Năm sinh của bạn (ví dụ 1975)"),
        validators=[DataRequired(_l("Vui lòng nhập năm sinh.")), Length(max=8)],
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year"},
    )
