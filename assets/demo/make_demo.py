#!/usr/bin/env python3
"""Generate the demo data set for `timx serve --data` and `timx demo` (deterministic).

    python3 make_demo.py   # writes demo.json and accounts.txt beside this script
"""
import hashlib
import json
import random
from pathlib import Path

rng = random.Random(20261123)
here = Path(__file__).parent

ATTR_NAMES = {
    "0": "sex", "1": "city", "2": "会员等级", "3": "lang", "4": "platform",
    "5": "plan", "6": "signup_year", "8": "push_device",
}
# Slot 8 holds RegistrationID attributes (timpush AttrTypes); the rest are for UserIDs.
ATTR_TYPES = {"8": 1}
VALUES = {
    "sex": ["女", "男", "F", "M", "other"],
    "city": ["深圳", "北京", "上海", "New York", "Singapore", "Frankfurt", "Seoul", "Jakarta", "東京", "São Paulo"],
    "会员等级": ["普通", "白银", "黄金", "铂金", "钻石"],
    "lang": ["zh-CN", "en", "ko", "ja", "id", "de", "pt-BR"],
    "platform": ["iOS", "Android", "Web", "Windows", "macOS", "HarmonyOS"],
    "plan": ["free", "trial", "monthly", "yearly", "enterprise"],
    "signup_year": [str(y) for y in range(2018, 2027)],
}
TAGS = ["GoldMember", "WeekPassUser", "MonthPassUser", "PlatinumMember", "beta", "vip", "churn-risk",
        "新用户", "活跃", "沉默用户", "深圳活动", "双11", "kol", "support-escalated", "newsletter", "dark-mode"]
LATIN = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
         "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "xiaojun", "yuki", "zoe"]
CHINESE = ["张小红", "陈小明", "李雷", "韩梅梅", "王芳", "刘洋", "赵敏", "孙悟空", "周杰", "吴晓", "郑爽", "黄蓉"]

users, seen = [], set()
def add(uid, kind="user_id"):
    if uid in seen or len(uid.encode()) > 32:
        return None
    seen.add(uid)
    u = {"id": uid}
    if kind != "user_id":
        u["kind"] = kind
    users.append(u)
    return u

for n in LATIN + CHINESE:
    add(n)
i = 0
while len(users) < 360:
    i += 1
    style = rng.random()
    if style < 0.45:
        add(f"user_{rng.randrange(10**5, 10**6)}")
    elif style < 0.65:
        add(f"{rng.choice(LATIN)}.{rng.choice(['ops', 'dev', 'qa', 'cn', 'sg'])}{rng.randrange(1, 99)}")
    elif style < 0.85:
        add(f"{rng.choice(CHINESE)}{rng.randrange(1, 999)}")
    else:
        add(f"guest-{rng.randrange(16**6):06x}")
for _ in range(30):
    add(f"reg-{rng.randrange(16**12):012x}", "registration_id")

for u in users:
    if u.get("kind") == "registration_id":
        if rng.random() < 0.8:
            u["attrs"] = {"push_device": rng.choice(["apns", "fcm", "huawei", "xiaomi", "oppo", "vivo"])}
        continue
    r = rng.random()
    if r < 0.15:
        continue  # exists, no attributes, no tags
    attrs = {}
    for name in [n for k, n in ATTR_NAMES.items() if k not in ATTR_TYPES]:
        if rng.random() < 0.7:
            attrs[name] = rng.choice(VALUES[name])
    if attrs:
        u["attrs"] = attrs
    if rng.random() < 0.75:
        u["tags"] = rng.sample(TAGS, rng.randrange(1, 6))


# --- Push tasks and scheduled tasks (timx trace, push-stats, scheduled) ---------------------
# Who each task reached is decided here, with this script's own reading of the condition rules
# (push-conditions.md A.3), so a mistake in timx's judge cannot hide by being made on both sides.
prng = random.Random(20261202)

