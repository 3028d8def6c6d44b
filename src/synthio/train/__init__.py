"""Stage 8: classifiers, classic augmentations and the trainer that measures them."""
