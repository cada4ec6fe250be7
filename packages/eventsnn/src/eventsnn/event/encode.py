"""Input and target encoders (jaxsnn's `jaxsnn.event.encode`)."""

from .._kit import (
    encode as encode,
    spatio_temporal_encode as spatio_temporal_encode,
    target_one_hot_encode as target_one_hot_encode,
    target_temporal_encode as target_temporal_encode,
)
