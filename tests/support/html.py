"""Read a rendered page as a tree, so tests assert on elements, not on regexes
over raw markup. Standard library only (html.parser).

    page = parse(response.content.decode())
    page.by_id("case-status").text           # "Open"
    [a["href"] for a in page.find_all("a", class_="case-link")]
    page.find("table", class_="target-cases").rows()
"""

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that never have content or an end tag (HTML's void elements).
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list["Element | str"] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        """The visible text, white space folded as a browser shows it."""
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, str):
                yield child
            elif child.tag not in ("script", "style", "template"):
                yield " " if child.tag in VOID else ""
                yield from child._texts()
                yield " "

    def strings(self, skip: Collection[str] = ()) -> Iterator[str]:
        """Each piece of text as the markup holds it (one per text node, white
        space kept), in document order, leaving out the text of the elements
        named in skip and of everything inside them."""
        for child in self.children:
            if isinstance(child, str):
                yield child
            elif child.tag not in skip:
                yield from child.strings(skip)

    def iter(self) -> Iterator["Element"]:
        """This element and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(
        self, tag: str | None = None, *, text: str | None = None, **attrs: str | bool
    ) -> list["Element"]:
        """Elements by tag and attributes (aria_label is aria-label, for_ is
        for; class_ matches one class among several; True matches any value);
        text matches a part of the text."""
        found = []
        for element in self.iter():
            if tag is not None and element.tag != tag:
                continue
            if text is not None and text not in element.text:
                continue
            if all(element._matches(name, value) for name, value in attrs.items()):
                found.append(element)
        return found

    def _matches(self, name: str, value: str | bool) -> bool:
        if name == "class_":
            return isinstance(value, str) and value in self.classes
        name = name.removesuffix("_").replace("_", "-")  # for_ is "for"
        if value is True:
            return name in self.attrs
        return self.attrs.get(name) == value

    def find(
        self, tag: str | None = None, *, text: str | None = None, **attrs: str | bool
    ) -> "Element":
        """The first match; fails the test when there is none."""
        found = self.find_all(tag, text=text, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs} {text or ''}".strip()
        return found[0]

    def by_id(self, id_: str) -> "Element":
        return self.find(id=id_)

    def rows(self) -> list[list[str]]:
        """A table's rows as lists of cell texts (header rows included)."""
        return [
            [cell.text for cell in row.children if isinstance(cell, Element)]
            for row in self.find_all("tr")
        ]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching open element; a stray end tag is ignored,
        # as a browser would (p and li may be left open in HTML).
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str | bytes) -> Element:
    """The page as a tree of Elements; its root is the document."""
    builder = _TreeBuilder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root
