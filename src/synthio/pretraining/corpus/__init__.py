"""A captioned pretraining corpus assembled from the sources present on this machine (one module per source)."""
