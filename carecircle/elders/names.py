"""Pinyin forms of a Chinese name, so staff can search 张三明 by "zsm" or "zhangsanming"."""
from pypinyin import Style, lazy_pinyin


def pinyin_forms(name: str) -> tuple[str, str]:
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="ignore")
    full = "".join(syllables).lower()
    initials = "".join(s[0] for s in syllables if s).lower()
    return full[:200], initials[:20]
