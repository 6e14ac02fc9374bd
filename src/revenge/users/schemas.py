from __future__ import annotations

import uuid
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from revenge.core.i18n import SUPPORTED_LOCALES
from revenge.core.types import SaneDatetime, Text

Username = Annotated[
    str,
    StringConstraints(
        min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", strip_whitespace=True
    ),
]
Password = Annotated[Text, StringConstraints(min_length=8, max_length=256)]


def _check_locale(value: str | None) -> str | None:
    if value is not None and value not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale; use one of {', '.join(SUPPORTED_LOCALES)}")
    return value


def _check_timezone(value: str | None) -> str | None:
    if value is not None and value not in available_timezones():
        raise ValueError("unknown IANA timezone")
    return value


LocaleCode = Annotated[Text | None, AfterValidator(_check_locale)]
TimezoneName = Annotated[Text | None, AfterValidator(_check_timezone)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: Text
    email: Text | None
    display_name: Text | None
    is_admin: bool
    is_active: bool
    locale: Text | None
    timezone: Text
    last_login_at: SaneDatetime | None
    created_at: SaneDatetime


class LoginRequest(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=256)


class TokenPair(BaseModel):
    user: UserRead
    access_token: Text
    refresh_token: Text
    token_type: Text = "bearer"
    expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: Text = Field(min_length=1, max_length=200)


class UserUpdateMe(BaseModel):
    display_name: Text | None = Field(None, max_length=128)
    email: EmailStr | None = None
    locale: LocaleCode = None
    timezone: TimezoneName = None
    current_password: Text | None = Field(None, max_length=256)
    new_password: Password | None = None


class UserCreate(BaseModel):
    username: Username
    password: Password
    email: EmailStr | None = None
    display_name: Text | None = Field(None, max_length=128)
    is_admin: bool = False
    locale: LocaleCode = None
    timezone: TimezoneName = "UTC"


class UserAdminUpdate(BaseModel):
    email: EmailStr | None = None
    display_name: Text | None = Field(None, max_length=128)
    is_admin: bool | None = None
    is_active: bool | None = None
    locale: LocaleCode = None
    timezone: TimezoneName = None
    password: Password | None = None


class ApiKeyCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=100)
    expires_at: SaneDatetime | None = None


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: Text
    prefix: Text
    created_at: SaneDatetime
    last_used_at: SaneDatetime | None
    expires_at: SaneDatetime | None


class ApiKeyCreated(ApiKeyRead):
    key: Text = Field(description="The key itself. Shown only in this response; store it now.")
