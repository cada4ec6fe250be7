"""Simulation loops, with Leniax's names, signatures and output shapes."""

from ._runner import (
    rollout as rollout,
    run as run,
    run_scan as run_scan,
    run_scan_mem_optimized as run_scan_mem_optimized,
    run_scan_mem_optimized_pmap as run_scan_mem_optimized_pmap,
)
