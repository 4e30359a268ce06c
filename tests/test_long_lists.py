"""Long lists a page at a time (routing.page_asked, the `pager` macro): the bureau's review list
shows 50 applications a page, in the waitlist's order across its pages, with its status filter kept
in the links, and answers any ?page= with a page of the list."""

import re

from eldercare.placements.models import Status
from tests import factories
from tests.conftest import login


def _names(page: str) -> list[str]:
    return re.findall(r">(申请人\d\d)</a>", page)


def test_the_review_list_shows_fifty_applications_a_page(client, db, family, bureau_staff):
    for n in range(53):
        factories.application(family, factories.elder(name=f"申请人{n:02d}"), status=Status.submitted)
    factories.application(family, factories.elder(name="申请人99"), status=Status.rejected)
    login(client, bureau_staff)

    first = client.get("/review").get_data(as_text=True)
    assert len(_names(first)) == 50 and "第 1 页，共 2 页" in first
    assert 'href="/review?page=2"' in first and 'data-testid="previous-page"' not in first
    second = client.get("/review?page=2").get_data(as_text=True)
    assert len(_names(second)) == 3 and "第 2 页，共 2 页" in second and 'href="/review?page=1"' in second
    assert sorted(_names(first) + _names(second)) == [f"申请人{n:02d}" for n in range(53)]  # each once

    # A page past the end shows the last; anything but a number, the first.
    for asked, shown in (("3", second), ("99999999999999999999", second), ("-1", first), ("0", first),
                         ("abc", first), ("1%0A", first)):
        page = client.get(f"/review?page={asked}").get_data(as_text=True)
        assert _names(page) == _names(shown), asked

    # The status filter: one page, no pager; the filter stays in the pager's links.
    rejected = client.get("/review?status=rejected").get_data(as_text=True)
    assert _names(rejected) == ["申请人99"] and 'class="pager"' not in rejected
    factories.application(family, factories.elder(name="申请人98"), status=Status.rejected)
    for n in range(50):
        factories.application(family, factories.elder(name=f"申请人{n:02d}"), status=Status.rejected)
    rejected = client.get("/review?status=rejected").get_data(as_text=True)
    assert len(_names(rejected)) == 50 and 'href="/review?page=2&amp;status=rejected"' in rejected


def test_the_facility_list_shows_fifty_homes_a_page_with_its_filter_kept(client, db, town, bureau_staff):
    other = factories.town("白蒲镇", "320682102")
    for n in range(51):
        factories.facility(town, name=f"如城第{n:02d}养老院")
    factories.facility(other, name="白蒲颐养院")
    db.session.commit()
    login(client, bureau_staff)

    def homes(page):
        return re.findall(r'/board">([^<]+)</a>', page)

    first = client.get("/facilities").get_data(as_text=True)
    second = client.get("/facilities?page=2").get_data(as_text=True)
    assert len(homes(first)) == 50 and len(homes(second)) == 2 and "第 2 页，共 2 页" in second
    assert sorted(homes(first) + homes(second)) == sorted([f"如城第{n:02d}养老院" for n in range(51)] + ["白蒲颐养院"])
    filtered = client.get(f"/facilities?town={town.name}").get_data(as_text=True)
    assert len(homes(filtered)) == 50 and "白蒲颐养院" not in homes(filtered)
    assert re.search(r'href="/facilities\?page=2&amp;town=[^"&]+&amp;type="', filtered)
    rest = homes(client.get(f"/facilities?town={town.name}&page=2").get_data(as_text=True))
    assert len(rest) == 1 and rest[0] not in homes(filtered) and rest[0].startswith("如城第")
