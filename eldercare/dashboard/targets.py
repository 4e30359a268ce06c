"""The year's target share of nursing-type beds (domain.md section 2): set per year by the bureau
administrator, 74% by default; read by the ratio figures and the trend (each month its year's)."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eldercare import audit
from eldercare.dashboard.models import DEFAULT_TARGET, CareTarget
from eldercare.errors import InvalidInput
from eldercare.extensions import db
from eldercare.models import utcnow


def target_for(year: int) -> Decimal:
    ratio = db.session.scalar(select(CareTarget.ratio).where(CareTarget.year == year))
    return Decimal(ratio) if ratio is not None else DEFAULT_TARGET


def targets_set() -> list[dict]:
    """The years with a target of their own, latest first (any other year has the default)."""
    rows = db.session.execute(select(CareTarget.year, CareTarget.ratio, CareTarget.changed_at)
                              .order_by(CareTarget.year.desc()))
    return [{"year": year, "ratio": Decimal(ratio), "changed_at": changed_at} for year, ratio, changed_at in rows]


def set_target(actor, year: int, ratio: Decimal) -> CareTarget:
    if not Decimal("0.01") <= ratio <= 1:
        raise InvalidInput(_l("A target is a share between 1% and 100%."))
    target = db.session.get(CareTarget, year)
    before = {"ratio": str(target.ratio)} if target else None
    if target is None:
        target = CareTarget(year=year, ratio=ratio)
        db.session.add(target)
    target.ratio, target.changed_at, target.changed_by_id = ratio, utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "care_target.set", target, before=before, after={"ratio": str(ratio)})
    return target
