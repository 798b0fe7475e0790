"""Province-size local registries for benches/local_rules.sh, from a synthetic roll.

Writes into DIR (beside the roll):
  death_big.csv            ROWS death records (contract columns): a share of roll members,
                           the rest other people with valid IDs; read once as the built-in
                           `death` registry and once as a local registry of the same rows
  social_insurance.csv     contributions (姓名, 身份证号, 出生日期, 单位名称, 缴费基数, 参保日期, 终止日期)
  hukou.csv                registered households (户号, 与户主关系, person)
  supported_personnel.csv  financially supported personnel (人员编号, 工作单位, 人员类别, 月工资)
  students.csv             the school register (学籍号, 学校名称, 预计毕业日期): young roll members
                           and others
  vehicle_purchase.csv     vehicle purchase tax records (号牌号码, 车辆类型, 购置价格, 购置日期, 注销日期)

The headers are those of the worked examples in pipelines/examples, whose registries and
rules the benchmark runs as they are.

Standard library only; seeded, so every run writes the same files.

usage: python3 local_registries.py DIR [--rows 5000000] [--seed 1]
"""

import argparse
import csv
import datetime
import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the clone
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "persons"))
from generate import check_digit  # noqa: E402  (the ID check character, shared with persons/)

# Other counties of the province than the roll's (411526), so no one here shares a roll member's ID.
COUNTIES = ["411502", "411521", "411522", "411523", "411524", "411525", "411527", "411528"]


def valid_id(region, birth, seq):
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


def read_roll(path):
    members = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            cid = row["id_number"].strip()
            if len(cid) == 18 and cid[:17].isdigit():
                try:
                    birth = datetime.date(int(cid[6:10]), int(cid[10:12]), int(cid[12:14]))
                except ValueError:
                    continue
                members.append((row["household_id"], row["name"], cid, birth))
    return members


class People:
    """Other people of the province: valid IDs, names drawn from the roll's."""

    def __init__(self, rng, names):
        self.rng = rng
        self.names = names
        self.seq = 0

    def person(self):
        self.seq += 1
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=self.rng.randrange(0, 365 * 65))
        region = self.rng.choice(COUNTIES)
        # The sequence keeps IDs apart from the roll's (the synth roll uses 000–899).
        cid = valid_id(region, birth, 900 + self.seq % 100)
        return self.rng.choice(self.names), cid, birth


def day(rng, start, end):
    return start + datetime.timedelta(days=rng.randrange(0, (end - start).days))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    members = read_roll(os.path.join(args.dir, "roll.csv"))
    names = [m[1] for m in members]
    people = People(rng, names)
    start, as_of = datetime.date(2015, 1, 1), datetime.date(2025, 6, 30)

    def write(name, header, rows):
        with open(os.path.join(args.dir, name), "w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(header)
            out.writerows(rows)

    def some(share):
        return rng.sample(members, int(len(members) * share))

    # `share` of the roll's members, then other people up to `total` rows: (name, ID, birth).
    def mixed(share, total):
        rows = [(m[1], m[2], m[3]) for m in some(share)]
        return rows + [people.person() for _ in range(total - len(rows))]

    # A death register of ROWS rows: 1% roll members, the rest other people.
    def deaths():
        on_roll = some(0.01)
        for i in range(args.rows):
            if i < len(on_roll):
                _, name, cid, birth = on_roll[i]
            else:
                name, cid, birth = people.person()
            yield (f"DB-{i:08d}", name, cid, f"{birth:%Y-%m-%d}", f"{day(rng, start, as_of):%Y-%m-%d}", "police")

    write("death_big.csv", ["record_id", "name", "id_number", "birth_date", "death_date", "source"], deaths())

    def contributions():
        for i, (name, cid, birth) in enumerate(mixed(0.05, 1_000_000)):
            begin = day(rng, start, datetime.date(2026, 1, 1))
            end = f"{day(rng, begin, datetime.date(2027, 1, 1)):%Y-%m-%d}" if rng.random() < 0.4 else ""
            base = rng.choice([2500, 3000, 3200, 3600, 4200, 5000])
            yield (f"S-{i:07d}", name, cid, f"{birth:%Y-%m-%d}", f"单位{i % 5000}", base, f"{begin:%Y-%m-%d}", end)

    write("social_insurance.csv", ["记录编号", "姓名", "身份证号", "出生日期", "单位名称", "缴费基数", "参保日期", "终止日期"], contributions())

    def hukou():
        by_household = {}
        for m in members:
            by_household.setdefault(m[0], []).append(m)
        i = 0
        for n, (household, people_of) in enumerate(by_household.items()):
            number = f"HK{n:08d}"
            for k, (_, name, cid, birth) in enumerate(people_of):
                i += 1
                yield (f"K-{i:08d}", number, "户主" if k == 0 else "家庭成员", name, cid, f"{birth:%Y-%m-%d}")
            if rng.random() < 0.05:  # someone registered who is not on the roll
                name, cid, birth = people.person()
                i += 1
                yield (f"K-{i:08d}", number, "子女", name, cid, f"{birth:%Y-%m-%d}")

    write("hukou.csv", ["记录编号", "户号", "与户主关系", "姓名", "身份证号", "出生日期"], hukou())

    def personnel():
        for i, (name, cid, birth) in enumerate(mixed(0.005, 200_000)):
            category = rng.choice(["在职", "在职", "退休", "离职", "辞退", "已故"])
            pay = rng.choice(["", "3800", "4600", "5200"]) if category in ("在职", "退休") else ""
            yield (f"G-{i:07d}", name, cid, f"单位{i % 800}", category, pay)

    write("supported_personnel.csv", ["人员编号", "姓名", "身份证号", "工作单位", "人员类别", "月工资"], personnel())

    # The school register: half the roll's members aged 15 to 24, and other young people.
    def students():
        young = [m for m in members if 15 <= (as_of - m[3]).days // 365 <= 24]
        rows = [(m[1], m[2]) for m in rng.sample(young, len(young) // 2)]
        rows += [people.person()[:2] for _ in range(max(0, 300_000 - len(rows)))]
        for i, (name, cid) in enumerate(rows):
            graduation = day(rng, datetime.date(2023, 1, 1), datetime.date(2029, 1, 1))
            yield (f"XJ-{i:07d}", name, cid, f"学校{i % 300}", f"{graduation:%Y-%m-%d}")

    write("students.csv", ["学籍号", "姓名", "身份证号", "学校名称", "预计毕业日期"], students())

    def purchases():
        for i, (name, cid, birth) in enumerate(mixed(0.02, 500_000)):
            bought = day(rng, start, datetime.date(2026, 1, 1))
            gone = f"{day(rng, bought, datetime.date(2027, 1, 1)):%Y-%m-%d}" if rng.random() < 0.2 else ""
            price = rng.choice([28000, 45000, 48000, 52000, 66000, 120000])
            yield (f"VP-{i:07d}", name, cid, f"{birth:%Y-%m-%d}", f"豫S{i:05d}", "小型汽车", price, f"{bought:%Y-%m-%d}", gone)

    write("vehicle_purchase.csv", ["记录编号", "姓名", "身份证号", "出生日期", "号牌号码", "车辆类型", "购置价格", "购置日期", "注销日期"], purchases())


if __name__ == "__main__":
    main()
