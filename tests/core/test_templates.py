"""Form fields and overdue badges are written in one place each.

Every form field goes through {% form_field %} (templates/partials/field.html)
and every overdue mark through {% overdue_badge %}: the templates are scanned
for hand-written ones, and pages with errors are read to check that what a
field points at (aria-describedby) is there and that every field is labelled.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django import forms
from django.conf import settings
from django.template import Context, Template
from django.template.base import Lexer, TokenType
from django.urls import reverse
from django.utils import translation

from tests.factories import DelistingCaseFactory, TargetFactory

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


def _render(source: str, **context: object) -> "_Page":
    page = _Page()
    page.feed(Template("{% load blcheck %}" + source).render(Context(context)))
    page.close()
    return page


def test_a_field_points_at_exactly_its_help_and_errors():
    form = _Sample({"name": "", "count": "1", "note": "x"})
    page = _render(
        "{% for field in form %}{% form_field field %}{% endfor %}", form=form
    )
    described = {
        tag["name"]: tag.get("aria-describedby")
        for tag in page.fields
        if tag.get("name") in {"name", "count", "note"}
    }
    assert described == {
        "name": "id_name_help id_name_errors",
        "count": "id_count_errors",
        "note": None,
    }
    assert page.missing_descriptions() == []
    assert page.unlabelled() == []
    assert {tag["name"] for tag in page.fields if tag.get("aria-invalid")} == {
        "name",
        "count",
        "agree",
        "kinds",
    }
    # the group is described on its fieldset, each box is labelled
    assert page.fieldsets == ["id_kinds_help id_kinds_errors"]
    assert page.errors_ids == {
        "id_name_errors",
        "id_count_errors",
        "id_agree_errors",
        "id_kinds_errors",
    }
    assert page.hidden == ["token"]


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


# -- pages with errors ----------------------------------------------------------------

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class _Page(HTMLParser):
    """Ids, what points at them, the fields and their labels, of one page."""

    ids: set[str] = field(default_factory=set)
    described: list[tuple[str, str]] = field(default_factory=list)
    fields: list[dict[str, str | None]] = field(default_factory=list)
    label_for: set[str] = field(default_factory=set)
    fieldsets: list[str] = field(default_factory=list)
    errors_ids: set[str] = field(default_factory=set)
    hidden: list[str] = field(default_factory=list)
    open_labels: int = 0
    open_fieldsets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if attributes.get("aria-describedby"):
            self.described.append((tag, str(attributes["aria-describedby"])))
        if "error" in str(attributes.get("class", "")).split() and attributes.get("id"):
            self.errors_ids.add(str(attributes["id"]))
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(str(attributes["for"]))
        elif tag == "fieldset":
            self.fieldsets.append(str(attributes.get("aria-describedby") or ""))
            self.open_fieldsets.append(str(attributes.get("aria-describedby") or ""))
        elif tag in {"input", "select", "textarea"}:
            if attributes.get("type") == "hidden":
                self.hidden.append(str(attributes.get("name")))
            elif attributes.get("type") not in UNLABELLED_TYPES:
                self.fields.append(
                    {
                        **attributes,
                        "_wrapped": str(self.open_labels),
                        "_group": " ".join(self.open_fieldsets),
                    }
                )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1
        elif tag == "fieldset" and self.open_fieldsets:
            self.open_fieldsets.pop()

    def missing_descriptions(self) -> list[str]:
        """aria-describedby ids that are not on the page."""
        return [
            f"{tag}: {ref}"
            for tag, refs in self.described
            for ref in refs.split()
            if ref not in self.ids
        ]

    def unlabelled(self) -> list[str]:
        return [
            str(tag.get("name") or tag.get("id"))
            for tag in self.fields
            if tag["_wrapped"] == "0"
            and tag.get("id") not in self.label_for
            and not tag.get("aria-label")
            and not tag.get("aria-labelledby")
        ]

    def invalid(self) -> dict[str, bool]:
        """Each field marked invalid: is it (or its group) described by an error?"""
        found = {}
        for tag in self.fields:
            if tag.get("aria-invalid") == "true":
                refs = f"{tag.get('aria-describedby') or ''} {tag['_group']}"
                found[str(tag.get("name"))] = bool(set(refs.split()) & self.errors_ids)
        return found


@dataclass
class _Case:
    persona: str
    url: str
    data: dict[str, str] | None = None  # POSTed when given
    invalid: set[str] = field(default_factory=set)  # the fields in error


def _cases(case_pk: int) -> dict[str, _Case]:
    return {
        "target form": _Case(
            "it_staff",
            reverse("monitoring:target-create"),
            {
                "value": "not an address!",
                "label": "x" * 101,
                "check_interval_minutes": "1",
            },
            {"value", "label", "check_interval_minutes"},
        ),
        "case form": _Case(
            "it_staff",
            reverse("cases:case-open"),
            {"subject": "192.0.2.1"},
            {"target", "blocklist"},
        ),
        "case form, non-field error": _Case(
            "it_staff",
            reverse("cases:case-open"),
            {"target": "TARGET", "blocklist": "BLOCKLIST", "subject": "203.0.113.9"},
        ),
        "bulk form": _Case(
            "it_staff",
            reverse("monitoring:target-bulk"),
            {"lines": "192.0.2.1", "check_interval_minutes": "1"},
            {"check_interval_minutes"},
        ),
        "blocklist form": _Case(
            "it_staff",
            reverse("monitoring:blocklist-create"),
            {"zone": "no", "qps": "x"},
            {"zone", "name", "qps", "kinds"},
        ),
        "notifications": _Case(
            "it_staff",
            reverse("monitoring:notification-settings"),
            {"webhook_url": "not a url"},
            {"webhook_url"},
        ),
        "case note": _Case(
            "it_staff",
            reverse("cases:case-add-note", args=[case_pk]),
            {"text": ""},
            {"text"},
        ),
        "history": _Case(
            "manager",
            reverse("reports:history-lookups") + "?date_from=nonsense",
            invalid={"date_from"},
        ),
        "history, dates reversed": _Case(
            "manager",
            reverse("reports:history-episodes")
            + "?date_from=2025-03-05&date_to=2025-03-01",
            invalid={"date_to"},
        ),
        "report period": _Case(
            "manager",
            reverse("reports:report-listings-per-month") + "?start=2025-13",
            invalid={"start"},
        ),
        "case list filter": _Case(
            "manager",
            reverse("cases:case-list") + "?status=nonsense",
            invalid={"status"},
        ),
    }


@pytest.mark.django_db
def test_pages_with_errors_point_at_what_is_there(
    client, it_staff, manager, test_blocklists
):
    target = TargetFactory(value="192.0.2.1")
    case = DelistingCaseFactory(
        target=target, blocklist=test_blocklists[0], is_overdue=True
    )
    personas = {"it_staff": it_staff, "manager": manager}
    found = {}
    for name, page_case in _cases(case.pk).items():
        client.force_login(personas[page_case.persona])
        if page_case.data is None:
            response = client.get(page_case.url)
        else:
            data = {
                key: {
                    "TARGET": str(target.pk),
                    "BLOCKLIST": str(case.blocklist_id),
                }.get(value, value)
                for key, value in page_case.data.items()
            }
            response = client.post(page_case.url, data)
        page = _Page()
        page.feed(response.content.decode())
        page.close()
        problems = {
            "status": response.status_code not in {200, 422} and response.status_code,
            "aria-describedby ids not on the page": page.missing_descriptions(),
            "unlabelled fields": page.unlabelled(),
            "invalid fields": set(page.invalid()) != page_case.invalid
            and sorted(page.invalid()),
            "invalid fields not described by their error": sorted(
                name for name, described in page.invalid().items() if not described
            ),
        }
        problems = {key: value for key, value in problems.items() if value}
        if problems:
            found[name] = problems
    assert found == {}


def test_the_page_reader_finds_a_dangling_description_and_an_unlabelled_field():
    page = _Page()
    page.feed(
        '<label for="a">A</label><input id="a" aria-describedby="a_help">'
        '<label>B <input name="b" aria-invalid="true" aria-describedby="b_errors">'
        '</label><span class="error" id="b_errors">!</span><input name="c">'
    )
    assert page.missing_descriptions() == ["input: a_help"]
    assert page.unlabelled() == ["c"]
    assert page.invalid() == {"b": True}
