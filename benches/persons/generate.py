"""Synthetic person-linkage task in the shape of this project's data: a roll of N people and
a registry of N records (e.g. a death or pension registry), half of which are the roll's
people as another department wrote them down. Writes left.csv, right.csv and truth.csv.

Usage: generate.py N OUT_DIR [SEED]

What the registry copies get wrong, per true match (shares of copies):
  ID:          55% as on the roll, 15% missing, 8% one digit wrong, 5% two digits swapped,
               5% the old 15-digit form (people born 19YY; others keep theirs as it is),
               7% spaced and lower-case x, 5% full-width digits
  name:        75% same, 10% traditional characters, 8% one given-name character a
               homophone, 4% a space or dot inside, 3% missing
  birth date:  85% same, 5% missing, 5% one of year/month/day off, 3% day and month
               swapped (where both are <= 12), 2% another date
  sex:         98% same, 2% missing
  county:      90% same, 10% another county (moved)
Registry records that are not roll people: 90% new people; 10% namesakes of a roll person
(same name, birth date and county, another ID), the hard case for precision.
Dates are ISO in both tables, so both tools see the same text.
"""
import csv
import random
import sys
from pathlib import Path

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND = ["欧阳", "司马", "上官", "诸葛"]
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉玉珍红梅林萍鹏飞宇浩凯秀云莲凤玲燕波斌"
    "宁海峰琳丹亮成志新春俊荣彬晨斌东雪婷龙庆福贵生祥金宝德永嘉佳慧颖倩琴晶"
)
TRADITIONAL = dict(
    zip(
        "陈刘张杨黄赵吴孙马郑罗谢韩邓冯许苏吕卢钟谭陆贾龙华国伟丽军艳杰涛红兰凤庆荣宝东云鹏飞辉强凯莲玲燕"
        "波斌宁峰丹亮贵祥颖倩琴晶",
        "陳劉張楊黃趙吳孫馬鄭羅謝韓鄧馮許蘇呂盧鍾譚陸賈龍華國偉麗軍艷傑濤紅蘭鳳慶榮寶東雲鵬飛輝強凱蓮玲燕"
        "波斌寧峰丹亮貴祥穎倩琴晶",
    )
)
HOMOPHONES = dict(
    pair
    for a, b in ["丽莉", "华花", "明铭", "军君", "英瑛", "娟鹃", "玲琳", "峰锋", "静晶", "芳方", "伟玮", "杰洁",
                 "红虹", "平萍", "成诚", "辉晖", "宇雨", "涛滔", "燕艳", "云芸"]
    for pair in ((a, b), (b, a))
)
COUNTIES = [f"41{city:02d}{county:02d}" for city in range(1, 18) for county in range(2, 11)]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def check_digit(first17):
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


class People:
    def __init__(self, rng):
        self.rng = rng
        self.used_ids = set()

    def name(self):
        rng = self.rng
        surname = rng.choice(COMPOUND) if rng.random() < 0.01 else rng.choice(SURNAMES)
        given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
        return surname + given

    def person(self, name=None, birth=None, county=None):
        rng = self.rng
        county = county or rng.choice(COUNTIES)
        birth = birth or f"{rng.randint(1935, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        male = rng.random() < 0.5
        while True:
            sequence = rng.randrange(0, 1000, 2) + (1 if male else 0)
            first17 = f"{county}{birth.replace('-', '')}{sequence:03d}"
            if first17 not in self.used_ids:
                self.used_ids.add(first17)
                break
        return {
            "name": name or self.name(),
            "id_number": first17 + check_digit(first17),
            "birth_date": birth,
            "sex": "男" if male else "女",
            "county": county,
        }


