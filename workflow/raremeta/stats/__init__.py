"""The pure statistical core: counts in, frozen result objects out. No I/O, no plotting."""