def matches(user, cond):
    """A.3: TagsAnd every tag, TagsOr at least one, AttrsAnd every value, AttrsOr at least one;
    lists present together must all hold; a user without a value does not match."""
    tags, attrs = set(user.get("tags", [])), user.get("attrs", {})
    checks = []
    if "TagsAnd" in cond:
        checks.append(all(t in tags for t in cond["TagsAnd"]))
    if "TagsOr" in cond:
        checks.append(any(t in tags for t in cond["TagsOr"]))
    if "AttrsAnd" in cond:
        checks.append(all(attrs.get(k) == v for k, v in cond["AttrsAnd"].items()))
    if "AttrsOr" in cond:
        checks.append(any(attrs.get(k) == v for k, v in cond["AttrsOr"].items()))
    return all(checks)

OK = [1, 0, "success"]
# Undocumented values, shown raw by timx: PushPlatform numbers, failing PushStatus 2.
SYSTEMS = [("Android", "Pixel 8", 7), ("APNS", "iPhone15,2", 2), ("Android", "Mi 14", 3), ("Android", "HUAWEI P60", 4)]

def device(uid, n, system, model, platform, **kw):
    d = {"instance": str(70000000 + len(uid) * 1000 + n * 7 + sum(map(ord, uid)) % 997),
         "system": system, "model": model, "platform": platform,
         "token": "tok-" + hashlib.sha256(f"{uid}/{n}".encode()).hexdigest()[:12] if kw.get("token", True) else "",
         "cert": "0" if kw.get("no_cert") else str(1100 + platform), "notification": kw.get("notification", 1),
         "last_active": kw.get("last_active", 1)}
    return d

# Per user: devices, and what goes wrong on them (the failures support staff see).
FAILS = {
    "bob": "no_token", "dave": "unregistered", "frank": "no_cert", "heidi": "regid_invalid",
    "carol": "notification_off", "erin": "old_phone", "ivan": "no_device", "mallory": "no_device",
}
def devices_of(u):
    uid = u["id"]
    fail = FAILS.get(uid)
    if fail is None and uid not in LATIN + CHINESE:
        r = prng.random()
        fail = ("no_device" if r < 0.10 else "no_token" if r < 0.18 else "unregistered" if r < 0.23
                else "no_cert" if r < 0.26 else "notification_off" if r < 0.31 else None)
    if fail == "no_device":
        return [], fail
    system, model, platform = SYSTEMS[sum(map(ord, uid)) % len(SYSTEMS)]
    if fail == "no_cert":
        system, model, platform = SYSTEMS[1]
    main = device(uid, 0, system, model, platform, token=fail != "no_token", no_cert=fail == "no_cert",
                  notification=0 if fail == "notification_off" else 1)
    if fail == "old_phone":
        old = device(uid, 1, "Android", "Mi 9", 3, last_active=0)
        return [main, old], fail
    return [main], fail

def stages(fail, last_active, clicks):
    if fail == "no_token":
        return [OK, [2, -2, "token not uploaded"]]
    if fail == "no_cert":
        return [OK, [2, -1, "Certificate id not set"]]
    if fail == "unregistered" or (fail == "old_phone" and not last_active):
        return [OK, OK, [2, 410, "Unregistered"]]
    if fail == "regid_invalid":
        return [OK, OK, [2, 1, "regid_invalid"]]
    if fail == "notification_off":
        return [OK, OK, OK, OK]
    return [OK, OK, OK, OK, OK] if clicks else [OK, OK, OK, OK]

people = [u for u in users if u.get("kind") != "registration_id"]
fleet = {u["id"]: devices_of(u) for u in people}
fleet["alice"] = ([device("alice", 0, "Android", "Pixel 8", 7)], None)

def task_id(n):
    return f"{0x660cc447 + n:08x}_537ed82a_200000cd7ee17f5_{84035729 + n}_bc614e"

def deliveries(reached, click_rate, clicked=()):
    out = {}
    for u in reached:
        devs, fail = fleet[u["id"]]
        if not devs:
            continue
        click = u["id"] in clicked or (u["id"] not in FAILS and prng.random() < click_rate)
        out[u["id"]] = [dict(d, stages=stages(fail, d["last_active"], click)) for d in devs]
    return out

