"""Conformance test suites and helpers for rollax plugins (needs pytest)."""

from ._conformance import (
    LayerTests as LayerTests,
    RunnerTests as RunnerTests,
    StepperTests as StepperTests,
    SummariserTests as SummariserTests,
)
from ._helpers import (
    assert_finite as assert_finite,
    assert_keys_follow_scheme as assert_keys_follow_scheme,
    assert_same_structure as assert_same_structure,
    assert_trees_close as assert_trees_close,
    assert_trees_equal as assert_trees_equal,
    stack as stack,
)
from ._resume import ResumeTests as ResumeTests
