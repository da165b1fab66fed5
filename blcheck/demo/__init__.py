"""Demo data and screenshots: `seed_demo` and `capture_screenshots`.

The top of the import order: it may use every app, and no app uses it.
"""
