"""Errors of the workspace: stale concurrent edits and edits to frozen (endorsed) versions."""

from __future__ import annotations

from rok.errors import InputError, RokError

__all__ = ["ConflictError", "FrozenError", "NotFoundError"]


class ConflictError(RokError, RuntimeError):
    """An edit based on a version that someone else has changed since: nothing was written."""

    def __init__(self, entity: str, entity_id: object, had: int | None, current: int | None) -> None:
        self.entity, self.entity_id, self.had, self.current = entity, entity_id, had, current
        super().__init__(
            f"{entity} {entity_id} was changed by someone else: your edit is based on version {had}, "
            f"the current version is {current}; nothing was written (reload it and apply your edit again)"
        )


class FrozenError(RokError, RuntimeError):
    """An edit to an endorsed (frozen) plan version: make a new version instead."""


class NotFoundError(InputError):
    """An unknown cluster, plan, indicator, programme or user."""
