from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from eldercare.validators import Finite


class TargetForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    percent = DecimalField(_l("Target nursing-type share (%)"), places=2,
                           validators=[InputRequired(), Finite(), NumberRange(1, 100)])