def pick(rng, shares):
    """One key of `shares` (key -> weight), drawn by weight."""
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def damage_id(rng, id_number):
    how = pick(rng, {"same": 55, "missing": 15, "digit": 8, "swap": 5, "old": 5, "spaced": 7, "wide": 5})
    if how == "missing":
        return ""
    if how == "digit":
        i = rng.randrange(17)
        return id_number[:i] + str((int(id_number[i]) + rng.randint(1, 9)) % 10) + id_number[i + 1:]
    if how == "swap":
        i = rng.randrange(6, 16)
        return id_number[:i] + id_number[i + 1] + id_number[i] + id_number[i + 2:]
    if how == "old" and id_number[6:8] == "19":
        # The 15-digit form was issued until 1999 and had no century: only people born
        # 19YY hold one.
        return id_number[:6] + id_number[8:17]
    if how == "spaced":
        return f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}".lower()
    if how == "wide":
        return id_number.translate(FULL_WIDTH)
    return id_number


def damage_name(rng, name):
    how = pick(rng, {"same": 75, "traditional": 10, "homophone": 8, "inside": 4, "missing": 3})
    if how == "traditional":
        return "".join(TRADITIONAL.get(c, c) for c in name)
    if how == "homophone":
        given = [i for i in range(1, len(name)) if name[i] in HOMOPHONES]
        if given:
            i = rng.choice(given)
            return name[:i] + HOMOPHONES[name[i]] + name[i + 1:]
    if how == "inside":
        return name[0] + rng.choice([" ", "·"]) + name[1:]
    if how == "missing":
        return ""
    return name


def damage_date(rng, date):
    year, month, day = date.split("-")
    how = pick(rng, {"same": 85, "missing": 5, "field": 5, "swapped": 3, "other": 2})
    if how == "missing":
        return ""
    if how == "field":
        field = rng.randrange(3)
        if field == 0:
            year = str(int(year) + rng.choice([-10, -1, 1, 10]))
        elif field == 1:
            month = f"{(int(month) % 12) + 1:02d}"
        else:
            day = f"{(int(day) % 28) + 1:02d}"
    elif how == "swapped" and int(day) <= 12 and day != month:
        month, day = day, month
    elif how == "other":
        year, month, day = str(rng.randint(1935, 2010)), f"{rng.randint(1, 12):02d}", f"{rng.randint(1, 28):02d}"
    return f"{year}-{month}-{day}"


def registry_copy(rng, person):
    return {
        "name": damage_name(rng, person["name"]),
        "id_number": damage_id(rng, person["id_number"]),
        "birth_date": damage_date(rng, person["birth_date"]),
        "sex": person["sex"] if rng.random() < 0.98 else "",
        "county": person["county"] if rng.random() < 0.9 else rng.choice(COUNTIES),
    }


def main():
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    people = People(rng)
    out.mkdir(parents=True, exist_ok=True)
    left = [people.person() for _ in range(n)]
    copied = rng.sample(range(n), n // 2)
    right, truth = [], []
    for left_idx in copied:
        right.append(registry_copy(rng, left[left_idx]))
        truth.append(left_idx)
    for _ in range(n - len(copied)):
        if rng.random() < 0.1:
            twin = left[rng.randrange(n)]
            right.append(people.person(twin["name"], twin["birth_date"], twin["county"]))
        else:
            right.append(people.person())
        truth.append(None)
    order = list(range(n))
    rng.shuffle(order)
    columns = ["rec_id", "name", "id_number", "birth_date", "sex", "county"]
    with open(out / "left.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for i, person in enumerate(left):
            writer.writerow({"rec_id": f"L{i:07d}", **person})
    with open(out / "right.csv", "w", newline="", encoding="utf-8") as f, open(out / "truth.csv", "w") as t:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        t.write("left_id,right_id\n")
        for position, i in enumerate(order):
            writer.writerow({"rec_id": f"R{position:07d}", **right[i]})
            if truth[i] is not None:
                t.write(f"L{truth[i]:07d},R{position:07d}\n")
    print(f"{n} x {n} records, {len(copied)} true links -> {out}")


if __name__ == "__main__":
    main()