TAG_COND = {"TagsOr": ["vip", "GoldMember"]}
ATTR_COND = {"AttrsOr": {"city": "Singapore", "plan": "enterprise"}}
push_tasks = [
    {"id": task_id(1), "sent_ago_s": 20 * 3600, "target": "All", "title": "Weekend sale starts now",
     "deliveries": deliveries(people, 0.35, clicked={"alice"})},
    {"id": task_id(2), "sent_ago_s": 30 * 3600, "target": "Tag", "condition": TAG_COND,
     "title": "Members: double points", "deliveries": deliveries([u for u in people if matches(u, TAG_COND)], 0.5)},
    {"id": task_id(3), "sent_ago_s": 3 * 86400, "target": "Attr", "condition": ATTR_COND,
     "title": "Singapore meet-up", "deliveries": deliveries([u for u in people if matches(u, ATTR_COND)], 0.3)},
    # Older than the 7 days a trace is kept: statistics still have it (30 days), traces do not.
    {"id": task_id(4), "sent_ago_s": 9 * 86400, "target": "All", "title": "Release notes",
     "deliveries": deliveries(people[:60], 0.2)},
]

def content(cond=None, to=None, title=""):
    c = {"From_Account": "administrator", "MsgRandom": 7, "OfflinePushInfo": {"Title": title, "Desc": title}}
    if cond is not None:
        c["Condition"] = cond
    if to is not None:
        c["To_Account"] = to
    return c

sched_tasks = [
    {"id": 20260001, "kind": "Tag", "fires_in_s": 6 * 3600, "created_ago_s": 2 * 3600, "title": "Tonight: beta testers",
     "desc": "new build for beta testers", "content": content({"TagsAnd": ["beta"]}, title="Tonight: beta testers"),
     "status": "pending"},
    {"id": 20260002, "kind": "User", "fires_in_s": 26 * 3600, "created_ago_s": 3600, "title": "Support follow-up",
     "desc": "escalated tickets", "content": content(to=["bob", "dave", "erin"], title="Support follow-up"),
     "status": "pending"},
    {"id": 20260003, "kind": "All", "fires_in_s": 3 * 86400, "created_ago_s": 600, "title": "Maintenance window",
     "desc": "", "content": content(title="Maintenance window"), "status": "pending"},
    # Fired: the push it became is the tag task above (its status after firing is not documented).
    {"id": 20250999, "kind": "Tag", "fires_in_s": -30 * 3600, "created_ago_s": 2 * 86400, "title": "Members: double points",
     "desc": "", "content": content(TAG_COND, title="Members: double points"), "status": "dispatched",
     "push_task_id": task_id(2)},
]

data = {"attr_names": ATTR_NAMES, "attr_types": ATTR_TYPES, "users": users}
text = json.dumps(data, ensure_ascii=False, indent=1)
assert text.endswith("\n}")

def task_text(t):
    head = {k: v for k, v in t.items() if k != "deliveries"}
    rows = [f"   {json.dumps(a, ensure_ascii=False)}: {json.dumps(d, ensure_ascii=False, separators=(',', ':'))}"
            for a, d in t["deliveries"].items()]
    return "  " + json.dumps(head, ensure_ascii=False)[:-1] + ', "deliveries": {\n' + ",\n".join(rows) + "\n  }}"

text = (text[:-2] + ',\n "push_tasks": [\n' + ",\n".join(task_text(t) for t in push_tasks) + "\n ],\n"
        + ' "sched_tasks": [\n' + ",\n".join("  " + json.dumps(t, ensure_ascii=False) for t in sched_tasks) + "\n ]\n}")
(here / "demo.json").write_text(text + "\n", encoding="utf-8")

# A paste-ready list: known users, a duplicate, unknown accounts and an invalid one.
sample = [u["id"] for u in users[:40]] + ["alice", "ghost-user", "not_imported_42", "x" * 40]
(here / "accounts.txt").write_text("\n".join(sample) + "\n", encoding="utf-8")
print(f"{len(users)} users, {len(push_tasks)} push tasks, {len(sched_tasks)} scheduled tasks written")
