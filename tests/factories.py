"""Small builders for test data; each flushes and returns the model."""

import itertools
from datetime import date

from werkzeug.security import generate_password_hash

from eldercare.auth.models import User
from eldercare.extensions import db
from eldercare.facilities.models import Bed, BedKind, CareType, Facility, FacilityType, Ownership, Room, Town, TownKind
from eldercare.identity import check_character
from eldercare.placements.models import Application, Status
from eldercare.reports.models import Report, ReportJob, ReportKind, Source
from eldercare.residents.models import AbilityLevel, CaseSource, Category, Elder, IdentityCase, Sex

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def town(name="如城街道", code="320682001"):
    t = Town(name=name, code=code, kind=TownKind.street)
    db.session.add(t)
    db.session.flush()
    return t


def facility(town, name=None, type=FacilityType.private_home, **fields):
    fields.setdefault("serves_tekun", type == FacilityType.public_home)
    f = Facility(name=name or f"测试养老院{next(_seq)}", type=type, town_id=town.id,
                 ownership=fields.pop("ownership", Ownership.private), **fields)
    db.session.add(f)
    db.session.flush()
    return f


def room(facility, code="101"):
    r = Room(facility_id=facility.id, code=code)
    db.session.add(r)
    db.session.flush()
    return r


def bed(facility, code=None, care_type=CareType.nursing, room=None, kind=BedKind.institution, **fields):
    b = Bed(facility_id=facility.id, room_id=room.id if room else None, code=code or f"B{next(_seq)}",
            care_type=care_type, kind=kind, **fields)
    db.session.add(b)
    db.session.flush()
    return b


def id_number(birth=date(1940, 5, 17), male=True) -> str:
    n = next(_seq) % 500
    first17 = f"320682{birth:%Y%m%d}{n * 2 + (1 if male else 0):03d}"
    return first17 + check_character(first17)


def elder(name=None, category=Category.general, birth=date(1940, 5, 17), **fields):
    """An elder with an ability level (as if assessed, which a nursing-type bed needs); pass
    ability_level=None for one never assessed."""
    fields.setdefault("ability_level", AbilityLevel.intact)
    number = id_number(birth)
    e = Elder(name=name or f"老人{next(_seq)}", id_number=number, birth_on=birth, sex=Sex.male,
              category=category, **fields)
    db.session.add(e)
    db.session.flush()
    return e


def identity_case(elder_, claimed_name="别名"):
    case = IdentityCase(elder_id=elder_.id, claimed_name=claimed_name, source=CaseSource.admission)
    db.session.add(case)
    db.session.commit()
    return case


def user(username, role, facilities=(), password=PASSWORD, town=None):
    u = User(username=username, role=role, full_name=username, town_id=town.id if town else None)
    u.password_hash = generate_password_hash(password, "pbkdf2:sha256:1000")  # fast: tests make many users
    u.facilities = list(facilities)
    db.session.add(u)
    db.session.commit()
    return u


def application(family_user, elder_=None, status=Status.draft, offered_bed=None, **fields):
    from datetime import timedelta

    from eldercare.models import utcnow

    person = elder_ or elder()
    linked = status not in (Status.draft, Status.submitted, Status.withdrawn)  # the bureau has taken it up
    a = Application(family_id=family_user.id, elder_id=person.id if linked else None, status=status,
                    elder_name=person.name, id_number=person.id_number, birth_on=person.birth_on, sex=person.sex,
                    ability_level=fields.pop("ability_level", person.ability_level),
                    category=fields.pop("category", Category.general), relation="子女", contact_name="联系人",
                    contact_phone="13800000000", offered_bed_id=offered_bed.id if offered_bed else None,
                    offer_expires_at=utcnow() + timedelta(hours=72) if offered_bed else None,
                    submitted_at=None if status == Status.draft else utcnow(), **fields)
    db.session.add(a)
    db.session.commit()
    return a


def caregiver_with_certificate(facility) -> tuple[int, int]:
    """A caregiver working at `facility` with one level-5 certificate: (caregiver id, certificate id)."""
    from eldercare.caregivers.models import Caregiver, Certificate, Employment, EmploymentStatus, Post

    birth = date(1980, 3, 3)
    person = Caregiver(name=f"护理员{next(_seq)}", id_number=id_number(birth, male=False), birth_on=birth,
                       sex=Sex.female)
    db.session.add(person)
    db.session.flush()
    db.session.add(Employment(caregiver_id=person.id, facility_id=facility.id, post=Post.caregiver,
                              status=EmploymentStatus.active, hired_on=date(2024, 1, 1), status_on=date(2024, 1, 1),
                              monthly_pay=4000))
    certificate = Certificate(caregiver_id=person.id, number=f"CERT-{person.id}", level=5,
                              issued_on=date(2023, 1, 1), issuer="如皋市人社局")
    db.session.add(certificate)
    db.session.commit()
    return person.id, certificate.id


def report_and_job(facility):
    """An archived facility report whose file is not on disk (so it shows as damaged) and its job."""
    report = Report(kind=ReportKind.occupancy, scope=f"facility-{facility.id}", facility_id=facility.id,
                    town_id=facility.town_id, period="2026-10", language="zh", version=1, source=Source.web,
                    path="2026-10/missing.pdf", size=1, sha256="0" * 64, pages=1)
    db.session.add(report)
    db.session.flush()
    job = ReportJob(kind=ReportKind.occupancy, scope=report.scope, facility_id=facility.id, town_id=facility.town_id,
                    period="2026-10", language="zh", report_id=report.id)
    db.session.add(job)
    db.session.commit()
    return report.id, job.id


def document(application_, content=b"%PDF-1.4 test certificate", kind="disability_certificate"):
    """A supporting document of the application, written where DOCUMENTS_DIR points."""
    from eldercare.placements import documents

    with_status = application_.status
    application_.status = Status.draft  # documents are attached to a draft; put the status back after
    d = documents.attach(application_.family, application_, kind=documents.DocumentKind(kind), name="证明.pdf",
                         content=content)
    application_.status = with_status
    db.session.commit()
    return d
