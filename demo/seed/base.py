"""What the parts of the demo share: the moment the seed runs and the people's names."""

from __future__ import annotations

import datetime
import random

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

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.moment = timezone.now()
        self.now = self.stamp(self.moment)
        self.today = timezone.localdate(self.moment)

    def stamp(self, moment: datetime.datetime) -> str:
        """A timestamp as written by the database's own adapter: with its offset for PostgreSQL, naive UTC for
        SQLite (which compares them as text)."""
        if self.postgres:
            return moment.isoformat()
        return str(timezone.make_naive(moment, datetime.UTC))


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
