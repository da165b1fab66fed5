"""The target page's overlap note, read where the note is drawn: the target
holding this one and the targets this range holds (blcheck.monitoring.overlap)."""

from django import template

from blcheck.monitoring import overlap
from blcheck.monitoring.models import Target

register = template.Library()


@register.simple_tag
def target_overlap(target: Target) -> overlap.Overlap | None:
    """One query (the ranges, and the targets inside this one if a range)."""
    return overlap.target_overlap(target=target)
