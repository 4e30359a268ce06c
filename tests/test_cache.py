"""Cached figures follow every committed change, from any connection, and never keep
uncommitted data."""

import threading

from eldercare.extensions import db
from eldercare.facilities import queries, services
from eldercare.facilities.models import Bed, BedState
from eldercare.timekeeping import local_today
from tests import factories


def vacant_in(facility_id):
    return sum(r.n for r in queries.bed_tallies() if r.facility_id == facility_id and r.state == BedState.vacant)


def test_change_committed_elsewhere_is_seen_at_once(app, manager, facility):
    bed = factories.bed(facility)
    factories.bed(facility)
    elder = factories.elder()
    db.session.commit()
    assert vacant_in(facility.id) == 2
    assert queries.bed_tallies() is queries.bed_tallies()  # served from the cache while nothing changes

    def admit_in_another_thread():
        with app.app_context():
            services.admit(db.session.get(type(manager), manager.id),
                           db.session.get(Bed, bed.id), db.session.get(type(elder), elder.id), on=local_today())
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=admit_in_another_thread)
    thread.start()
    thread.join(30)
    db.session.commit()  # end this test's read transaction, as a new request would
    assert vacant_in(facility.id) == 1


def test_rolled_back_change_is_never_cached(app, manager, facility):
    bed = factories.bed(facility)
    db.session.commit()
    assert vacant_in(facility.id) == 1
    services.take_out_of_service(manager, bed)
    assert vacant_in(facility.id) == 0  # this session sees its own change, computed afresh
    db.session.rollback()
    assert vacant_in(facility.id) == 1
