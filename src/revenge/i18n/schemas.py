from __future__ import annotations

from pydantic import BaseModel


class LocaleInfo(BaseModel):
    code: str
    native_name: str
    completeness: float  # share of the English keys this catalogue translates (0..1)
