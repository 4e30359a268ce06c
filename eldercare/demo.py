"""Demo data for Rugao (如皋市): towns, facilities of every type, beds, elders and stays.

Figures follow ../shared/domain.md section 1 at --scale 1: about 60 facilities and 8,000 beds,
1,014 tekun elders in centralized care, 80 family care beds, public homes with high vacancy,
and a city nursing-type share just under the 74% target so the shortfall shows. Rows are
inserted in bulk (a few statements per facility) so --scale 10 stays well under two minutes.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, insert, select

from eldercare.auth.models import Role, User
from eldercare.cache import changed
from eldercare.caregivers import services as caregiver_services
from eldercare.caregivers.models import (
    NO_CERTIFICATE,
    Caregiver,
    Certificate,
    Employment,
    EmploymentStatus,
    PayBand,
    Post,
    PreJobTraining,
    TrainingSession,
    training_attendance,
)
from eldercare.extensions import db
from eldercare.facilities import registry
from eldercare.facilities.models import (
    INSTITUTION_TYPES,
    Away,
    Bed,
    BedKind,
    CareType,
    EndReason,
    Facility,
    FacilityType,
    MealLog,
    Ownership,
    Room,
    Stay,
    Town,
    TownKind,
)
from eldercare.identity import check_character
from eldercare.models import utcnow
from eldercare.placements import workflow
from eldercare.placements.models import TRANSITIONS, Action, Application, ApplicationEvent, Status
from eldercare.residents.models import AbilityLevel, Assessment, AssessmentReason, Category, Elder, Sex
from eldercare.residents.rules import DOMAINS

DEMO_PASSWORD = "eldercare-demo"
AREA_CODE = "320682"
STREETS = ["如城街道", "城北街道", "城南街道"]
TOWNS = ["东陈镇", "丁堰镇", "白蒲镇", "下原镇", "九华镇", "石庄镇", "吴窑镇", "江安镇", "搬经镇", "磨头镇", "长江镇"]
TEKUN_IN_CARE = 1014
FAMILY_CARE_BEDS = 80
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
    "石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
)
GIVEN = "秀英桂兰玉珍凤英兰芳建国志明德华国强永福海林金宝春梅素珍淑华长生如意美华树林根宝玉兰福生荣华桂英秀兰洪波友谊"


@dataclass(frozen=True)
class Plan:
    """One kind of facility in the demo: how many, how big, how nursing-heavy, how full."""

    type: FacilityType
    ownership: Ownership
    per_scale: int
    beds: tuple[int, int]
    nursing_share: float
    occupancy: float
    kind: BedKind = BedKind.institution


PLANS = [
    Plan(FacilityType.public_home, Ownership.public, 14, (110, 170), 0.45, 0.55),
    Plan(FacilityType.regional_center, Ownership.public_private, 4, (170, 230), 0.88, 0.80),
    Plan(FacilityType.street_center, Ownership.public_private, 3, (60, 100), 0.80, 0.75),
    Plan(FacilityType.private_home, Ownership.private, 16, (180, 320), 0.78, 0.78),
    Plan(FacilityType.embedded_home, Ownership.private, 8, (40, 80), 0.75, 0.80),
    Plan(FacilityType.meal_point, Ownership.public, 6, (6, 12), 0.0, 0.6, BedKind.day_care),
    Plan(FacilityType.mutual_aid, Ownership.public, 12, (4, 8), 0.0, 0.5, BedKind.day_care),
]
NAME_SUFFIX = {
    FacilityType.public_home: "敬老院",
    FacilityType.regional_center: "区域性养老服务中心",
    FacilityType.street_center: "综合养老服务中心",
    FacilityType.private_home: "颐养院",
    FacilityType.embedded_home: "社区嵌入式养老院",
    FacilityType.meal_point: "社区助餐点",
    FacilityType.mutual_aid: "互助养老睦邻点",
}
PRIVATE_NAMES = "康乐 福寿 长寿 安康 康宁 颐和 松鹤 夕阳红 福康 仁爱 惠民 百岁 寿星 和美 春晖 乐龄".split()


def real_accounts() -> list[str]:
    """User names of accounts that are not the demo's: a demo account has a demo name and the demo
    password (or none at all, like the demo's other families)."""
    real = []
    for user in db.session.scalars(select(User).order_by(User.id)):
        is_demo_name = user.username in DEMO_ACCOUNTS or user.username.startswith("demo-family-")
        if not (is_demo_name and (user.password_hash == "!" or user.check_password(DEMO_PASSWORD))):
            real.append(user.username)
    return real


def already_seeded() -> bool:
    return db.session.scalar(select(exists().where(Facility.id.is_not(None))))


def seed(scale: int = 1, *, today: date, progress=None) -> dict:
    """Build the demo dataset; returns counts. The caller commits."""
    rng = random.Random(20231205)
    towns = _towns()
    accounts = ensure_demo_accounts()
    used_ids: set[str] = set()
    tekun_left = TEKUN_IN_CARE * scale
    family_left = FAMILY_CARE_BEDS * scale
    totals = {"facilities": 0, "beds": 0, "stays": 0, "elders": 0}
    jobs = []
    for plan in PLANS:
        for n in range(plan.per_scale * scale):
            jobs.append((plan, n))
    manager_facility = None
    for plan, n in (progress(jobs) if progress else jobs):
        town = towns[n % len(towns)] if plan.type != FacilityType.street_center else towns[n % 3]
        facility = _facility(plan, n, town, rng)
        if manager_facility is None and plan.type == FacilityType.private_home:
            manager_facility = facility
        beds = _rooms_and_beds(facility, plan, rng)
        if plan.type in (FacilityType.street_center, FacilityType.regional_center) and family_left > 0:
            count = min(family_left, 14)
            family_left -= count
            beds += _insert_beds(facility, [(f"家-{i + 1:02d}", CareType.ordinary, BedKind.family_care, None)
                                            for i in range(count)], rng)
        # Tekun elders live in public homes first, then the regional centres.
        tekun_quota = 0
        if plan.type == FacilityType.public_home:
            tekun_quota = min(tekun_left, int(len(beds) * plan.occupancy * 0.88))
        elif plan.type == FacilityType.regional_center:
            tekun_quota = min(tekun_left, 40)
        tekun_quota = max(tekun_quota, 0)
        stays, elders = _stays(facility, plan, beds, town, tekun_quota, rng, today, used_ids)
        if plan.type == FacilityType.meal_point:
            _meals(facility, rng, today)
        tekun_left -= tekun_quota
        totals["facilities"] += 1
        totals["beds"] += len(beds)
        totals["stays"] += stays
        totals["elders"] += elders
    manager = accounts["manager"]
    db.session.execute(
        insert(User.facilities.property.secondary).values(user_id=manager.id, facility_id=manager_facility.id)
    )
    totals["applications"] = _applications(accounts, towns, rng, today, used_ids)
    _registry_story(accounts, towns, today, used_ids, totals)
    totals["caregivers"] = _caregivers(accounts["admin"], today, used_ids)
    changed(db.session)  # the bulk inserts above bypass the ORM: cached figures must be read afresh
    return totals


# Demo applications by status: families waiting at every step, so the review list and the
# waitlist figures have something to show.
APPLICATION_MIX = {Status.submitted: 8, Status.under_review: 6, Status.more_info: 2, Status.approved: 24,
                   Status.rejected: 3}
WALK = {  # the actions that lead to each status
    Status.submitted: [Action.submit],
    Status.under_review: [Action.submit, Action.start_review],
    Status.more_info: [Action.submit, Action.start_review, Action.request_info],
    Status.approved: [Action.submit, Action.start_review, Action.approve],
    Status.rejected: [Action.submit, Action.start_review, Action.reject],
}


def _applications(accounts, towns, rng, today, used) -> int:
    bureau = accounts["bureau"]
    # The demo account "family" has two applications (one approved, one sent back for more
    # information); the others belong to families who cannot log in.
    others = []
    for n in range(10):
        user = User(username=f"demo-family-{n + 1}", role=Role.family, full_name=f"家属{n + 1}",
                    password_hash="!", active=True)  # "!" matches no password
        db.session.add(user)
        others.append(user)
    db.session.flush()
    count = 0
    for status, n in APPLICATION_MIX.items():
        for i in range(n):
            family = accounts["family"] if i == 0 and status in (Status.approved, Status.more_info) \
                else others[count % len(others)]
            town = towns[rng.randrange(len(towns))]
            category = rng.choices([Category.tekun, Category.dibao, Category.dibao_edge, Category.general],
                                   (2, 4, 2, 5))[0]
            row = _elder_row(rng, town, category, _ability(rng, CareType.nursing), today, used)
            taken_up = status not in (Status.submitted, Status.withdrawn)  # the bureau has linked a record
            elder = Elder(**row) if taken_up else None
            if elder is not None:
                db.session.add(elder)
                db.session.flush()
            sent = datetime.combine(today - timedelta(days=rng.randint(3, 120)), datetime.min.time())
            application = Application(
                family_id=family.id, elder_id=elder.id if elder else None, status=status,
                elder_name=row["name"], id_number=row["id_number"], birth_on=row["birth_on"], sex=row["sex"],
                ability_level=row["ability_level"] if taken_up else None,
                category=category, severe_disability=row["severe_disability"], living_alone=row["living_alone"],
                empty_nest=row["empty_nest"], relation=rng.choice(["儿子", "女儿", "侄子", "邻居"]),
                contact_name=rng.choice(SURNAMES) + "先生", contact_phone=f"139{rng.randint(10000000, 99999999)}",
                preferred_town_ids=[town.id], needs_nursing=row["ability_level"] != AbilityLevel.intact,
                consent_at=sent, submitted_at=sent, created_at=sent,
                approved_at=sent + timedelta(days=5) if status == Status.approved else None,
                reason="请补充低保证明复印件。" if status == Status.more_info else (
                    "经核查不符合条件。" if status == Status.rejected else ""),
            )
            db.session.add(application)
            db.session.flush()
            if taken_up:
                _assessments([(elder.id, row["ability_level"], sent.date() + timedelta(days=2),
                               AssessmentReason.application, application.id)])
            state = Status.draft
            for step, action in enumerate(WALK[status]):
                to = TRANSITIONS[state, action][0]
                db.session.add(ApplicationEvent(
                    application_id=application.id, action=action, from_status=state, to_status=to,
                    actor_id=family.id if action == Action.submit else bureau.id, reason=application.reason
                    if action in (Action.reject, Action.request_info) else "", at=sent + timedelta(days=step * 2)))
                state = to
            count += 1
    return count


# The four care homes Rugao opened in 2023 with their 381 new beds (domain.md section 1), registered
# by the bureau administrator through the registry: (town index, name, type, ownership, beds, opened).
OPENED_IN_2023 = [
    (0, "如城街道滨溪颐养中心", FacilityType.private_home, Ownership.private, 120, date(2023, 3, 18)),
    (2, "城南街道仁和护理院", FacilityType.private_home, Ownership.private, 96, date(2023, 6, 1)),
    (5, "白蒲镇康馨养老院", FacilityType.embedded_home, Ownership.private, 75, date(2023, 9, 9)),
    (13, "长江镇惠康综合养老服务中心", FacilityType.street_center, Ownership.public_private, 90, date(2023, 11, 28)),
]
CONVERTED = (4, date(2024, 7, 1))  # 丁堰镇敬老院 became a regional elderly-care service centre
ASSISTANT_TOWN = 4  # the demo assistant works for 丁堰镇


def _registry_story(accounts, towns, today, used, totals) -> None:
    """The registry's part of the plan: the four homes opened in 2023 registered through the same
    service the administrator uses (their beds on the register from the opening day), one 敬老院
    converted into a regional centre with its history, and the town assistant's application for an
    elder living alone. Its own random stream, so the rest of the demo stays as it was; `totals`
    counts what it adds."""
    rng = random.Random(2023)
    admin = accounts["admin"]
    for town_index, name, ftype, ownership, beds, opened in OPENED_IN_2023:
        town = towns[town_index]
        plan = Plan(ftype, ownership, 1, (beds, beds), 0.85, 0.6)
        facility = registry.register(admin, name=name, type=ftype, town_id=town.id, ownership=ownership,
                                     address=f"如皋市{town.name}{rng.randint(1, 300)}号", operator=f"{name}有限公司",
                                     licensed_beds=beds, medical_integrated=ftype == FacilityType.private_home,
                                     opened_on=opened)
        rows = _rooms_and_beds(facility, plan, rng)
        db.session.execute(Bed.__table__.update().where(Bed.facility_id == facility.id).values(added_on=opened))
        stays, elders = _stays(facility, plan, rows, town, 0, rng, today, used, since=opened)
        totals["facilities"] += 1
        totals["beds"] += len(rows)
        totals["stays"] += stays
        totals["elders"] += elders
    town_index, converted_on = CONVERTED
    town = towns[town_index]
    home = db.session.scalar(select(Facility).where(Facility.name == f"{town.name}敬老院"))
    registry.convert(admin, home, on=min(converted_on, today))
    # Renamed as the centre it became, its old name kept in brackets (a town may have a centre already).
    registry.update(admin, home, name=f"{town.name}区域性养老服务中心（原{home.name}）", town_id=home.town_id,
                    ownership=home.ownership, address=home.address, operator=home.operator,
                    licensed_beds=home.licensed_beds, medical_integrated=home.medical_integrated,
                    serves_tekun=True, tekun_reserve=home.tekun_reserve, opened_on=home.opened_on)
    assistant = accounts["assistant"]
    assistant.town_id = towns[ASSISTANT_TOWN].id
    birth = date(1941, 2, 14)
    application = workflow.save_draft(
        assistant, None, name="周桂英", id_number=_id_number(rng, used, birth, Sex.female), category=Category.dibao,
        severe_disability=True, living_alone=True, empty_nest=False, relation="镇民政助理员",
        contact_name="周助理", contact_phone="13962700418", preferred_town_ids=[towns[ASSISTANT_TOWN].id],
        preferred_facility_ids=[home.id], needs_nursing=True,
        notes="独居，无子女在身边，由丁堰镇民政助理员代为申请。")
    workflow.submit(assistant, application, consent=True)
    totals["applications"] += 1


def _towns() -> list[Town]:
    towns = [Town(code=f"{AREA_CODE}{i + 1:03d}", name=name, kind=TownKind.street if i < 3 else TownKind.town)
             for i, name in enumerate(STREETS + TOWNS)]
    existing = {t.name: t for t in db.session.scalars(select(Town))}
    result = []
    for town in towns:
        if town.name not in existing:
            db.session.add(town)
        result.append(existing.get(town.name, town))
    db.session.flush()
    return result


DEMO_ACCOUNTS = {
    "admin": (Role.bureau_admin, "民政局管理员"),
    "bureau": (Role.bureau_staff, "养老服务科 王科员"),
    "manager": (Role.facility_manager, "院长 陈主任"),
    "family": (Role.family, "家属 李女士"),
    "assistant": (Role.town_assistant, "丁堰镇民政助理员 周助理"),
}


def ensure_demo_accounts() -> dict[str, User]:
    users = {}
    for username, (role, full_name) in DEMO_ACCOUNTS.items():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, role=role, full_name=full_name)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
        users[username] = user
    db.session.flush()
    return users


