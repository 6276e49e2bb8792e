"""Demo step (placeholder while the package is built)."""
