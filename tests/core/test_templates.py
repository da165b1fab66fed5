"""Form fields and overdue badges are written in one place each.

Every form field goes through {% form_field %} (templates/partials/field.html)
and every overdue mark through {% overdue_badge %}: the templates are scanned
for hand-written ones, and both tags are rendered and read. The pages with
errors are read in tests/core/test_form_pages.py.
"""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.template.base import Lexer, TokenType
from django.utils import translation

from tests.support.fields import (
    error_ids,
    fields,
    hidden_names,
    missing_descriptions,
    unlabelled,
)
from tests.support.html import Element, parse

TEMPLATES = settings.BASE_DIR / "templates"
FIELD_INCLUDE = Path("partials/field.html")

# What only the field include may read from a bound field.
FIELD_PARTS = {"label_tag", "legend_tag", "id_for_label", "auto_id", "help_text"}
# What a template may read from a form itself (a form: "form" or "…_form").
FORM_PARTS = {"errors", "non_field_errors"}


# -- the template scan --------------------------------------------------------------


def _names(expression: str) -> list[list[str]]:
    """The dotted names in a tag's or variable's text, each split on its dots."""
    for mark in "|:,=()":
        expression = expression.replace(mark, " ")
    return [
        word.split(".")
        for word in expression.split()
        if word[:1].isalpha() or word[:1] == "_"
    ]


def _is_form(name: str) -> bool:
    return name == "form" or name.endswith("_form")


def _field_loop(contents: str) -> bool:
    """{% for field in form %} (or a form's visible_fields / hidden_fields)."""
    words = contents.split()
    if "in" not in words[:-1]:
        return False
    path = words[words.index("in") + 1].split("|")[0].split(".")
    return _is_form(path[-1]) or path[-1] in {"visible_fields", "hidden_fields"}


def _reads_a_field(path: list[str]) -> str:
    """Why a dotted name reads a bound field by hand ("" when it does not)."""
    if set(path[1:]) & FIELD_PARTS:
        return "field written by hand"
    forms_at = [i for i, name in enumerate(path) if _is_form(name)]
    if forms_at and forms_at[0] + 1 < len(path):
        if path[forms_at[0] + 1] not in FORM_PARTS:
            return "field rendered by hand"
    elif path[-2:] == ["field", "errors"]:
        return "field errors written by hand"
    return ""


def hand_written(source: str) -> list[str]:
    """What a template writes by hand that {% form_field %} or {% overdue_badge %}
    should write, each problem with its line."""
    problems = []
    loops: list[bool] = []  # one per open {% for %}: is it a form-field loop?
    for token in Lexer(source).tokenize():
        contents = token.contents.strip()
        where = f"line {token.lineno}: {contents[:60]}"
        in_field_loop = bool(loops) and loops[-1]
        if token.token_type == TokenType.TEXT:
            if in_field_loop and contents:
                problems.append(f"markup in a form-field loop, {where}")
            if "badge-overdue" in contents:
                problems.append(f"overdue badge by hand, {where}")
            continue
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        words = contents.split()
        command = words[0] if token.token_type == TokenType.BLOCK and words else ""
        if in_field_loop and command not in {"form_field", "empty", "endfor"}:
            problems.append(f"more than the field include in a field loop, {where}")
        if command == "for":
            loops.append(_field_loop(contents))
        elif command == "endfor" and loops:
            loops.pop()
        if command in {"translate", "trans"} and words[1:2] in (
            ['"overdue"'],
            ["'overdue'"],
        ):
            problems.append(f"overdue badge by hand, {where}")
        names = _names(contents)
        if command in {"if", "elif"} and any(p[-1] == "is_overdue" for p in names):
            problems.append(f"overdue badge by hand, {where}")
        if token.token_type == TokenType.VAR and names and _is_form(names[0][-1]):
            problems.append(f"a whole form rendered by Django, {where}")
        if command == "form_field":
            continue
        problems += [f"{why}, {where}" for why in map(_reads_a_field, names) if why]
    return problems


def test_no_template_writes_a_field_or_an_overdue_badge_by_hand():
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES)
        if name == FIELD_INCLUDE:
            continue
        problems = hand_written(path.read_text(encoding="utf-8"))
        if problems:
            found[str(name)] = problems
    assert found == {}