def _facility(plan: Plan, n: int, town: Town, rng) -> Facility:
    round_no = n // 14 + 1
    if plan.type == FacilityType.private_home:
        base = f"如皋市{PRIVATE_NAMES[n % len(PRIVATE_NAMES)]}{NAME_SUFFIX[plan.type]}"
        name = base if n < len(PRIVATE_NAMES) else f"{base}{town.name}{n // len(PRIVATE_NAMES) + 1}号院"
    elif plan.type == FacilityType.street_center:
        name = f"{town.name}{NAME_SUFFIX[plan.type]}" + (f"（{n // 3 + 1}）" if n >= 3 else "")
    else:
        suffix = NAME_SUFFIX[plan.type]
        name = f"{town.name}{suffix}" if n < 14 else f"{town.name}第{round_no}{suffix}"
    facility = Facility(
        name=name, type=plan.type, town_id=town.id, ownership=plan.ownership,
        address=f"如皋市{town.name}{rng.randint(1, 300)}号",
        operator=f"{town.name}人民政府" if plan.ownership == Ownership.public else f"{name}有限公司",
        medical_integrated=plan.type in (FacilityType.regional_center,) or rng.random() < 0.3,
        licensed_beds=0, serves_tekun=plan.type in (FacilityType.public_home, FacilityType.regional_center),
    )
    db.session.add(facility)
    db.session.flush()
    return facility


