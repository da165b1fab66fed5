"""Bounces as the tests read them: the report's fields and the story's reply."""

# What parse_bounce reports, and `manage.py parse_bounce --format json` prints:
# exactly these seven fields, in this order (DESIGN §4.4).
BOUNCE_FIELDS = (
    "category",
    "smtp_code",
    "enhanced_code",
    "blocked_ip",
    "blocklist",
    "lookup_url",
    "recipient",
)

# The Barracuda story's SMTP reply: mail to a customer refused because
# 192.0.2.66 is on Barracuda Reputation (b.barracudacentral.org).
BARRACUDA_REPLY = (
    "554 Service unavailable; Client host [mx.example.net] blocked using Barracuda "
    "Reputation; http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.66"
)


def mime_message(body: bytes, content_type: str, encoding: str = "7bit") -> bytes:
    """A bounce as a mailer daemon sends it: headers, then the body as given."""
    head = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.jp>\r\n"
        "To: sender@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + body
