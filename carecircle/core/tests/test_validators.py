"""The shared input limits (core/validators.py): hidden characters in names, lists of short texts."""
import pytest
from django.core.exceptions import ValidationError

from carecircle.core.validators import (
    TEXT_LIST_ITEM_MAX_LENGTH,
    TEXT_LIST_MAX_ITEMS,
    clean_name,
    clean_text_list,
    hidden_characters,
    validate_name,
)


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                  "\u2069", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\ufeff", "\u2060",
                                  "\u061c", "\u00ad", "\n", "\x00", "\u2028"])
def test_names_with_hidden_or_direction_characters_are_refused(char):
    with pytest.raises(ValidationError) as refused:
        validate_name(f"张{char}三")
    assert f"U+{ord(char):04X}" in refused.value.messages[0]


@pytest.mark.parametrize("name", ["张三", "欧阳·娜娜", "O'Neil-Smith", "阿卜杜拉·艾买提", "徐汇区福寿居家养老服务社（分部）"])
def test_ordinary_names_pass(name):
    validate_name(name)
    assert hidden_characters(name) == []


def test_clean_name_edges():
    errors = {}
    assert clean_name(" " + "张" * 50 + " ", field="name", label="姓名", max_length=50, errors=errors) == "张" * 50
    assert errors == {}
    clean_name("张" * 51, field="name", label="姓名", max_length=50, errors=errors)
    clean_name("", field="other", label="姓名", max_length=50, errors=errors)
    assert set(errors) == {"name", "other"}
    assert clean_name("", field="x", label="姓名", max_length=50, errors={}, required=False) == ""


def test_text_list_edges():
    errors = {}
    exactly = ["病" * TEXT_LIST_ITEM_MAX_LENGTH] * TEXT_LIST_MAX_ITEMS
    assert clean_text_list(exactly, field="c", errors=errors) == exactly and errors == {}
    clean_text_list(exactly + ["高血压"], field="too_many", errors=errors)
    clean_text_list(["病" * (TEXT_LIST_ITEM_MAX_LENGTH + 1)], field="too_long", errors=errors)
    clean_text_list(["x" * 1_000_000], field="million", errors=errors)
    clean_text_list("高血压", field="not_list", errors=errors)
    clean_text_list([1, 2], field="not_text", errors=errors)
    clean_text_list(["高\u202e血压"], field="hidden", errors=errors)
    assert set(errors) == {"too_many", "too_long", "million", "not_list", "not_text", "hidden"}
    assert clean_text_list([" 高血压 ", ""], field="c", errors={}) == ["高血压"]


@pytest.mark.parametrize("model_admin, field", [("accounts.User", "display_name"),
                                                ("providers.Organisation", "name"),
                                                ("providers.Organisation", "contact_name"),
                                                ("providers.Facility", "name")])
def test_admin_forms_apply_the_name_rule(model_admin, field):
    from django.apps import apps
    from django.contrib import admin

    model = apps.get_model(model_admin)
    form_field = admin.site._registry[model].formfield_for_dbfield(model._meta.get_field(field), request=None)
    assert form_field.clean("福寿") == "福寿"
    with pytest.raises(ValidationError):
        form_field.clean("福\u202e寿")
