"""The environment every function reads, validated once per execution environment."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    TABLE_NAME: str = Field(min_length=3)
    TOKEN_SIGNING_SECRET_ID: str = Field(min_length=1)
    # How long an access token lives; merchants re-authenticate after it.
    TOKEN_TTL_SECONDS: int = Field(default=3600, ge=60, le=86400)
    # How long a function trusts what it cached about a caller's account or the
    # signing key before reading it again (a disabled merchant is locked out
    # within this many seconds).
    CACHE_TTL_SECONDS: int = Field(default=60, ge=0, le=900)


@cache
def settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
