"""Synthetic people for the demo district: names, phone numbers, addresses, ID and credit-code numbers.

Pure functions of a `random.Random`, so a seed always yields the same people. Nothing here is a real
person: names are drawn from common surnames and generation-typical given names, numbers are made to
pass their checksums and nothing more.
"""
from __future__ import annotations

import datetime as dt
import random
from itertools import accumulate

from carecircle.elders.identity import make_id_number

# Common surnames with rough weights for Shanghai (local surnames such as 沈、陆、顾 are more frequent
# than nationally).
SURNAMES = (
    ("张", 60), ("王", 60), ("陈", 65), ("李", 45), ("徐", 45), ("朱", 40), ("沈", 35), ("陆", 30), ("顾", 28),
    ("周", 35), ("吴", 35), ("刘", 30), ("黄", 25), ("杨", 25), ("钱", 18), ("孙", 18), ("胡", 18), ("蒋", 15),
    ("金", 15), ("姚", 14), ("施", 14), ("曹", 13), ("潘", 12), ("汪", 12), ("郁", 6), ("赵", 12), ("倪", 8),
    ("唐", 10), ("许", 10), ("高", 10), ("马", 9), ("俞", 8), ("严", 8), ("丁", 8), ("范", 8), ("戴", 7),
    ("邵", 7), ("宋", 7), ("袁", 7), ("冯", 6), ("叶", 8), ("盛", 5), ("郑", 8), ("谢", 7), ("任", 5),
    ("秦", 5), ("石", 5), ("孔", 4), ("薛", 5), ("毛", 5), ("龚", 5), ("卢", 5), ("葛", 5), ("奚", 3),
    ("瞿", 3), ("费", 3), ("汤", 5), ("方", 6), ("邱", 4), ("夏", 5), ("程", 5), ("韩", 5), ("董", 5),
)
_SURNAME_LIST = [s for s, _w in SURNAMES]
_SURNAME_CUMULATIVE = list(accumulate(w for _s, w in SURNAMES))

# Given names typical of people born 1920s–1960s (the elders) and 1960s–2000 (staff, children).
ELDER_GIVEN = {
    "M": ("建国", "国强", "志明", "国庆", "建华", "德明", "宝华", "根宝", "富根", "明德", "永康", "伟民", "振华",
          "卫东", "福林", "金龙", "志刚", "荣发", "海生", "文斌", "兆祥", "德兴", "正平", "长生", "金宝", "庆丰",
          "雪生", "国良", "家豪", "耀华", "树林", "阿根", "龙根", "才根", "品章", "祥林", "顺发", "惠民", "明",
          "华", "强", "平", "勇", "刚", "英", "军", "林", "斌"),
    "F": ("秀英", "桂英", "玉兰", "秀兰", "凤英", "美华", "丽华", "淑珍", "桂芳", "金娣", "彩娣", "佩芳", "惠珍",
          "美娟", "月英", "素珍", "杏芳", "雪娟", "凤仙", "菊英", "翠英", "丽娟", "玉珍", "静芬", "巧英", "宝珍",
          "小妹", "爱华", "琴芳", "根娣", "招娣", "蓓蕾", "亚萍", "慧敏", "芳", "英", "珍", "兰", "萍", "红",
          "敏", "静", "娟", "霞"),
}
YOUNGER_GIVEN = {
    "M": ("伟", "磊", "强", "军", "杰", "涛", "斌", "超", "刚", "鹏", "浩", "宇", "建军", "海涛", "志强", "俊杰",
          "晓东", "立新", "文华", "永明", "海波", "卫平", "晓峰", "建平", "明辉"),
    "F": ("丽", "敏", "静", "燕", "艳", "娟", "霞", "芳", "婷", "玲", "红梅", "春燕", "晓红", "丽萍", "海燕",
          "雪梅", "桂香", "晓燕", "丽君", "美玲", "秀芳", "慧", "琳", "洁", "颖"),
}

# Where Shanghai's care workers and non-local residents were born (ID area codes of real prefectures).
OTHER_AREA_CODES = ("340104", "340321", "320382", "321323", "410102", "411521", "510104", "360102", "330104",
                    "370102", "430104", "420102", "342401", "320583")

MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                   "155", "156", "158", "159", "177", "180", "181", "186", "187", "188", "189", "199")


def surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_LIST, cum_weights=_SURNAME_CUMULATIVE, k=1)[0]


def elder_name(rng: random.Random, gender: str, family_name: str | None = None) -> str:
    return (family_name or surname(rng)) + rng.choice(ELDER_GIVEN[gender])


def younger_name(rng: random.Random, gender: str, family_name: str | None = None) -> str:
    return (family_name or surname(rng)) + rng.choice(YOUNGER_GIVEN[gender])


def mobile_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"


def landline_number(rng: random.Random) -> str:
    # Shanghai landlines are 021 + 8 digits; Xuhui's exchanges mostly start with 5 or 6.
    return "021" + rng.choice("56") + f"{rng.randrange(10 ** 7):07d}"


def home_address(rng: random.Random, roads: tuple[str, ...]) -> str:
    road = rng.choice(roads)
    if rng.random() < 0.8:
        return f"{road}{rng.randint(1, 999)}弄{rng.randint(1, 60)}号{rng.randint(1, 7)}{rng.randint(1, 4):02d}室"
    return f"{road}{rng.randint(1, 1500)}号{rng.randint(1, 18)}{rng.randint(1, 8):02d}室"


def street_address(rng: random.Random, roads: tuple[str, ...]) -> str:
    return f"{rng.choice(roads)}{rng.randint(1, 1500)}号"


def birth_date_for_age(rng: random.Random, age: int, on: dt.date) -> dt.date:
    """A birth date on which the person is exactly `age` years old on `on`."""
    latest = _years_before(on, age)
    earliest = _years_before(on, age + 1) + dt.timedelta(days=1)
    return earliest + dt.timedelta(days=rng.randrange((latest - earliest).days + 1))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


class IdNumberAllocator:
    """Hands out distinct, valid 18-digit ID numbers: the 3-digit sequence runs per area and birth date."""

    def __init__(self):
        self._next: dict[tuple[str, dt.date, str], int] = {}

    def allocate(self, area_code: str, birth: dt.date, gender: str) -> str:
        key = (area_code, birth, gender)
        # Real sequences start at the registering police station's block, not at 001; spread the start
        # over 001–601 by the birth date, leaving room for about 200 people per area, date and sex.
        start = 2 * (birth.toordinal() * 37 % 300) + (1 if gender == "M" else 2)
        sequence = self._next.get(key, start)
        if sequence > 999:
            raise ValueError(f"no sequence numbers left for {area_code} {birth} {gender}")
        self._next[key] = sequence + 2
        return make_id_number(area_code, birth, sequence, gender)


# Unified social credit code (GB 32100-2015): 18 characters from this alphabet, the last a checksum.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(prefix: str, area_code: str, serial: int) -> str:
    """`prefix` is the registering authority and type: "91" a company, "52" a private non-profit unit."""
    body = f"{prefix}{area_code}MA1G{serial:05d}"
    total = sum(CREDIT_ALPHABET.index(ch) * weight for ch, weight in zip(body, CREDIT_WEIGHTS))
    return body + CREDIT_ALPHABET[(31 - total % 31) % 31]