def _rooms_and_beds(facility: Facility, plan: Plan, rng) -> list[dict]:
    target = rng.randint(*plan.beds)
    facility.licensed_beds = target
    specs, rooms = [], []
    per_room = 2 if plan.kind == BedKind.day_care else 3
    for r in range((target + per_room - 1) // per_room):
        floor = r // 20 + 1
        rooms.append({"facility_id": facility.id, "code": f"{floor}{r % 20 + 1:02d}", "floor": floor})
    room_ids = list(db.session.scalars(insert(Room).returning(Room.id, sort_by_parameter_order=True), rooms))
    for i in range(target):
        room_index = i // per_room
        care = CareType.nursing if rng.random() < plan.nursing_share else CareType.ordinary
        specs.append((f"{rooms[room_index]['code']}-{i % per_room + 1:02d}", care, plan.kind, room_ids[room_index]))
    return _insert_beds(facility, specs, rng)


def _insert_beds(facility, specs, rng) -> list[dict]:
    stale = facility.id % 9 == 0  # some homes have not touched their beds for weeks
    rows = []
    for code, care, kind, room_id in specs:
        rows.append({
            "facility_id": facility.id, "room_id": room_id, "code": code,
            # Public homes open a few surplus beds to the public (the 2024 plan); others open all.
            "kind": kind, "care_type": care,
            "open_to_public": facility.type != FacilityType.public_home or rng.random() < 0.06,
            "out_of_service": rng.random() < 0.02,
            "changed_at": utcnow() - timedelta(days=rng.randint(20, 60) if stale else rng.randint(0, 10),
                                               minutes=rng.randint(0, 1440)),
        })
    ids = db.session.scalars(insert(Bed).returning(Bed.id, sort_by_parameter_order=True), rows).all()
    for row, bed_id in zip(rows, ids, strict=True):
        row["id"] = bed_id
    return rows


def _id_number(rng, used: set[str], birth: date, sex: Sex) -> str:
    while True:
        seq = rng.randint(0, 99) * 10 + rng.choice((1, 3, 5, 7, 9) if sex == Sex.male else (0, 2, 4, 6, 8))
        first17 = f"{AREA_CODE}{birth:%Y%m%d}{seq:03d}"
        value = first17 + check_character(first17)
        if value not in used:
            used.add(value)
            return value


def _meals(facility, rng, today, days=60) -> None:
    rows = []
    for i in range(1, days + 1):
        meals = rng.randint(40, 90)
        by_category = {"tekun": rng.randint(0, 5), "dibao": rng.randint(0, 12), "general": rng.randint(0, 20)}
        rows.append({"facility_id": facility.id, "day": today - timedelta(days=i), "meals": meals,
                     "subsidised": sum(by_category.values()), "subsidised_by_category": by_category})
    db.session.execute(insert(MealLog.__table__), rows)


def _elder_row(rng, town, category, ability, today, used) -> dict:
    birth = date(today.year - rng.randint(62, 101), rng.randint(1, 12), rng.randint(1, 28))
    sex = rng.choice((Sex.male, Sex.female))
    return {
        "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
        "id_number": _id_number(rng, used, birth, sex), "birth_on": birth, "sex": sex, "town_id": town.id,
        "category": category, "ability_level": ability,
        "severe_disability": ability in (AbilityLevel.severe, AbilityLevel.complete) and rng.random() < 0.4,
        "living_alone": rng.random() < 0.25, "empty_nest": rng.random() < 0.3,
    }


def _ability(rng, care: CareType) -> AbilityLevel:
    levels = list(AbilityLevel)
    weights = (5, 15, 30, 30, 20) if care == CareType.nursing else (45, 35, 15, 4, 1)
    return rng.choices(levels, weights)[0]


def _category(rng) -> Category:
    return rng.choices(
        [Category.dibao, Category.dibao_edge, Category.expense_hardship, Category.general], (14, 8, 5, 73)
    )[0]


# A total inside each level's band (GB/T 42195), split over the four domains in their proportions.
LEVEL_TOTAL = {AbilityLevel.intact: 90, AbilityLevel.mild: 76, AbilityLevel.moderate: 55, AbilityLevel.severe: 38,
               AbilityLevel.complete: 20}


def _assessments(rows) -> None:
    """An assessment record behind every demo ability level: (elder id, level, day, reason, application id)."""
    records = []
    for elder_id, level, day, reason, application_id in rows:
        if level is None:
            continue
        total = LEVEL_TOTAL[level]
        scores = {domain: total * top // 90 for domain, top in DOMAINS.items()}
        scores["self_care"] += total - sum(scores.values())
        records.append({"elder_id": elder_id, **scores, "coma": False, "dementia_or_psychiatric": False,
                        "risk_events_30d": 0, "total": total, "level": level, "reason": reason,
                        "application_id": application_id,
                        "assessed_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=10)})
    if records:
        db.session.execute(insert(Assessment.__table__), records)


def _stays(facility, plan, beds, town, tekun_quota, rng, today, used, since=None) -> tuple[int, int]:
    """Open stays for about `occupancy` of the beds, and earlier, ended stays for history (none
    before `since`, the day a new home opened)."""
    elders, stays = [], []
    in_service = [b for b in beds if not b["out_of_service"]]
    rng.shuffle(in_service)
    occupied = in_service[: int(len(in_service) * plan.occupancy)]
    occupied.sort(key=lambda b: b["kind"] != BedKind.institution)  # tekun elders in institution beds only
    for i, bed in enumerate(occupied):
        category = Category.tekun if i < tekun_quota else _category(rng)
        start = today - timedelta(days=rng.randint(1, 1400 if since is None else max(1, (today - since).days)))
        if since is None and rng.random() < 0.35:  # someone else stayed here before
            earlier_end = start - timedelta(days=rng.randint(0, 60))
            earlier_start = earlier_end - timedelta(days=rng.randint(30, 700))
            elders.append(_elder_row(rng, town, _category(rng), _ability(rng, bed["care_type"]), today, used))
            stays.append({"bed_id": bed["id"], "start_on": earlier_start, "end_on": earlier_end,
                          "end_reason": rng.choice((EndReason.discharged, EndReason.deceased))})
        elders.append(_elder_row(rng, town, category, _ability(rng, bed["care_type"]), today, used))
        away = rng.choices((None, Away.leave, Away.hospital), (94, 3, 3))[0]
        stays.append({"bed_id": bed["id"], "start_on": start, "end_on": None, "end_reason": None, "away": away})
    elder_ids = db.session.scalars(insert(Elder).returning(Elder.id, sort_by_parameter_order=True), elders).all() \
        if elders else []
    for stay, elder_id in zip(stays, elder_ids, strict=True):
        stay.setdefault("away", None)
        stay["elder_id"] = elder_id
    _assessments([(elder_id, row["ability_level"], stay["start_on"], AssessmentReason.admission, None)
                  for elder_id, row, stay in zip(elder_ids, elders, stays, strict=True)])
    if stays:
        db.session.execute(insert(Stay.__table__), stays)
    cleaning = [b["id"] for b in in_service[len(occupied):] if rng.random() < 0.08]
    if cleaning:
        db.session.execute(
            Bed.__table__.update().where(Bed.id.in_(cleaning)).values(needs_cleaning=True)
        )
    return len(stays), len(elders)


# Caregivers (domain.md section 5): rosters sized to each institution's residents, with the gaps
# a bureau would recognise: about 90% pre-job coverage, levels mostly 五级/四级, some pay below
# the band, a few homes short of caregivers, in-service hours short in many homes.
PAY_BANDS = {NO_CERTIFICATE: 2900, 5: 3300, 4: 3800, 3: 4400, 2: 5000, 1: 5800}
LEVEL_WEIGHTS = {NO_CERTIFICATE: 12, 5: 45, 4: 28, 3: 11, 2: 3, 1: 1}
PROVIDERS = ("如皋市职业教育中心", "如皋市养老服务指导中心", "南通市养老护理职业培训学校")
COURSES = ("失能老人照护", "消防安全与应急疏散", "老年人营养与喂食", "压疮预防与护理", "认知症照护", "感染防控")


def _caregivers(admin, today: date, used: set[str]) -> int:
    """Bulk-insert rosters, training, certificates, pay bands and this year's sessions; then raise
    the reminders they call for. Returns the number of caregivers."""
    rng = random.Random(20240601)
    residents: dict[int, list[int]] = {}  # facility -> [fully disabled, partly disabled, others]
    for facility_id, care, level, n in db.session.execute(
        select(Bed.facility_id, Bed.care_type, Elder.ability_level, func.count())
        .join(Stay, Stay.bed_id == Bed.id).join(Elder, Elder.id == Stay.elder_id)
        .where(Stay.end_on.is_(None), Bed.kind == BedKind.institution)
        .group_by(Bed.facility_id, Bed.care_type, Elder.ability_level)
    ):
        counts = residents.setdefault(facility_id, [0, 0, 0])
        nursing = care == CareType.nursing
        if nursing and level in (AbilityLevel.severe, AbilityLevel.complete):
            counts[0] += n
        elif nursing and level in (AbilityLevel.mild, AbilityLevel.moderate):
            counts[1] += n
        else:
            counts[2] += n
    institutions = db.session.execute(select(Facility.id, Facility.town_id)
                                      .where(Facility.type.in_([t.value for t in INSTITUTION_TYPES]))
                                      .order_by(Facility.id)).all()
    people, spells, posts = [], [], []
    for facility_id, _town in institutions:
        fully, partly, others = residents.get(facility_id, [0, 0, 0])
        needed = -(-fully // 3) + -(-partly // 6)
        if rng.random() < 0.12:  # a home short of caregivers
            care = int(needed * rng.uniform(0.55, 0.85))
        else:
            care = -(-needed * 20 // 17) + 1 + others // 12
        nurses = (fully + partly + others) // 40
        for i in range(care + nurses):
            post = Post.nurse if i >= care else (Post.head_caregiver if i == 0 and care >= 8 else Post.caregiver)
            sex = Sex.female if rng.random() < 0.85 else Sex.male
            birth = date(rng.randint(1962, 1998), rng.randint(1, 12), rng.randint(1, 28))
            people.append({"name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                           "id_number": _id_number(rng, used, birth, sex), "birth_on": birth, "sex": sex,
                           "mobile": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"})
            posts.append((facility_id, post))
    ids = db.session.scalars(insert(Caregiver).returning(Caregiver.id, sort_by_parameter_order=True), people).all()
    others_of_town = {}
    for facility_id, town_id in institutions:
        others_of_town.setdefault(town_id, []).append(facility_id)
    town_of = dict(institutions)
    pre_job, certificates, working = [], [], {}
    for caregiver_id, (facility_id, post) in zip(ids, posts, strict=True):
        hired = today - timedelta(days=rng.randint(20, 3000))
        on_leave = rng.random() < 0.04
        status_on = hired + timedelta(days=rng.randint(0, (today - hired).days)) if on_leave else hired
        spells.append({"caregiver_id": caregiver_id, "facility_id": facility_id, "post": post,
                       "status": EmploymentStatus.on_leave if on_leave else EmploymentStatus.active,
                       "hired_on": hired, "status_on": status_on, "monthly_pay": 0})
        earlier = [f for f in others_of_town[town_of[facility_id]] if f != facility_id]
        if earlier and hired > today - timedelta(days=2500) and rng.random() < 0.04:  # moved from another home
            start = hired - timedelta(days=rng.randint(200, 900))
            spells.append({"caregiver_id": caregiver_id, "facility_id": rng.choice(earlier), "post": Post.caregiver,
                           "status": EmploymentStatus.left, "hired_on": start,
                           "status_on": hired - timedelta(days=rng.randint(1, 60)),
                           "monthly_pay": rng.randint(3000, 4200)})
        if rng.random() < 0.9:
            pre_job.append({"caregiver_id": caregiver_id, "trained_on": hired - timedelta(days=rng.randint(3, 40)),
                            "hours": rng.choice((40, 60, 80)), "provider": rng.choice(PROVIDERS), "passed": True})
        elif rng.random() < 0.4:
            pre_job.append({"caregiver_id": caregiver_id, "trained_on": hired - timedelta(days=rng.randint(3, 40)),
                            "hours": 40, "provider": rng.choice(PROVIDERS), "passed": False})
        level = rng.choices(list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values()))[0] if post != Post.nurse \
            else NO_CERTIFICATE
        valid_level = level
        if level != NO_CERTIFICATE:
            issued = today - timedelta(days=rng.randint(60, 3000))
            expires = None
            roll = rng.random()
            if roll < 0.05:  # expired: issued long enough ago
                issued = today - timedelta(days=rng.randint(400, 3000))
                expires, valid_level = today - timedelta(days=rng.randint(1, 300)), NO_CERTIFICATE
            elif roll < 0.08:
                expires = today + timedelta(days=rng.randint(5, 55))  # a reminder is due
            elif roll < 0.3:
                expires = issued + timedelta(days=365 * 5 + rng.randint(0, 900))
                if expires < today:
                    expires = today + timedelta(days=rng.randint(61, 900))
            certificates.append({"caregiver_id": caregiver_id, "number": f"3206{caregiver_id:010d}", "level": level,
                                 "issued_on": issued, "issuer": "如皋市人力资源和社会保障局", "expires_on": expires,
                                 "revoked": False})
        band = PAY_BANDS[valid_level]
        pay = band - rng.randint(100, 500) if rng.random() < 0.08 else band + rng.randint(0, 900)
        spells[-2 if spells[-1]["status"] == EmploymentStatus.left else -1]["monthly_pay"] = pay
        if post != Post.nurse and not on_leave:
            working.setdefault(facility_id, []).append(caregiver_id)
    db.session.execute(insert(Employment.__table__), spells)
    if pre_job:
        db.session.execute(insert(PreJobTraining.__table__), pre_job)
    if certificates:
        db.session.execute(insert(Certificate.__table__), certificates)
    for year in (today.year - 1, today.year):
        db.session.execute(insert(PayBand.__table__), [
            {"year": year, "level": level, "minimum_pay": pay - (200 if year < today.year else 0),
             "changed_by_id": admin.id} for level, pay in PAY_BANDS.items()])
    sessions, attendance = [], []
    for facility_id, attendees in working.items():
        for _ in range(rng.randint(2, 4)):
            held = date(today.year, 1, 1) + timedelta(days=rng.randint(0, (today - date(today.year, 1, 1)).days))
            sessions.append(({"facility_id": facility_id, "course": rng.choice(COURSES), "held_on": held,
                              "hours": rng.choice((6, 8, 10, 12)), "provider": "院内培训"},
                             rng.sample(attendees, max(1, int(len(attendees) * rng.uniform(0.5, 0.95))))))
    if sessions:
        session_ids = db.session.scalars(insert(TrainingSession).returning(TrainingSession.id,
                                                                           sort_by_parameter_order=True),
                                         [s for s, _ in sessions]).all()
        for session_id, (_, attendees) in zip(session_ids, sessions, strict=True):
            attendance.extend({"session_id": session_id, "caregiver_id": c} for c in attendees)
        db.session.execute(insert(training_attendance), attendance)
    caregiver_services.raise_reminders(today)
    return len(ids)


# The demo's past for the trends page and month averages: 13 months of snapshots rebuilt from the
# stays and the bed register (dashboard.snapshots), every day of the last month and every 14th
# day before it, so `seed-demo --scale 10` stays under two minutes; `flask snapshots backfill`
# fills the days in between when every day is wanted.
HISTORY_MONTHS = 13
DAILY_DAYS = 31
SAMPLE_EVERY = 14


def history_days(today: date) -> list[date]:
    """The days seed-demo records: the last DAILY_DAYS days, then every SAMPLE_EVERY-th day back to
    the first day of the month HISTORY_MONTHS months ago (oldest first; today is left to the job)."""
    first = date(today.year, today.month, 1)
    for _ in range(HISTORY_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
    recent = [today - timedelta(days=n) for n in range(1, DAILY_DAYS + 1)]
    sampled, day = [first], recent[-1] - timedelta(days=SAMPLE_EVERY)
    while day > first:
        sampled.append(day)
        day -= timedelta(days=SAMPLE_EVERY)
    return sorted(recent + sampled)


def snapshot_history(today: date, progress=None) -> int:
    """Record the snapshots of history_days(today); returns how many rows were added."""
    from eldercare.dashboard import snapshots

    days = history_days(today)
    return sum(snapshots.record(day) for day in (progress(days) if progress else days))
