from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from eldercare.validators import PlainText

LEVELS = {"city": _l("The city"), "town": _l("A town or street"), "facility": _l("An institution")}


class OrderForm(FlaskForm):
    level = SelectField(_l("Report on"), choices=[SelectChoice(k, v) for k, v in LEVELS.items()], default="city")
    town_id = SelectField(_l("Town or street"), coerce=int, validators=[Optional()], validate_choice=False)
    facility_id = SelectField(_l("Institution"), coerce=int, validators=[Optional()], validate_choice=False)
    period = StringField(_l("Period (2026-10, 2026-Q3 or 2026)"),
                         validators=[DataRequired(), Length(max=8), PlainText()])
    language = SelectField(_l("Language"), choices=[SelectChoice("zh", "简体中文"), SelectChoice("en", "English")],
                           default="zh")
