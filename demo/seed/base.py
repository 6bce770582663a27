"""What the parts of the demo share: the moment the seed runs, how diligent each city's department is, and the
people's names."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟"
    "姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏飞宇浩然欣怡佳琪晨阳雪梅志国海燕斌波鑫颖琳婷倩"
)


class SeedClock:
    """The moment a seed runs, taken once so that every row of it agrees, and its timestamps as the bulk writers
    want them."""

    def __init__(self, today: datetime.date | None = None) -> None:
        """Now, or with `today` (a fixed day, for repeatable benchmarks) 18:00 of that day in the site's zone."""
        self.postgres = connection.vendor == "postgresql"
        if today is None:
            self.moment = timezone.now()
        else:
            zone = timezone.get_current_timezone()
            self.moment = datetime.datetime.combine(today, datetime.time(18), tzinfo=zone)
        self.now = self.stamp(self.moment)
        self.today = timezone.localdate(self.moment)

    def stamp(self, moment: datetime.datetime) -> str:
        """A timestamp as written by the database's own adapter: with its offset for PostgreSQL, naive UTC for
        SQLite (which compares them as text)."""
        if self.postgres:
            return moment.isoformat()
        return str(timezone.make_naive(moment, datetime.UTC))


@dataclass(frozen=True)
class CityProfile:
    """How well a city's department keeps its customers, which sets its KPIs near the targets of SPEC §7, some
    cities above and some below: the share of its active customers' handsets that are group members on our network
    (coverage, target 27 %), the share of complete profiles in tiers A+/A/B (target 95 %) and C (80 %), the share
    of current group members verified (target 100 %), and the share of tiered customers whose visit standard each
    closed period meets (target 100 %)."""

    coverage: float
    profile_ab: float
    profile_c: float
    verified: float
    visits_met: float

    @classmethod
    def draw(cls, rng: random.Random) -> CityProfile:
        return cls(
            coverage=0.19 + 0.16 * rng.random(),
            profile_ab=0.89 + 0.10 * rng.random(),
            profile_c=0.70 + 0.20 * rng.random(),
            verified=0.86 + 0.12 * rng.random(),
            visits_met=0.80 + 0.18 * rng.random(),
        )


def city_profiles(cities: list[str], seed: int) -> dict[str, CityProfile]:
    """Each city's profile, from a generator of their own (so they leave everything else as it was)."""
    rng = random.Random(seed + 5)
    return {code: CityProfile.draw(rng) for code in cities}


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
