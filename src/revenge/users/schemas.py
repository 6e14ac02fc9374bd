from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from revenge.core.i18n import SUPPORTED_LOCALES

Username = Annotated[
    str,
    StringConstraints(
        min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", strip_whitespace=True
    ),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]


def _check_locale(value: str | None) -> str | None:
    if value is not None and value not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale; use one of {', '.join(SUPPORTED_LOCALES)}")
    return value


def _check_timezone(value: str | None) -> str | None:
    if value is not None and value not in available_timezones():
        raise ValueError("unknown IANA timezone")
    return value


LocaleCode = Annotated[str | None, AfterValidator(_check_locale)]
TimezoneName = Annotated[str | None, AfterValidator(_check_timezone)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    email: str | None
    display_name: str | None
    is_admin: bool
    is_active: bool
    locale: str | None
    timezone: str
    last_login_at: datetime | None
    created_at: datetime


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenPair(BaseModel):
    user: UserRead
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class UserUpdateMe(BaseModel):
    display_name: str | None = Field(None, max_length=128)
    email: EmailStr | None = None
    locale: LocaleCode = None
    timezone: TimezoneName = None
    current_password: str | None = Field(None, max_length=256)
    new_password: Password | None = None


class UserCreate(BaseModel):
    username: Username
    password: Password
    email: EmailStr | None = None
    display_name: str | None = Field(None, max_length=128)
    is_admin: bool = False
    locale: LocaleCode = None
    timezone: TimezoneName = "UTC"


class UserAdminUpdate(BaseModel):
    email: EmailStr | None = None
    display_name: str | None = Field(None, max_length=128)
    is_admin: bool | None = None
    is_active: bool | None = None
    locale: LocaleCode = None
    timezone: TimezoneName = None
    password: Password | None = None


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    expires_at: datetime | None = None


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself. Shown only in this response; store it now.")
