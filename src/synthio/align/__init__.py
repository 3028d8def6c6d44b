"""Align a text-to-audio model to a small dataset (Synthio stages 2-3): DPO pairs, Diffusion-DPO, the ERM ablation."""
