from __future__ import annotations

from pydantic import BaseModel

from revenge.core.types import Text


class LocaleInfo(BaseModel):
    code: Text
    native_name: Text
    completeness: float  # share of the English keys this catalogue translates (0..1)
