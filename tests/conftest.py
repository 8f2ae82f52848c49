"""Hypothesis explores new examples on developers' machines; in CI (CI set) it replays a fixed,
derandomized set, so a landing never depends on the draw. A failure found locally is fixed, not skipped."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
