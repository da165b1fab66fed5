"""Security headers as the tests read them."""


def directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: sources}, in any order."""
    name_and_sources = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in name_and_sources}
