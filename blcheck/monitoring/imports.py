"""PURE: many targets at once, as people really hand them over, and back out.

Pasted lines ("192.0.2.1 outbound MX"), a paste from Excel (tab-separated
cells: address, label, tags, interval), or a CSV file, with or without a
header row, in UTF-8 (with or without a BOM) or Shift_JIS/CP932 (Japanese
Excel's "CSV (Comma delimited)"). The export writes the same columns, so an
export imported into an empty database gives the same targets, and exports
again byte for byte. No Django, no I/O; every error names its line.
"""

import csv
import io
import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from blcheck.monitoring.targets import (
    BulkRow,
    Kind,
    Message,
    ParsedTarget,
    TargetError,
    gettext_noop,
    parse_target,
    tag_names,
)

MAX_BULK_LINES = 5000
# The columns, in the order of a file without a header row and of the export.
COLUMNS = ("value", "label", "tags", "interval")
TAG_SEPARATOR = ";"  # between the tags of one cell
# What a header cell may say for each column (compared after NFKC, in lower case).
_COLUMN_NAMES = {
    "value": ("value", "address", "target", "ip", "ip address", "domain", "host"),
    "label": ("label", "name"),
    "tags": ("tags", "tag"),
    "interval": ("interval", "interval (minutes)", "check_interval_minutes"),
}
_COLUMN_NAMES_JA = {
    "value": ("アドレス", "ipアドレス", "対象", "ターゲット", "ドメイン"),
    "label": ("ラベル", "名前"),
    "tags": ("タグ",),
    "interval": ("間隔", "間隔(分)", "チェック間隔", "チェック間隔(分)"),
}
_COLUMN_OF = {
    name: column
    for table in (_COLUMN_NAMES, _COLUMN_NAMES_JA)
    for column, names in table.items()
    for name in names
}
# What every target holds and no column name does (compared after NFKC).
_TARGET_LIKE = re.compile("[.:/@\u3002]")

NOT_TEXT = gettext_noop(
    "The file is neither UTF-8 nor Shift_JIS (CP932) text. In Excel, save it "
    "again with File → Save As → file type “CSV UTF-8 (Comma delimited) (*.csv)”."
)
WORKBOOK = gettext_noop(
    "The file is an Excel workbook, not CSV. In Excel, save it again with "
    "File → Save As → file type “CSV UTF-8 (Comma delimited) (*.csv)”."
)
READ_AS_SHIFT_JIS = gettext_noop(
    "The file was read as Shift_JIS (CP932), the encoding of Japanese Excel's "
    "“CSV (Comma delimited)”. If a label looks garbled, save the file with "
    "File → Save As → file type “CSV UTF-8 (Comma delimited) (*.csv)”."
)
# Characters no text file of targets holds: control characters but tab and
# line ends; from CP932, private-use code points too (where it puts bytes it lacks).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NOT_CP932 = re.compile("[\ue000-\uf8ff]")


@dataclass(frozen=True)
class BulkError:
    line: int
    text: str
    message: Message


@dataclass(frozen=True)
class Record:
    """One line (or CSV record) of input: its line number, its text, its cells."""

    line: int
    text: str
    fields: dict[str, str]


# --- bytes to text ------------------------------------------------------------


def decode_upload(data: bytes) -> tuple[str, Message | None]:
    """The text of an uploaded file, and a note when it was read as CP932;
    raises TargetError (saying how to save UTF-8 from Excel) for anything else."""
    if data.startswith(b"PK\x03\x04"):  # .xlsx is a zip archive
        raise TargetError(WORKBOOK)
    note = None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError as exc:
            raise TargetError(NOT_TEXT) from exc
        if _NOT_CP932.search(text):
            raise TargetError(NOT_TEXT) from None
        note = Message(READ_AS_SHIFT_JIS)
    if _NOT_TEXT.search(text):
        raise TargetError(NOT_TEXT)
    return text, note


# --- text to records --------------------------------------------------------


