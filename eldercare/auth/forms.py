from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from eldercare import labels
from eldercare.auth import passwords
from eldercare.auth.models import Role
from eldercare.validators import MOBILE, PlainText


class GoodPassword:
    """The password rules of eldercare/auth/passwords.py, checked against the form's own
    user name or phone field when it has one (the services check them again)."""

    def __init__(self, username_field: str | None = None, phone_field: str | None = None):
        self.username_field, self.phone_field = username_field, phone_field

    def __call__(self, form, field):
        username = form[self.username_field].data if self.username_field else getattr(form, "account_username", "")
        phone = form[self.phone_field].data if self.phone_field else getattr(form, "account_phone", None)
        message = passwords.problem(field.data or "", username=username or "", phone=phone)
        if message is not None:
            raise ValidationError(message)


def _new_password(label, **kwargs):
    return PasswordField(label, validators=[DataRequired(), GoodPassword(**kwargs)],
                         render_kw={"autocomplete": "new-password", "maxlength": passwords.MAX_LENGTH})


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)])


class UserForm(FlaskForm):
    username = StringField(
        _l("User name"),
        validators=[DataRequired(), Length(min=3, max=64),
                    Regexp(r"\A[A-Za-z0-9_.-]+\Z", message=_l("Use letters, digits, dots, dashes or underscores."))],
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64), PlainText()])
    phone = StringField(_l("Phone"), validators=[Optional(), MOBILE])
    # By default the least powerful role, so an account made in haste can do the least.
    role = SelectField(_l("Role"), choices=labels.choices(labels.ROLE), default=Role.family.value)
    password = _new_password(_l("Password"), username_field="username", phone_field="phone")


class RegisterForm(FlaskForm):
    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=64), PlainText()])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), MOBILE],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    password = _new_password(_l("Password"), username_field="phone", phone_field="phone")
    confirm = PasswordField(_l("Password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class ChangePasswordForm(FlaskForm):
    """`account_username` and `account_phone` are set by the page to the logged-in user's."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=passwords.MAX_LENGTH)],
                            render_kw={"autocomplete": "current-password"})
    password = _new_password(_l("New password"))
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ResetPasswordForm(FlaskForm):
    """The administrator sets a new password for an account (`account_*` set by the page)."""

    password = _new_password(_l("New password"))
