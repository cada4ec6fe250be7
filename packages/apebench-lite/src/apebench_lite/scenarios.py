"""Scenario classes and registries, as in `apebench.scenarios`."""

from ._scenarios import (
    difficulty_scenarios as difficulty_scenarios,
    normalized_scenarios as normalized_scenarios,
    physical_scenarios as physical_scenarios,
    scenario_dict as scenario_dict,
)