def _column(cell: str) -> str | None:
    name = " ".join(unicodedata.normalize("NFKC", cell).lower().split())
    return _COLUMN_OF.get(name)


def _is_skipped(cells: list[str]) -> bool:
    """A blank row, or a comment ("# ..." in the first cell)."""
    return not any(c.strip() for c in cells) or cells[0].strip().startswith("#")


def _is_header(cells: list[str]) -> bool:
    """A cell names a column, and none holds what every target has and no
    column name does (a dot, a colon, a slash or an @)."""
    return any(_column(c) for c in cells) and not any(
        _TARGET_LIKE.search(unicodedata.normalize("NFKC", c)) for c in cells
    )


def _header(cells: list[str]) -> tuple[list[str | None], list[str]]:
    """Each cell's column, and the names of the cells left out."""
    columns = [_column(cell) for cell in cells]
    if "value" not in columns:
        raise TargetError(
            gettext_noop("The first row must name the columns, with value.")
        )
    unknown = [c.strip() for c, k in zip(cells, columns, strict=True) if not k]
    return columns, [name for name in unknown if name]


def read_table(text: str) -> tuple[list[Record], list[Message]]:
    """CSV (or, when its first row holds a tab, tab-separated) text: the
    records, and notes (columns left out). A first row naming columns is a
    header; without one the columns are value, label, tags, interval.
    Blank rows and rows whose first cell starts with # are skipped."""
    text = text.removeprefix("\ufeff")  # pasted from a file that had one
    delimiter = "\t" if "\t" in _first_line(text) else ","
    # newline="": the csv module reads every line end itself (\r\n, \n, \r).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: list[str | None] | None = None
    records, notes, line = [], [], 1
    try:
        for cells in reader:
            number, line = line, reader.line_num + 1
            if _is_skipped(cells):
                continue
            if columns is None and _is_header(cells):
                columns, unknown = _header(cells)
                if unknown:
                    notes.append(_left_out(unknown))
                continue
            columns = columns or list(COLUMNS)
            records.append(
                Record(number, delimiter.join(cells), _fields(columns, cells))
            )
    except csv.Error as exc:  # a cell over csv.field_size_limit()
        raise TargetError(
            gettext_noop("Line %(line)s: a cell is longer than %(limit)s characters."),
            line=line,
            limit=csv.field_size_limit(),
        ) from exc
    return records, notes


def _first_line(text: str) -> str:
    """The first line that is neither blank nor a comment."""
    lines = text.splitlines()
    return next((s for s in lines if s.strip() and s.strip()[0] != "#"), "")


def _fields(columns: Iterable[str | None], cells: list[str]) -> dict[str, str]:
    """The cells by column, unguarded; cells past the columns are left out."""
    return {k: unguard(v).strip() for k, v in zip(columns, cells, strict=False) if k}


def _left_out(names: list[str]) -> Message:
    return Message(
        gettext_noop("Columns left out: %(names)s. blcheck reads %(columns)s."),
        {"names": ", ".join(names)[:200], "columns": ", ".join(COLUMNS)},
    )


def read_pasted(text: str) -> tuple[list[Record], list[Message]]:
    """Pasted lines: a target and an optional label each ("192.0.2.1 mx" or
    "192.0.2.1, mx"), # starting a comment; a line with tabs holds cells as
    Excel copies them (value, label, tags, interval). Text whose first line
    names columns is read as a table (read_table)."""
    text = text.removeprefix("\ufeff")
    if _is_header(re.split("[\t,]", _first_line(text))):
        return read_table(text)
    records = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if "\t" in raw:
            cells = raw.split("\t")
            if not _is_skipped(cells):
                fields = _fields(COLUMNS, cells)
                records.append(Record(number, raw.replace("\t", " "), fields))
            continue
        line = raw.split("#", 1)[0].strip()
        if line:
            value, _, label = line.replace(",", " ", 1).partition(" ")
            fields = {"value": value, "label": label.strip()}
            records.append(Record(number, raw, fields))
    return records, []


# --- records to rows --------------------------------------------------------


