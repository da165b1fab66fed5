"""The target list's filter (a django-filter FilterSet, as every list page's)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from blcheck.monitoring.models import Target


class TargetFilter(django_filters.FilterSet):
    """Targets by tag name; a tag nobody uses shows no target."""

    tag = django_filters.CharFilter(label=_("Tag"), field_name="tags__name")

    class Meta:
        model = Target
        fields = ("tag",)

    @property
    def tag_name(self) -> str:
        """The tag asked for, "" for every target."""
        self.form.is_valid()
        return str(getattr(self.form, "cleaned_data", {}).get("tag") or "")
