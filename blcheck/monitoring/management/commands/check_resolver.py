"""`manage.py check_resolver`: warn when lookups would go through a shared resolver.

Names the nameservers every DNS lookup will use (BLCHECK_DNS_NAMESERVERS, else
the system's from /etc/resolv.conf, read the way the workers read them) and
warns about each known public, cloud or local-stub resolver among them. It
compares addresses only and sends no query. Always exits 0: a warning, not a
failure (`make run` runs it at start-up).
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from blcheck.lookups.public_resolvers import Kind, known_resolver
from blcheck.lookups.resolver import configured_nameservers

ADVICE = (
    "Set BLCHECK_DNS_NAMESERVERS to a recursive resolver of your own that does "
    "not forward (Compose runs one: the `resolver` service); for Spamhaus, a DQS "
    "key (BLCHECK_SPAMHAUS_DQS_KEY) also works. See docs/deployment.md."
)
WHY = {
    Kind.PUBLIC: (
        "a public resolver. Spamhaus answers lookups that come through it with "
        "127.255.255.254 (refused), and Barracuda, URIBL, SURBL and Validity "
        "refuse or limit it: those lists will show errors, not results."
    ),
    Kind.CLOUD: (
        "a cloud provider's shared resolver. Spamhaus refuses lookups through "
        "shared resolvers (127.255.255.254), and other lists may too: those "
        "lists will show errors, not results."
    ),
    Kind.LOCAL_STUB: (
        "a local stub that forwards to the resolver the host is set to use. If "
        "that is a public or your provider's shared resolver, Spamhaus and "
        "others refuse the lookups."
    ),
}


class Command(BaseCommand):
    help = (
        "Warn when DNS lookups would go through a public or cloud resolver that "
        "blocklists refuse. Sends no query; always exits 0."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        source = (
            "BLCHECK_DNS_NAMESERVERS"
            if settings.DNS_NAMESERVERS
            else "the system resolver, /etc/resolv.conf"
        )
        try:
            nameservers = configured_nameservers()
        except ValueError as error:
            self._warn(f"BLCHECK_DNS_NAMESERVERS cannot be read: {error}.")
            return
        if not nameservers:
            self._warn(f"no nameserver found in {source}: every lookup will fail.")
            return
        listed = ", ".join(str(ns) for ns in nameservers)
        self.stdout.write(f"resolver: {listed} ({source})")
        for ns in nameservers:
            found = known_resolver(ns.host)
            if found is not None:
                self._warn(f"{ns} is {found.operator}, {WHY[found.kind]} {ADVICE}")

    def _warn(self, message: str) -> None:
        self.stderr.write(self.style.WARNING(f"resolver: WARNING: {message}"))
