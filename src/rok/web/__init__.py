"""The rok web platform: server-rendered pages and a REST API over the same analyses (``rok serve``)."""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name == "create_app":
        from rok.web.app import create_app

        return create_app
    raise AttributeError(name)
