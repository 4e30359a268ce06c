"""SQL statements per page, pinned: a page that starts running more queries fails here, and the
number is raised only on purpose. Counted with an SQLAlchemy event listener on the third view
(the first two fill the per-process memos), logged in as the role that uses the page."""

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event

from eldercare import cache
from eldercare.facilities import services
from eldercare.placements.models import Status
from tests import factories
from tests.conftest import login

# page -> statements on a warm view (the session's user and the bell's count are one of them)
PINNED = {
    "board": 1,
    "bed": 2,
    "dashboard": 1,
    "review": 1,
    "open_beds": 1,
    "open_beds_anonymous": 1,
    "healthz": 0,
    "readyz": 1,
}


@contextmanager
def counted(engine):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def world(db, facility, manager, bureau_staff, family):
    room = factories.room(facility)
    beds = [factories.bed(facility, room=room) for _ in range(6)]
    for bed in beds[:3]:
        services.admit(manager, bed, factories.elder(), on=date(2026, 1, 5))
    for status in (Status.submitted, Status.approved, Status.under_review):
        factories.application(family, status=status)
    db.session.commit()
    return {"facility": facility.id, "bed": beds[0].id}


@pytest.mark.parametrize("page", PINNED)
def test_statements_per_page_are_pinned(app, client, db, world, manager, bureau_staff, page):
    urls = {"board": f"/facilities/{world['facility']}/board", "bed": f"/beds/{world['bed']}",
            "dashboard": "/dashboard", "review": "/review", "open_beds": "/open-beds",
            "open_beds_anonymous": "/open-beds", "healthz": "/healthz", "readyz": "/readyz"}
    who = {"board": manager, "bed": manager, "open_beds": manager, "dashboard": bureau_staff, "review": bureau_staff}
    if page in who:
        login(client, who[page])
    for _ in range(2):
        assert client.get(urls[page]).status_code == 200
    db.session.remove()  # a request starts with an empty session, as in production (tests share one)
    with counted(db.engine) as statements:
        assert client.get(urls[page]).status_code == 200
    assert len(statements) == PINNED[page], "\n".join(s[:140] for s in statements)


# The first view after a change everywhere (every memo and kept page read afresh): the cost a page
# pays after each change, pinned too, so keeping a page rendered never hides a page that queries more.
PINNED_AFTER_A_CHANGE = {"board": 5, "bed": 9, "review": 8}


@pytest.mark.parametrize("page", PINNED_AFTER_A_CHANGE)
def test_statements_after_a_change_are_pinned(app, client, db, world, manager, bureau_staff, page):
    urls = {"board": f"/facilities/{world['facility']}/board", "bed": f"/beds/{world['bed']}", "review": "/review"}
    login(client, {"board": manager, "bed": manager, "review": bureau_staff}[page])
    assert client.get(urls[page]).status_code == 200
    cache.changed(db.session)
    db.session.commit()
    db.session.remove()
    with counted(db.engine) as statements:
        assert client.get(urls[page]).status_code == 200
    assert len(statements) == PINNED_AFTER_A_CHANGE[page], "\n".join(s[:140] for s in statements)
