#!/usr/bin/env python3
"""Generate the demo data set for `timx serve --data` and `timx demo` (deterministic).

    python3 make_demo.py   # writes demo.json and accounts.txt beside this script
"""
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

data = {"attr_names": ATTR_NAMES, "attr_types": ATTR_TYPES, "users": users}
(here / "demo.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

# A paste-ready list: known users, a duplicate, unknown accounts and an invalid one.
sample = [u["id"] for u in users[:40]] + ["alice", "ghost-user", "not_imported_42", "x" * 40]
(here / "accounts.txt").write_text("\n".join(sample) + "\n", encoding="utf-8")
print(f"{len(users)} users written")
