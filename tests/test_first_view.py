"""What a first view after a start rests on (issue 15 point 9): the tallies every figure is summed
from, read once, hold the stored strings (no Enum made per value); an app server's worker leaves
what starting made out of the garbage collector's walks."""

import os
import subprocess
import sys
from pathlib import Path

from eldercare.extensions import db
from eldercare.facilities import queries, services
from eldercare.facilities.models import BedKind, BedState, CareType
from eldercare.residents.models import AbilityLevel, Category
from eldercare.timekeeping import local_today
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def test_tallies_hold_the_stored_strings(app, manager, facility):
    today = local_today()
    services.admit(manager, factories.bed(facility, code="1-01"), factories.elder(category=Category.tekun),
                   on=today)
    services.admit(manager, factories.bed(facility, code="1-02", care_type=CareType.ordinary),
                   factories.elder(ability_level=None), on=today)
    factories.bed(facility, code="1-03")
    factories.bed(facility, code="D-01", kind=BedKind.day_care, care_type=CareType.ordinary)
    db.session.commit()

    beds = sorted(queries.bed_tallies(), key=lambda t: (t.kind, t.care_type, t.state))
    assert [(t.kind, t.care_type, t.open_to_public, t.state, t.n) for t in beds] == [
        ("day_care", "ordinary", False, "vacant", 1),
        ("institution", "nursing", False, "occupied", 1),
        ("institution", "nursing", False, "vacant", 1),
        ("institution", "ordinary", False, "occupied", 1)]
    residents = sorted(queries.resident_tallies(), key=lambda t: t.category)
    assert [(t.category, t.ability_level, t.care_type, t.n) for t in residents] == [
        ("general", None, "ordinary", 1), ("tekun", "intact", "nursing", 1)]
    assert {type(value) for t in beds for value in (t.kind, t.care_type, t.state)} == {str}
    assert {type(value) for t in residents for value in (t.category, t.ability_level, t.care_type)} <= {str, type(None)}
    # They still compare equal to the enums every reader compares them with.
    assert beds[1].kind == BedKind.institution and beds[1].state == BedState.occupied
    assert residents[1].category == Category.tekun and residents[1].ability_level == AbilityLevel.intact


def test_an_app_servers_worker_leaves_what_starting_made_out_of_the_collections(tmp_path):
    env = {**os.environ, "ELDERCARE_CONFIG": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    frozen = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"], cwd=ROOT,
                            env=env, check=True, capture_output=True, text=True).stdout
    assert int(frozen) > 10_000
