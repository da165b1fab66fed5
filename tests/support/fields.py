"""What a page's form fields point at, read from the tree of tests/support/html.py:
descriptions that are not on the page, fields without a label, and fields
marked invalid that no error describes."""

from collections.abc import Iterator
from dataclasses import dataclass

from tests.support.html import Element

# Inputs that need no label of their own (hidden, or a button's own text).
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}
CONTROLS = {"input", "select", "textarea"}


@dataclass(frozen=True)
class Field:
    element: Element
    in_label: bool  # wrapped in a <label>
    group: str  # the aria-describedby of the fieldsets around it

    def get(self, name: str) -> str | None:
        return self.element.get(name)


def _walk(
    element: Element, labels: int = 0, groups: tuple[str, ...] = ()
) -> Iterator[Field]:
    for child in element.children:
        if not isinstance(child, Element):
            continue
        if child.tag in CONTROLS:
            yield Field(child, labels > 0, " ".join(groups))
        inner_groups = groups
        if child.tag == "fieldset":
            inner_groups = (*groups, child.get("aria-describedby") or "")
        yield from _walk(child, labels + (child.tag == "label"), inner_groups)


def fields(page: Element) -> list[Field]:
    """The fields a person fills in (not hidden inputs, not buttons)."""
    return [field for field in _walk(page) if field.get("type") not in UNLABELLED_TYPES]


def hidden_names(page: Element) -> list[str]:
    return [str(e.get("name")) for e in page.find_all("input", type="hidden")]


def missing_descriptions(page: Element) -> list[str]:
    """aria-describedby ids that are not on the page."""
    ids = {element["id"] for element in page.iter() if element.get("id")}
    return [
        f"{element.tag}: {ref}"
        for element in page.find_all(aria_describedby=True)
        for ref in element["aria-describedby"].split()
        if ref not in ids
    ]


def unlabelled(page: Element) -> list[str]:
    """Fields with no label: not wrapped in one, no label for them, no aria name."""
    labelled = {label["for"] for label in page.find_all("label", for_=True)}
    return [
        str(field.get("name") or field.get("id"))
        for field in fields(page)
        if not field.in_label
        and field.get("id") not in labelled
        and not field.get("aria-label")
        and not field.get("aria-labelledby")
    ]


def error_ids(page: Element) -> set[str]:
    return {e["id"] for e in page.find_all(class_="error") if e.get("id")}


def invalid(page: Element) -> dict[str, bool]:
    """Each field marked invalid: is it (or its group) described by an error?"""
    errors = error_ids(page)
    found = {}
    for field in fields(page):
        if field.get("aria-invalid") == "true":
            refs = f"{field.get('aria-describedby') or ''} {field.group}"
            found[str(field.get("name"))] = bool(set(refs.split()) & errors)
    return found
