"""TODO: the concept of the package."""
