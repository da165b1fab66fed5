"""The report `parse_bounce` returns, the size it accepts, and the parse limits."""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 1024 * 1024

BLOCKLIST = "blocklist"
REPUTATION = "reputation"
OTHER = "other"

# Parse limits, so that hostile input stays cheap (the 1 MiB cap bounds the rest).
MAX_PARTS = 500  # MIME parts walked
MAX_DEPTH = 12  # MIME nesting
MAX_REPLIES = 300  # SMTP replies read
MAX_REPLY_CHARS = 4096  # RFC 5321 allows 512 per line; unfolded replies run longer
MAX_LINES = 3000  # lines searched for a list phrase when no reply names one
# Text classified in all (replies, or lines when no reply names a list): 300
# replies on one long line would each be read 4,096 characters long.
MAX_CLASSIFIED_CHARS = 64 * 1024


class BounceTooLarge(ValueError):
    """The pasted bounce is over the 1 MiB limit."""

    def __init__(self, size: int) -> None:
        super().__init__(
            f"The bounce is {size:,} bytes; the limit is 1 MiB ({MAX_BYTES:,} bytes)."
        )
        self.size = size


@dataclass(frozen=True)
class BounceReport:
    """What a bounce says, and where in `text` each value was read."""

    category: str
    smtp_code: int | None
    enhanced_code: str | None
    blocked_ip: str | None
    blocklist: str | None
    lookup_url: str | None
    recipient: str | None
    text: str = ""
    spans: tuple[tuple[int, int, str], ...] = ()
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The seven fields of the `parse_bounce` JSON contract, in order."""
        return {
            "category": self.category,
            "smtp_code": self.smtp_code,
            "enhanced_code": self.enhanced_code,
            "blocked_ip": self.blocked_ip,
            "blocklist": self.blocklist,
            "lookup_url": self.lookup_url,
            "recipient": self.recipient,
        }