def bulk_rows(
    records: list[Record], *, max_range_size: int, max_addresses: int
) -> tuple[list[BulkRow], list[BulkError]]:
    """The targets the records hold, or why each bad one is bad. The ranges
    may hold max_addresses in all."""
    if len(records) > MAX_BULK_LINES:
        message = Message(
            gettext_noop("%(count)s targets at once; the limit is %(limit)s."),
            {"count": f"{len(records):,}", "limit": f"{MAX_BULK_LINES:,}"},
        )
        return [], [BulkError(0, "", message)]
    rows: list[BulkRow] = []
    errors: list[BulkError] = []
    seen: dict[str, int] = {}  # value -> first line
    for record in records:
        try:
            row = _bulk_row(record, max_range_size, seen)
        except TargetError as exc:
            errors.append(BulkError(record.line, record.text.strip(), exc.message))
            continue
        seen[row.target.value] = record.line
        rows.append(row)
    total = sum(_address_count(row.target) for row in rows)
    if total > max_addresses:
        message = Message(
            gettext_noop(
                "These targets hold %(total)s addresses in all; the limit is "
                "%(limit)s at once. Add them in smaller parts."
            ),
            {"total": f"{total:,}", "limit": f"{max_addresses:,}"},
        )
        return [], [BulkError(0, "", message), *errors]
    return rows, errors


def _bulk_row(record: Record, max_range_size: int, seen: dict[str, int]) -> BulkRow:
    fields = record.fields
    parsed = parse_target(fields.get("value") or "", max_range_size=max_range_size)
    interval = _interval(fields.get("interval") or "")
    if parsed.value in seen:
        raise TargetError(
            gettext_noop("%(value)s is already on line %(line)s."),
            value=parsed.value,
            line=seen[parsed.value],
        )
    tags = tag_names((fields.get("tags") or "").split(TAG_SEPARATOR))
    label = (fields.get("label") or "")[:100]
    return BulkRow(record.line, parsed, label, tags, interval)


def _address_count(target: ParsedTarget) -> int:
    if target.kind is Kind.RANGE:
        return ipaddress.ip_network(target.value).num_addresses
    return 1


# ASCII digits only: str.isdigit() takes "²", which int() refuses.
_MINUTES = re.compile(r"[0-9]{1,5}")


def _interval(text: str) -> int | None:
    if not text.strip():
        return None
    if not _MINUTES.fullmatch(text.strip()) or not 5 <= int(text) <= 7 * 24 * 60:
        raise TargetError(
            gettext_noop("'%(text)s' is not a check interval in minutes (5 to 10080)."),
            text=text,
        )
    return int(text)


# --- the export -------------------------------------------------------------

# Where a spreadsheet would start a formula (core.export.formula_guard): at the
# start of a cell, or of a piece after a separator, past blanks. A cell
# starting with a tab or a carriage return counts too.
_SEPARATOR = r"(?:^|(?<=[;|,\t\r\n]))"
_FORMULA = r"[^\S\t\r\n]*[=+\-@]"
_GUARDED = re.compile(rf"^(?='*[\t\r])|{_SEPARATOR}(?='*{_FORMULA})")
_UNGUARDED = re.compile(rf"^'(?='*[\t\r])|{_SEPARATOR}'(?='*{_FORMULA})")


def guard(text: str) -> str:
    """The text with an apostrophe before each formula a spreadsheet could
    run (and before the apostrophes already there), so that unguard() gives
    the text back exactly; core.export.formula_guard leaves the result as it is."""
    return _GUARDED.sub("'", text)


def unguard(text: str) -> str:
    """The text guard() was given."""
    return _UNGUARDED.sub("", text)


def export_row(
    *, value: str, label: str, tags: Iterable[str], interval: int
) -> list[str | int]:
    """One target as a row of COLUMNS, guarded; tags by name."""
    return [
        guard(value),
        guard(label),
        guard(TAG_SEPARATOR.join(sorted(tags))),
        interval,
    ]
