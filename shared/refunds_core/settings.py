"""The environment every function reads, validated once per execution environment."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    TABLE_NAME: str = Field(min_length=3)
    TOKEN_SIGNING_SECRET_ID: str = Field(min_length=1)
    # How long an access token lives; merchants re-authenticate after it.
    TOKEN_TTL_SECONDS: int = Field(default=3600, ge=60, le=86400)
    # How long a function trusts the signing key it read before reading it again
    # (a rotated key reaches every function within this many seconds). The
    # caller's account is another matter: auth.ACCOUNT_CACHE_SECONDS.
    CACHE_TTL_SECONDS: int = Field(default=60, ge=0, le=900)
    # Refund events and webhooks (only the functions that use them get these).
    EVENTS_TOPIC_ARN: str | None = None
    WEBHOOK_DELIVERIES_QUEUE_URL: str | None = None
    # Where a delivery goes once its retry schedule is spent (the deliverer only).
    WEBHOOK_DEAD_LETTER_QUEUE_URL: str | None = None
    # Idempotency-Key records (only the POST, PATCH and DELETE functions get it).
    IDEMPOTENCY_TABLE_NAME: str | None = None
    # Seconds before each retry of a failed webhook delivery; after the last
    # one the delivery is marked failed and dead-lettered (the event is kept for
    # replay). SQS caps a delay at 12 h.
    WEBHOOK_RETRY_SCHEDULE: str = Field(default="5,300,1800,7200,18000,36000,36000",
                                        pattern=r"^[0-9]{1,5}(,[0-9]{1,5})*$")
    # Only the local runtime sets it: webhooks to http://127.0.0.1 are allowed.
    WEBHOOK_ALLOW_LOOPBACK: bool = False
    # The most CSV an export answers, in bytes as its rows weigh JSON-escaped in
    # the Lambda response (at most 6 MB with its headers); more is refused (15300).
    EXPORT_MAX_BYTES: int = Field(default=6_000_000, ge=1, le=6_000_000)
    # Refunds per Query of an export: in AWS a page of 200 (~300 KB) answers in
    # tens of ms, so 6 MB of CSV is about a hundred Queries; the local runtime's
    # moto takes milliseconds per item, and sets fewer (localrun/runtime.py).
    EXPORT_PAGE_SIZE: int = Field(default=200, ge=1, le=1000)

    @property
    def retry_delays(self) -> tuple[int, ...]:
        return tuple(min(int(delay), 43_200) for delay in self.WEBHOOK_RETRY_SCHEDULE.split(","))


def allowed_origin() -> str:
    """``CORS_ALLOW_ORIGIN``: the browser origin the API's answers allow (``*``:
    any; the template's ApiAllowedOrigin). Read on its own, when a function
    builds its resolver at import, where the other settings need not be set."""
    return os.environ.get("CORS_ALLOW_ORIGIN") or "*"


@cache
def settings() -> Settings:
    return Settings.model_validate(dict(os.environ))