def test_the_scan_finds_what_is_written_by_hand():
    source = "\n".join(
        [
            "{% load i18n blcheck %}",
            '{% for field in form %}<p><label for="{{ field.id_for_label }}">',
            "  {% for e in field.errors %}{{ e }}{% endfor %}</p>{% endfor %}",
            "{{ note_form.text }} {{ filter.form.as_p }} {{ form.x.errors }}",
            '{% if case.is_overdue %}<b class="badge-overdue">{% endif %}',
            '{% translate "overdue" %}',
            "{% for field in request_form %}{% form_field field %}{% endfor %}",
            "{% form_field close_form.to inline=True %}{{ form.non_field_errors }}",
            "{% if form.errors %}!{% endif %}{{ progress.errors }}",
            "{% for piece, field in chunks %}{{ field }}{% endfor %}",
        ]
    )
    problems = hand_written(source)
    lines = sorted({int(p.split("line ")[1].split(":")[0]) for p in problems})
    assert lines == [2, 3, 4, 5, 6]
    assert any("a field loop" in p for p in problems)
    assert any("field written by hand" in p for p in problems)
    assert any("field errors written by hand" in p for p in problems)
    assert sum("field rendered by hand" in p for p in problems) == 3
    assert sum("overdue badge by hand" in p for p in problems) == 3


# -- the tags -------------------------------------------------------------------------


class _Sample(forms.Form):
    name = forms.CharField(label="Name", help_text="As on the door")
    count = forms.IntegerField(label="Count", min_value=5)
    note = forms.CharField(label="Note", required=False)
    agree = forms.BooleanField(label="I agree")
    kinds = forms.MultipleChoiceField(
        label="Kinds",
        choices=[("a", "A"), ("b", "B")],
        widget=forms.CheckboxSelectMultiple,
        help_text="One or more",
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)


def _render(source: str, **context: object) -> Element:
    return parse(Template("{% load blcheck %}" + source).render(Context(context)))


def test_a_field_points_at_exactly_its_help_and_errors():
    form = _Sample({"name": "", "count": "1", "note": "x"})
    page = _render(
        "{% for field in form %}{% form_field field %}{% endfor %}", form=form
    )
    described = {
        field.get("name"): field.get("aria-describedby")
        for field in fields(page)
        if field.get("name") in {"name", "count", "note"}
    }
    assert described == {
        "name": "id_name_help id_name_errors",
        "count": "id_count_errors",
        "note": None,
    }
    assert missing_descriptions(page) == []
    assert unlabelled(page) == []
    assert {f.get("name") for f in fields(page) if f.get("aria-invalid")} == {
        "name",
        "count",
        "agree",
        "kinds",
    }
    # the group is described on its fieldset, each box is labelled
    assert [f["aria-describedby"] for f in page.find_all("fieldset")] == [
        "id_kinds_help id_kinds_errors"
    ]
    assert error_ids(page) == {
        "id_name_errors",
        "id_count_errors",
        "id_agree_errors",
        "id_kinds_errors",
    }
    assert hidden_names(page) == ["token"]


def test_a_checkbox_has_its_label_after_the_box_and_a_label_can_be_replaced():
    html = Template(
        "{% load blcheck %}{% form_field form.agree %}"
        '{% form_field form.note label="Why" help_text="Say it" inline=True %}'
    ).render(Context({"form": _Sample()}))
    assert '<label><input type="checkbox" name="agree"' in html
    assert "> I agree</label>" in html
    assert '<span class="field">' in html
    assert '<label for="id_note">Why</label>' in html
    assert '<small id="id_note_help">Say it</small>' in html
    assert 'aria-describedby="id_note_help"' in html


@pytest.mark.parametrize(("language", "word"), [("en", "overdue"), ("ja", "期限超過")])
def test_the_overdue_badge_has_an_icon_and_a_word(language, word):
    source = "{% load blcheck %}[{% overdue_badge case %}]"
    with translation.override(language):
        overdue = Template(source).render(
            Context({"case": SimpleNamespace(is_overdue=True)})
        )
        on_time = Template(source).render(
            Context({"case": SimpleNamespace(is_overdue=False)})
        )
    assert overdue == (
        '[<span class="badge badge-overdue"><span aria-hidden="true">⚠</span> '
        f"{word}</span>]"
    )
    assert on_time == "[]"
