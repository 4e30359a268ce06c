"""One language per person (issue 14, point 2): the language a visitor picks survives registration,
login and logout and is stored on the account; a message is kept as its msgid and values and is
read in the reader's language, whatever language the sender's request or job had."""

from datetime import date

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eldercare.auth.models import Role, User
from eldercare.labels import APPLICATION_STATUS
from eldercare.notifications import Notification, Outbox, kept, notify, rendered
from eldercare.placements import workflow
from eldercare.placements.models import Status
from tests import factories
from tests.conftest import csrf_token, login, post


def _choose(client, code):
    return client.post(f"/language/{code}", data={"csrf_token": csrf_token(client)})


def _page_language(client, path="/login"):
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    return "en" if '<html lang="en">' in page else "zh"


def test_a_message_is_kept_as_its_text_and_values_and_read_in_the_readers_language(app, db):
    message = _l("%(what)s %(next)s", what=_l("The application for %(name)s is approved and on the waitlist.",
                                               name="张三"),
                 next=APPLICATION_STATUS[Status.approved])
    assert kept(message) == {"msgid": "%(what)s %(next)s", "values": {
        "what": {"msgid": "The application for %(name)s is approved and on the waitlist.",
                 "values": {"name": "张三"}},
        "next": {"msgid": str(APPLICATION_STATUS[Status.approved]._args[0]), "values": {}}}}
    with force_locale("zh"):
        chinese = rendered(kept(message))
    with force_locale("en"):
        english = rendered(kept(message))
    assert chinese.startswith("张三的申请已通过") and "approved" not in chinese
    assert english.startswith("The application for 张三 is approved") and "通过" not in english
    # A day is written in the reader's format; a moment is refused (it would need a time zone).
    with force_locale("en"):
        assert rendered(kept(date(2026, 10, 5))) == "Oct 5, 2026"
    with force_locale("zh"):
        assert rendered(kept(date(2026, 10, 5))) == "2026年10月5日"
    with pytest.raises(TypeError):
        kept(_l("%(x)s", x=__import__("datetime").datetime(2026, 1, 1)))


def test_a_message_sent_from_an_english_request_reaches_a_chinese_family_in_chinese(app, db, client, town,
                                                                                     facility, bureau_staff):
    family = factories.user("family-zh", Role.family)
    family.phone = "13800000001"
    family.locale = "zh"
    db.session.commit()
    application = factories.application(family, status=Status.submitted)
    with app.test_request_context("/"), force_locale("en"):  # the reviewer reads English
        workflow.start_review(bureau_staff, application)
        db.session.commit()
    note = db.session.scalars(select(Notification).where(Notification.user_id == family.id)).one()
    assert isinstance(note.message, dict)  # the text's key and values, not a sentence
    sms = db.session.scalars(select(Outbox).where(Outbox.notification_id == note.id)).one()
    assert "已受理" in sms.body or "受理" in sms.body, sms.body  # the SMS in the family's language
    assert "civil-affairs" not in sms.body

    login(client, family)
    page = client.get("/notifications").get_data(as_text=True)
    assert "受理" in page and "has taken up" not in page
    _choose(client, "en")  # she switches: the same message, now in English
    page = client.get("/notifications").get_data(as_text=True)
    assert "The civil-affairs bureau has taken up the application" in page


def test_the_language_picked_before_registering_is_kept_on_the_account_and_across_login(app, db, client):
    _choose(client, "en")
    response = post(client, "/register", data={"full_name": "王芳", "phone": "13900000002",
                                               "password": "a-long-pass-phrase-9", "confirm": "a-long-pass-phrase-9"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    user = db.session.scalar(select(User).where(User.username == "13900000002"))
    assert user.locale == "en"
    assert _page_language(client) == "en"

    # Another browser, in the default language: the account's language applies after login.
    other = app.test_client()
    assert _page_language(other) == "zh"
    post(other, "/login", data={"username": "13900000002", "password": "a-long-pass-phrase-9"})
    assert _page_language(other, "/") == "en"
    # Logging out keeps the language the pages were in.
    post(other, "/logout")
    assert _page_language(other) == "en"


def test_switching_language_when_logged_in_is_stored_and_a_next_person_on_the_browser_keeps_their_own(
        app, db, client, manager, family):
    family.locale = "zh"
    db.session.commit()
    login(client, manager)
    _choose(client, "en")
    assert db.session.get(User, manager.id).locale == "en"
    post(client, "/logout")
    assert _page_language(client) == "en"  # the login page stays in the last reader's language
    login(client, family)  # the family did not pick English on this browser: her own stays
    assert _page_language(client, "/") == "zh"
    assert db.session.get(User, family.id).locale == "zh"


def test_an_unknown_language_changes_nothing(app, db, client, manager):
    login(client, manager)
    response = _choose(client, "xx")
    assert response.status_code == 302
    assert db.session.get(User, manager.id).locale is None
    assert _page_language(client, "/") == "zh"


def test_a_job_without_a_request_keeps_the_message_for_its_reader(app, db, manager):
    manager.locale = "en"
    db.session.commit()
    with app.app_context():
        notify(manager, _l("%(name)s in bed %(code)s needs a new ability assessment (due %(day)s): the "
                           "latest is over a year old.", name="李四", code="101-1", day=date(2026, 12, 1)))
        db.session.commit()
    note = db.session.scalars(select(Notification).where(Notification.user_id == manager.id)).one()
    with force_locale("en"):
        assert note.text == ("李四 in bed 101-1 needs a new ability assessment (due Dec 1, 2026): "
                             "the latest is over a year old.")
    with force_locale("zh"):
        assert "李四" in note.text and "2026年12月1日" in note.text and "needs" not in note.text


def test_lists_and_labels_follow_the_readers_punctuation(app):
    from eldercare import labels

    with app.test_request_context():
        with force_locale("zh"):
            assert labels.listing(["如城街道", "东陈镇", "白蒲镇"]) == "如城街道、东陈镇和白蒲镇"
            assert labels.labelled("地址") + labels.bracketed("子女") == "地址：（子女）"
            assert labels.sentences(["必填", "太长"]) == "必填；太长"
            assert labels.sentences(["不超过 8 个字符。", "请删除控制字符。"]) == "不超过 8 个字符。请删除控制字符。"
        with force_locale("en"):
            assert labels.listing(["A", "B", "C"]) == "A, B, and C"
            assert labels.labelled("Address") + labels.bracketed("son") == "Address: (son)"
            assert labels.sentences(["required", "too long"]) == "required; too long"
            assert labels.sentences(["At most 8 characters.", "No control characters."]) == \
                "At most 8 characters. No control characters."
        assert labels.listing([]) == ""


def test_a_failed_report_reads_in_the_language_of_whoever_looks(app, db, client, bureau_staff, facility, monkeypatch):
    from eldercare.errors import DomainError
    from eldercare.reports import making
    from eldercare.reports.models import JobStatus, ReportJob

    _report_id, job_id = factories.report_and_job(facility)

    def refuse(*args, **kwargs):
        raise DomainError(_l("Reports are made in Chinese or English."))

    monkeypatch.setattr(making, "make", refuse)
    with app.app_context(), force_locale("zh"):  # the worker's language is not the reader's
        making.run_job(job_id)
    job = db.session.get(ReportJob, job_id)
    assert job.status == JobStatus.failed
    bureau_staff.locale = "en"
    db.session.commit()
    login(client, bureau_staff)
    page = client.get(f"/reports/jobs/{job_id}").get_data(as_text=True)
    assert "Reports are made in Chinese or English." in page
