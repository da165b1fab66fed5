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
