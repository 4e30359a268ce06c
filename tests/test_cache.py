"""Cached figures follow every committed change, from any connection, and never keep
uncommitted data."""

import threading
from contextlib import contextmanager

from sqlalchemy import event

from eldercare.extensions import db
from eldercare.facilities import queries, services
from eldercare.facilities.models import Bed, BedState
from eldercare.timekeeping import local_today
from tests import factories


@contextmanager
def statements():
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def vacant_in(facility_id):
    return sum(r.n for r in queries.bed_tallies() if r.facility_id == facility_id and r.state == BedState.vacant)


def test_change_committed_elsewhere_is_seen_at_once(app, manager, facility):
    bed = factories.bed(facility)
    factories.bed(facility)
    elder = factories.elder()
    db.session.commit()
    assert vacant_in(facility.id) == 2
    with statements() as seen:
        assert queries.bed_tallies() == queries.bed_tallies()
    assert not any("FROM bed" in s for s in seen)  # served from memory while nothing changes

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


def test_a_change_in_one_home_rereads_that_home_only(app, manager, facility, town):
    other = factories.facility(town, "另一家养老院")
    factories.bed(other)
    bed = factories.bed(facility)
    db.session.commit()
    assert vacant_in(facility.id) == 1 and vacant_in(other.id) == 1
    services.take_out_of_service(manager, bed)
    db.session.commit()
    with statements() as seen:
        assert vacant_in(facility.id) == 0 and vacant_in(other.id) == 1
    bed_reads = [s for s in seen if "FROM bed" in s]
    assert len(bed_reads) == 1 and "IN" in bed_reads[0]  # only the changed home, by id


def test_a_residents_new_category_refreshes_their_home(app, manager, facility):
    from eldercare.residents.models import Category

    elder = factories.elder(category=Category.general)
    services.admit(manager, factories.bed(facility), elder, on=local_today())
    db.session.commit()
    assert [r.category for r in queries.resident_tallies()] == ["general"]
    elder.category = Category.tekun
    db.session.commit()
    assert [r.category for r in queries.resident_tallies()] == ["tekun"]
