"""Connection layers (`dsrunner.dnn`, as `brainpy.dnn`)."""

from ._connect import (
    EventCSRLinear as EventCSRLinear,
    event_csr_matvec as event_csr_matvec,
)
