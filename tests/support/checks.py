"""Checks run as the worker runs them: through services.run_check, in-process."""

from blcheck.monitoring import services
from blcheck.monitoring.models import CheckRun, Target
from tests.factories import CheckRunFactory


def check_run(run: CheckRun, claimant: str = "test-task") -> CheckRun | None:
    """Run one CheckRun through the service the worker task calls: the run,
    done; None when it was not claimed (done already, or another's lease)."""
    done = services.run_check(run_ids=[run.pk], claimant=claimant)
    return done[0] if done else None


def check_target(target: Target) -> CheckRun:
    """A new manual check of target, run to the end."""
    done = check_run(CheckRunFactory.create(target=target))
    assert done is not None, "the new run was not claimed"
    return done
