"""Placeholder: filled in by the lesson that owns it."""

__all__: list[str] = []
