"""Two managers acting on one bed (or one elder) at the same moment: exactly one wins.

Real threads, each with its own application context and database connection, released
together by a barrier; run on SQLite and on PostgreSQL like the rest of the suite."""

import threading

from sqlalchemy import func, select

from eldercare.errors import DomainError
from eldercare.extensions import db
from eldercare.facilities import services
from eldercare.facilities.models import Bed, Stay
from eldercare.residents.models import Elder
from eldercare.timekeeping import local_today
from tests import factories

THREADS = 20
CRASH = "CRASH"  # the start of an outcome that was not a clear refusal (a deadlock, an IntegrityError...)


def race(app, attempts):
    """Run each attempt in its own thread, all at once; return the outcomes: "ok", a domain error's
    message, or CRASH and the exception for anything else."""
    barrier = threading.Barrier(len(attempts))
    outcomes = []
    lock = threading.Lock()

    def run(attempt):
        with app.app_context():
            barrier.wait()
            try:
                attempt()
                db.session.commit()
                result = "ok"
            except DomainError as error:
                db.session.rollback()
                result = str(error)
            except Exception as error:  # noqa: BLE001 - a crash is an outcome the tests look for
                db.session.rollback()
                result = f"{CRASH} {type(error).__name__}: {error}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def admit_attempt(manager_id, bed_id, elder_id):
    def attempt():
        from eldercare.auth.models import User

        today = local_today()
        services.admit(db.session.get(User, manager_id), db.session.get(Bed, bed_id), db.session.get(Elder, elder_id),
                       on=today)
    return attempt


def test_twenty_managers_admit_into_one_bed(app, manager, facility):
    bed = factories.bed(facility)
    elders = [factories.elder() for _ in range(THREADS)]
    db.session.commit()
    outcomes = race(app, [admit_attempt(manager.id, bed.id, e.id) for e in elders])
    assert outcomes.count("ok") == 1, outcomes
    assert len(outcomes) == THREADS
    assert all("bed" in o.lower() or "床位" in o for o in outcomes if o != "ok")  # a clear message, not a crash
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Stay).where(Stay.bed_id == bed.id,
                                                                          Stay.end_on.is_(None))) == 1


def test_one_elder_admitted_into_twenty_beds_at_once(app, manager, facility):
    beds = [factories.bed(facility) for _ in range(THREADS)]
    elder = factories.elder(name="赵桂兰")
    db.session.commit()
    outcomes = race(app, [admit_attempt(manager.id, b.id, elder.id) for b in beds])
    assert outcomes.count("ok") == 1, outcomes
    assert all("赵桂兰" in o for o in outcomes if o != "ok")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Stay).where(Stay.elder_id == elder.id,
                                                                          Stay.end_on.is_(None))) == 1


def test_one_new_elder_admitted_through_the_form_into_two_beds_at_once(app, manager, facility):
    """The same admission sent twice at once (a double click on two tabs): one stay, and the other
    request answered with a clear message, never a 500, whichever check catches it."""
    from tests.conftest import login, post
    from tests.test_bed_pages import admit_form

    beds = [factories.bed(facility) for _ in range(4)]
    db.session.commit()
    clients = [app.test_client() for _ in beds]
    for client in clients:
        login(client, manager)
    url, forms = f"/facilities/{facility.id}/admit", [admit_form(bed) for bed in beds]
    barrier, answers = threading.Barrier(len(beds)), []

    def admit(client, form):
        with app.app_context():
            barrier.wait()
            answers.append(post(client, url, form, follow_redirects=True))

    threads = [threading.Thread(target=admit, args=pair) for pair in zip(clients, forms, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(answers) == len(beds) and {a.status_code for a in answers} <= {200, 409, 422}
    assert [a.status_code for a in answers].count(200) == 1  # the board, after the one admission
    refusals = [a.get_data(as_text=True) for a in answers if a.status_code != 200]
    assert all("王秀英" in page or "同时" in page for page in refusals), refusals  # already in a bed, or a clash
    assert len(answers) == len(beds)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Elder)) == 1
    assert db.session.scalar(select(func.count()).select_from(Stay)) == 1
