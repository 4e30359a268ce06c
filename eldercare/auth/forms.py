from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from eldercare import labels

# A mainland mobile number: the family's user name, and the contact on an application.
MOBILE = Regexp(r"^1\d{10}$", message=_l("Please enter an 11-digit mobile number."))


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class UserForm(FlaskForm):
    username = StringField(
        _l("User name"),
        validators=[DataRequired(), Length(min=3, max=64),
                    Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dots, dashes or underscores."))],
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    role = SelectField(_l("Role"), choices=labels.choices(labels.ROLE))
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=128)])
    facility_ids = SelectMultipleField(_l("Facilities managed"), coerce=int, validate_choice=True)


class RegisterForm(FlaskForm):
    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Mobile number"), validators=[
        DataRequired(), MOBILE],
        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(_l("Password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])
