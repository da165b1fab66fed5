"""Forms for working on targets: edit one, act on a selection."""

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from blcheck.monitoring.forms import clean_tag_text
from blcheck.monitoring.models import Target
from blcheck.monitoring.services import target_actions as actions

ACTION_CHOICES = [
    (actions.PAUSE, _("Pause checks")),
    (actions.RESUME, _("Resume checks")),
    (actions.TAG, _("Add a tag")),
    (actions.UNTAG, _("Remove a tag")),
    (actions.CHECK, _("Check now")),
    (actions.ARCHIVE, _("Archive")),
    (actions.RESTORE, _("Restore from the archive")),
]


class TargetEditForm(forms.ModelForm):
    """What a person may change of a target; its address stays."""

    tag_text = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        help_text=_("Comma-separated, e.g. tokyo, outbound"),
    )

    class Meta:
        model = Target
        fields = ("label", "check_interval_minutes")
        labels: ClassVar = {"check_interval_minutes": _("Check every (minutes)")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["check_interval_minutes"].widget.attrs.update(
            {"min": 5, "max": 7 * 24 * 60}
        )
        if not self.is_bound and self.instance.pk:
            names = [t.name for t in self.instance.tags.all()]
            self.initial["tag_text"] = ", ".join(names)

    def clean_check_interval_minutes(self) -> int:
        minutes = self.cleaned_data["check_interval_minutes"]
        if not 5 <= minutes <= 7 * 24 * 60:
            raise forms.ValidationError(
                _("Between 5 minutes and one week (10080 minutes)."),
                code="interval",
            )
        return int(minutes)

    def clean_tag_text(self) -> tuple[str, ...]:
        return clean_tag_text(self.cleaned_data["tag_text"])

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "label": self.cleaned_data["label"],
            "tags": self.cleaned_data["tag_text"],
            "check_interval_minutes": self.cleaned_data["check_interval_minutes"],
        }


class TargetActionForm(forms.Form):
    """One action on the targets a filter selects. `count` is how many the
    person saw and confirmed: when the selection has changed since, they are
    asked again rather than acting on targets they did not see."""

    action = forms.ChoiceField(label=_("Action"), choices=ACTION_CHOICES)
    tag_name = forms.CharField(
        label=_("Tag"),
        max_length=50,
        required=False,
        help_text=_("For adding or removing a tag"),
    )
    count = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action in (actions.TAG, actions.UNTAG):
            names = clean_tag_text(data.get("tag_name") or "")
            if len(names) != 1:
                self.add_error("tag_name", _("Name one tag to add or remove."))
            else:
                data["tag_name"] = names[0]
        return data
