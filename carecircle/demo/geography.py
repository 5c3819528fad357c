"""The demo district's map: 上海市 → 徐汇区 → 13 streets/towns → about 300 communities.

Pure data and arithmetic, no database. The geography is fixed (it does not depend on the random seed),
so re-seeding the residents never moves a community and the region codes stay stable.

Each street is a rectangle of the district's bounding box placed roughly where the real street lies;
its communities are the cells of a regular grid inside it, shrunk a little so that no two boundaries
touch. Real boundaries are irregular; a grid is enough to exercise scoping, coverage and routing.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CITY = ("310000", "上海市")
DISTRICT = ("310104", "徐汇区")
# South, west, north, east of the demo district (WGS84).
DISTRICT_BOX = (31.14, 121.40, 31.23, 121.48)
# Share of a grid cell's width and height left empty on each side, so neighbouring boundaries never touch.
CELL_MARGIN = 0.04


@dataclass(frozen=True)
class StreetPlan:
    code: str
    name: str
    south: float
    west: float
    north: float
    east: float
    rows: int
    cols: int
    roads: tuple[str, ...]
    estate_stems: tuple[str, ...]


STREETS: tuple[StreetPlan, ...] = (
    StreetPlan("310104004", "湖南路街道", 31.205, 121.400, 31.230, 121.440, 4, 4,
               ("湖南路", "武康路", "复兴西路", "五原路", "永福路", "兴国路", "淮海中路", "高安路"),
               ("湖南", "武康", "复兴", "五原", "兴国", "永福", "高安", "乌鲁木齐")),
    StreetPlan("310104003", "天平路街道", 31.205, 121.440, 31.230, 121.480, 4, 5,
               ("天平路", "衡山路", "永嘉路", "建国西路", "嘉善路", "岳阳路", "肇嘉浜路", "康平路", "襄阳南路"),
               ("天平", "永嘉", "建国", "嘉善", "岳阳", "康平", "襄阳", "太原", "汾阳")),
    StreetPlan("310104011", "田林街道", 31.185, 121.400, 31.205, 121.425, 4, 6,
               ("田林路", "田林东路", "钦州路", "柳州路", "宜山路", "桂林路", "田东路"),
               ("田林", "钦州", "柳州", "宜山", "桂林", "田东", "田林十二村", "长春")),
    StreetPlan("310104014", "徐家汇街道", 31.185, 121.425, 31.205, 121.450, 5, 5,
               ("漕溪北路", "虹桥路", "宜山路", "南丹路", "天钥桥路", "裕德路", "文定路", "辛耕路"),
               ("徐家汇", "南丹", "汇站", "乐山", "虹二", "豫园", "裕德", "徐镇", "西木")),
    StreetPlan("310104007", "斜土路街道", 31.185, 121.450, 31.205, 121.465, 5, 4,
               ("斜土路", "宛平南路", "大木桥路", "中山南二路", "瑞宁路", "明园路", "小木桥路"),
               ("斜土", "宛南", "大木桥", "明园", "瑞宁", "江南", "嘉乐", "日晖")),
    StreetPlan("310104008", "枫林路街道", 31.185, 121.465, 31.205, 121.480, 6, 4,
               ("枫林路", "东安路", "零陵路", "医学院路", "平江路", "小木桥路", "龙华西路"),
               ("枫林", "东安", "零陵", "医学院", "平江", "双峰", "枫四", "东二")),
    StreetPlan("310104012", "虹梅路街道", 31.165, 121.400, 31.185, 121.420, 6, 3,
               ("虹梅路", "虹漕路", "古美路", "钦江路", "桂平路", "莲花路"),
               ("虹梅", "古美", "钦江", "桂平", "虹漕", "莲花")),
    StreetPlan("310104017", "漕河泾街道", 31.165, 121.420, 31.185, 121.440, 5, 4,
               ("漕宝路", "桂林路", "漕溪路", "田林路", "华东路", "冠生园路"),
               ("漕河泾", "冠生园", "华东", "漕宝", "桂林西", "蒲汇塘")),
    StreetPlan("310104015", "凌云路街道", 31.165, 121.440, 31.185, 121.460, 5, 6,
               ("凌云路", "梅陇路", "龙州路", "老沪闵路", "华理路", "国权路"),
               ("梅陇", "凌云", "龙州", "华理", "陇东", "沪闵", "高华", "梅陇十一村")),
    StreetPlan("310104016", "龙华街道", 31.165, 121.460, 31.185, 121.480, 5, 5,
               ("龙华路", "龙华西路", "龙水南路", "天钥桥南路", "丰谷路", "龙恒路"),
               ("龙华", "丰谷", "龙水", "天钥", "龙恒", "航天", "龙南", "华容")),
    StreetPlan("310104013", "康健新村街道", 31.140, 121.400, 31.165, 121.425, 5, 6,
               ("康健路", "桂林路", "钦州南路", "浦北路", "漕宝路", "田林路"),
               ("康健", "寿昌", "长虹", "长陆", "北港", "浦北", "康乐", "康宁")),
    StreetPlan("310104010", "长桥街道", 31.140, 121.425, 31.165, 121.450, 5, 6,
               ("龙吴路", "罗秀路", "百色路", "长桥路", "华石路", "罗城路", "龙川北路"),
               ("长桥", "罗秀", "百色", "华石", "罗城", "龙川", "华沁", "长桥七村")),
    StreetPlan("310104103", "华泾镇", 31.140, 121.450, 31.165, 121.480, 4, 5,
               ("华泾路", "龙吴路", "龙川北路", "华发路", "华东理工路", "景谷路", "盛华路"),
               ("华泾", "华发", "景谷", "盛华", "华滨", "北杨", "东湾", "华建")),
)

ESTATE_SUFFIXES = ("一村", "二村", "三村", "新村", "苑", "小区", "花园", "公寓", "四村", "五村", "北村", "南村")


@dataclass(frozen=True)
class CommunityPlan:
    code: str
    name: str
    street_code: str
    south: float
    west: float
    north: float
    east: float
    roads: tuple[str, ...]

    @property
    def centroid(self) -> tuple[Decimal, Decimal]:
        return (_six((self.south + self.north) / 2), _six((self.west + self.east) / 2))

    @property
    def boundary(self) -> dict:
        return box_polygon(self.south, self.west, self.north, self.east)


def _six(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def box_polygon(south: float, west: float, north: float, east: float) -> dict:
    """A GeoJSON Polygon (lng, lat order, closed ring, counter-clockwise)."""
    s, w, n, e = (round(v, 6) for v in (south, west, north, east))
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def street_centroid(street: StreetPlan) -> tuple[Decimal, Decimal]:
    return (_six((street.south + street.north) / 2), _six((street.west + street.east) / 2))


def street_boundary(street: StreetPlan) -> dict:
    return box_polygon(street.south, street.west, street.north, street.east)


def district_boundary() -> dict:
    return box_polygon(*DISTRICT_BOX)


def communities_of(street: StreetPlan) -> list[CommunityPlan]:
    """The street's grid cells, row by row from the north-west; names from estate stems and suffixes."""
    height = (street.north - street.south) / street.rows
    width = (street.east - street.west) / street.cols
    result = []
    names = _estate_names(street, street.rows * street.cols)
    for index in range(street.rows * street.cols):
        row, col = divmod(index, street.cols)
        north = street.north - row * height
        south = north - height
        west = street.west + col * width
        east = west + width
        roads = tuple(street.roads[(index + k) % len(street.roads)] for k in range(2))
        result.append(CommunityPlan(
            code=f"{street.code}{index + 1:03d}", name=names[index], street_code=street.code,
            south=south + height * CELL_MARGIN, west=west + width * CELL_MARGIN,
            north=north - height * CELL_MARGIN, east=east - width * CELL_MARGIN, roads=roads,
        ))
    return result


def _estate_names(street: StreetPlan, count: int) -> list[str]:
    names = []
    for index in range(count):
        stem = street.estate_stems[index % len(street.estate_stems)]
        suffix = ESTATE_SUFFIXES[index // len(street.estate_stems) % len(ESTATE_SUFFIXES)]
        # A stem that already names an estate ("梅陇三村") takes no further suffix on its first use.
        name = stem if stem.endswith("村") and index < len(street.estate_stems) else stem + suffix
        names.append(f"{name}居委会")
    return names


def all_communities() -> list[CommunityPlan]:
    return [community for street in STREETS for community in communities_of(street)]
