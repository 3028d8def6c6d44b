"""Neural building blocks shared by several stages."""
