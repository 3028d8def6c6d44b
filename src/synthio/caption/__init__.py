"""Stage 1: one caption per real clip, behind the ``Captioner`` protocol."""

from synthio.caption.base import Captioner, DescriptorCaptioner

__all__ = ["Captioner", "DescriptorCaptioner"]
