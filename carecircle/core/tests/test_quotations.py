"""Quoted Chinese text is marked as such; sentences written once are kept in every language."""

from django.template import Context, Template
from django.utils import translation

from carecircle.core.languages import for_reader, in_every_language
from carecircle.core.testing import visible_text
from carecircle.core.views_calendar import festival_words


def test_written_lang_marks_only_text_with_chinese_characters():
    template = Template("{% load quotations %}<small{{ a|written_lang }}>{{ a }}</small><small{{ b|written_lang }}>{{ b }}</small>")
    html = template.render(Context({"a": "国务院办公厅通知", "b": "access matrix"}))
    assert html == '<small lang="zh-Hans">国务院办公厅通知</small><small>access matrix</small>'
    assert Template("{% load quotations %}[{{ c|written_lang }}]").render(Context({"c": None})) == "[]"


def test_visible_text_leaves_out_text_marked_as_another_language_and_only_that():
    html = ('<p>Source: <cite lang="zh-Hans">国办发<b>明电</b></cite> (2024)<br><img alt="map"></p>'
            '<ul><li lang="zh">答<li>next</ul><div lang="en">English</div>')
    assert visible_text(html, without_lang="zh").split("\n") == ["Source:", "(2024)", "map", "next", "English"]
    assert "国办发" in visible_text(html) and "明电" in visible_text(html)


def test_a_sentence_is_written_in_every_language_and_read_in_the_readers():
    texts = in_every_language(lambda: translation.gettext("元旦"))
    assert texts == {"zh-hans": "元旦", "en": "New Year's Day"}
    with translation.override("en"):
        assert for_reader(texts) == "New Year's Day"
    with translation.override("zh-hans"):
        assert for_reader(texts) == "元旦"
    with translation.override("en-gb"):
        assert for_reader(texts) == "New Year's Day"
    with translation.override("fr"):
        assert for_reader(texts, "stored") == "stored"
        assert for_reader(texts) == "元旦"
    assert for_reader({}, "stored") == "stored" and for_reader(None, "stored") == "stored"


def test_festivals_read_as_words_and_other_names_as_entered():
    with translation.override("en"):
        assert festival_words("国庆节、中秋节") == "National Day, Mid-Autumn Festival"
        assert festival_words("春节") == "Spring Festival"
        assert festival_words("区庆日") == "区庆日"
    with translation.override("zh-hans"):
        assert festival_words("国庆节、中秋节") == "国庆节、中秋节"
