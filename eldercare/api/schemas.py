"""What the API reads and writes. Input schemas refuse unknown fields (marshmallow's default,
RAISE), so a misspelt field is an error and never silently ignored."""

from datetime import UTC

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate

from eldercare.facilities.models import Away, BedKind, BedState, CareType, EndReason, FacilityType
from eldercare.models import MAX_ID
from eldercare.placements.models import Action, Status
from eldercare.residents.models import Category
from eldercare.validators import MOBILE, hidden_characters


class UtcDateTime(fields.DateTime):
    """Times are stored as naive UTC; the API says so (…Z / +00:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def choice(enum, **kwargs):
    return fields.String(validate=validate.OneOf([m.value for m in enum]), **kwargs)


def record_id(**kwargs):
    """An id a database column can hold."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class Text(fields.String):
    """Printable text only: no control, zero-width or direction-changing characters (the rule
    of the forms' PlainText), so no NUL either, which PostgreSQL cannot store."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if hidden_characters(text):
            raise ValidationError("Control or invisible characters are not allowed.")
        return text


# Tokens
class TokenRequest(Schema):
    username = Text(required=True, validate=validate.Length(1, 64))
    password = Text(required=True, validate=validate.Length(1, 256))
    name = Text(load_default="", validate=validate.Length(max=64),
                         metadata={"description": "a label to tell your tokens apart"})
    days = fields.Integer(load_default=None, strict=True, validate=validate.Range(1, 3650),
                          metadata={"description": "lifetime in days; default and maximum API_TOKEN_DAYS (30)"})


class NewToken(Schema):
    id = fields.Integer(required=True)
    token = fields.String(required=True, metadata={"description": "shown this once; send as `Authorization: Bearer …`"})
    expires_at = UtcDateTime(required=True)


class TokenInfo(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    name = fields.String(required=True)
    hint = fields.String(required=True, metadata={"description": "the token's first characters"})
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    last_used_at = UtcDateTime(allow_none=True, required=True)
    revoked_at = UtcDateTime(allow_none=True, required=True)
    active = fields.Boolean(required=True)


class TokenListArgs(Schema):
    user_id = record_id(load_default=None, metadata={"description": "bureau administrators: another user's"})


class RevokedCount(Schema):
    revoked = fields.Integer(required=True)


# Facilities and beds
class FacilityArgs(Schema):
    town = Text(load_default=None, metadata={"description": "town name, e.g. 如城街道"})
    type = choice(FacilityType, load_default=None)


class FacilityOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    type = choice(FacilityType, required=True)
    town = fields.String(required=True)
    beds_total = fields.Integer(required=True, metadata={"description": "institution beds, as the ratio counts them"})
    beds_nursing = fields.Integer(required=True, metadata={"description": "of which nursing-type"})
    beds_day_care = fields.Integer(required=True)
    beds_family_care = fields.Integer(required=True)
    beds_occupied = fields.Integer(required=True, metadata={"description": "occupied, on leave or in hospital"})
    beds_vacant = fields.Integer(required=True)
    last_changed_at = UtcDateTime(allow_none=True, required=True)


class BedOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    room = fields.String(allow_none=True, required=True)
    kind = choice(BedKind, required=True)
    care_type = choice(CareType, required=True)
    state = choice(BedState, required=True)
    open_to_public = fields.Boolean(required=True)


# Elders
class ElderIn(Schema):
    name = Text(required=True, validate=validate.Length(1, 64))
    id_number = Text(required=True, validate=validate.Length(1, 32))
    category = choice(Category, load_default=Category.general.value)
    severe_disability = fields.Boolean(load_default=False)
    living_alone = fields.Boolean(load_default=False)
    empty_nest = fields.Boolean(load_default=False)
    town_id = record_id(load_default=None)


class ElderOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True, metadata={"description": "masked: first 6 and last 4 characters"})
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    category = choice(Category, required=True)
    severe_disability = fields.Boolean(required=True)
    living_alone = fields.Boolean(required=True)
    empty_nest = fields.Boolean(required=True)


# Stays and bed actions
class StayIn(Schema):
    bed_id = record_id(required=True)
    elder_id = record_id(required=True)
    start_on = fields.Date(required=True)


class StayOut(Schema):
    id = fields.Integer(required=True)
    bed_id = fields.Integer(required=True)
    elder_id = fields.Integer(required=True)
    start_on = fields.Date(required=True)
    end_on = fields.Date(allow_none=True, required=True)
    end_reason = choice(EndReason, allow_none=True, required=True)
    away = choice(Away, allow_none=True, required=True)


class DischargeIn(Schema):
    end_on = fields.Date(required=True)
    reason = choice(EndReason, load_default=EndReason.discharged.value)


class TransferIn(Schema):
    to_bed_id = record_id(required=True)
    on = fields.Date(required=True)


class AwayIn(Schema):
    away = choice(Away, required=True)


class Empty(Schema):
    """No fields: any field sent is refused."""


class HoldIn(Schema):
    hours = fields.Integer(load_default=72, strict=True, validate=validate.Range(1, 24 * 14))
    note = Text(load_default="", validate=validate.Length(max=256))


class CareTypeIn(Schema):
    care_type = choice(CareType, required=True)


class OpenIn(Schema):
    open_to_public = fields.Boolean(required=True)


class BedActionOut(Schema):
    bed = fields.Nested(BedOut, required=True)


# Figures
class ScopeArgs(Schema):
    town = record_id(load_default=None, metadata={"description": "town id"})
    facility = record_id(load_default=None, metadata={"description": "facility id"})
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100),
                          metadata={"description": "target year; default this year"})


class Scope(Schema):
    level = fields.String(required=True, validate=validate.OneOf(["city", "town", "facility"]))
    id = fields.Integer(allow_none=True, required=True)
    name = fields.String(allow_none=True, required=True)


class CareRatioOut(Schema):
    scope = fields.Nested(Scope, required=True)
    year = fields.Integer(required=True)
    nursing_beds = fields.Integer(required=True)
    total_beds = fields.Integer(required=True)
    ratio = fields.Float(allow_none=True, required=True, metadata={"description": "null when there are no beds"})
    target = fields.Float(required=True)
    shortfall = fields.Integer(required=True)
    meets_target = fields.Boolean(allow_none=True, required=True)


class OccupancyOut(Schema):
    scope = fields.Nested(Scope, required=True)
    total_beds = fields.Integer(required=True)
    occupied = fields.Integer(required=True, metadata={"description": "occupied, on leave or in hospital"})
    by_state = fields.Dict(keys=choice(BedState), values=fields.Integer(), required=True)
    vacancy_rate = fields.Float(allow_none=True, required=True,
                                metadata={"description": "vacant / beds in service; null when none"})


class OpenBedsOut(Schema):
    facility_id = fields.Integer(required=True)
    name = fields.String(required=True)
    town = fields.String(required=True)
    type = choice(FacilityType, required=True)
    open_nursing = fields.Integer(required=True)
    open_ordinary = fields.Integer(required=True)
    updated_at = UtcDateTime(allow_none=True, required=True)


# Applications
class ApplicationArgs(Schema):
    status = choice(Status, load_default=None)


class ApplicationIn(Schema):
    name = Text(required=True, validate=validate.Length(1, 64))
    id_number = Text(required=True, validate=validate.Length(1, 40))
    category = choice(Category, load_default=Category.general.value)
    severe_disability = fields.Boolean(load_default=False)
    living_alone = fields.Boolean(load_default=False)
    empty_nest = fields.Boolean(load_default=False)
    relation = Text(required=True, validate=validate.Length(1, 32))
    contact_name = Text(required=True, validate=validate.Length(1, 64))
    contact_phone = Text(required=True, validate=validate.Regexp(MOBILE.regex, error="An 11-digit mobile number."))
    preferred_town_ids = fields.List(record_id(), load_default=list, validate=validate.Length(max=50))
    preferred_facility_ids = fields.List(record_id(), load_default=list, validate=validate.Length(max=50))
    needs_nursing = fields.Boolean(load_default=False)
    notes = Text(load_default="", validate=validate.Length(max=1000))


class EventOut(Schema):
    action = choice(Action, required=True)
    from_status = choice(Status, required=True)
    to_status = choice(Status, required=True)
    reason = fields.String(required=True)
    at = UtcDateTime(required=True)


class ApplicationOut(Schema):
    id = fields.Integer(required=True)
    status = choice(Status, required=True)
    elder_name = fields.String(required=True)
    id_number = fields.String(required=True, metadata={"description": "masked: first 6 and last 4 characters"})
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    elder_id = fields.Integer(allow_none=True, required=True,
                              metadata={"description": "set when the bureau takes the application up"})
    category = choice(Category, required=True)
    severe_disability = fields.Boolean(required=True)
    living_alone = fields.Boolean(required=True)
    empty_nest = fields.Boolean(required=True)
    needs_nursing = fields.Boolean(required=True)
    ability_level = fields.String(allow_none=True, required=True)
    preferred_town_ids = fields.List(fields.Integer(), required=True)
    preferred_facility_ids = fields.List(fields.Integer(), required=True)
    reason = fields.String(required=True, metadata={"description": "the latest rejection or request for information"})
    submitted_at = UtcDateTime(allow_none=True, required=True)
    approved_at = UtcDateTime(allow_none=True, required=True)
    offered_bed_id = fields.Integer(allow_none=True, required=True)
    offer_expires_at = UtcDateTime(allow_none=True, required=True)
    stay_id = fields.Integer(allow_none=True, required=True)
    actions = fields.List(choice(Action), required=True, metadata={"description": "what you may do now"})
    events = fields.List(fields.Nested(EventOut), required=True)


class ConsentIn(Schema):
    consent = fields.Boolean(required=True, metadata={"description": "consent to processing the personal data"})


class ApproveIn(Schema):
    apply_declared = fields.Boolean(load_default=False,
                                    metadata={"description": "also change the elder's record to what was declared"})


class ReasonIn(Schema):
    reason = Text(required=True, validate=validate.Length(1, 500), metadata={"description": "the family reads it"})


class OfferIn(Schema):
    bed_id = record_id(required=True)
    hours = fields.Integer(load_default=None, strict=True, validate=validate.Range(1, 336))


class AdmitApplicationIn(Schema):
    on = fields.Date(required=True)


# Beds files
class BedsFileIn(Schema):
    file = Upload(required=True, metadata={"description": "CSV or XLSX; Chinese or English headers"})


class BedsImportArgs(Schema):
    apply = fields.Boolean(load_default=False,
                           metadata={"description": "write the rows (all or nothing); without it, a preview"})


class ImportRow(Schema):
    row = fields.Integer(required=True, metadata={"description": "as the spreadsheet program numbers it"})
    values = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    errors = fields.List(fields.String(), required=True)


class BedsImportOut(Schema):
    applied = fields.Boolean(required=True)
    rows = fields.List(fields.Nested(ImportRow), required=True)


class ExportArgs(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["csv", "xlsx"]))
