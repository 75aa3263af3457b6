"""The test's own transaction never commits, so what a service announces after its commit (crm/events.py) would
never run. `with committed():` runs it when the block ends, as a real commit does when a service returns."""

from django.test import TestCase


def committed():
    return TestCase.captureOnCommitCallbacks(execute=True)
