"""Stage 4, MixCap: extract events and scenes from captions, pool them by label, write new captions."""
