"""``?limit=&offset=`` in, ``{items, total, limit, offset}`` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from revenge.core.types import INT32_MAX

T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    # Capped so that a client's offset always fits PostgreSQL's OFFSET (bigint) with room.
    offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
