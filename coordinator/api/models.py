"""API keys, what they did (for rate limits and replays), and webhook endpoints with their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.dbtypes import UTCDateTime, one_of
from coordinator.enums import LabelledEnum, LabelOf
from coordinator.extensions import db
from coordinator.timeutil import now_utc


class ApiKey(db.Model):
    """A key an admin made for one integration. Only its SHA-256 is stored (the key is 32 random bytes, so a
    fast hash is enough); the key itself is shown once. It acts as its own service user (`user`), whose rights
    the usual permission rules check, narrowed by the key's scopes."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the integration is ("Greenhouse sync")
    name: Mapped[str] = mapped_column(String(120))
    #: the key's first characters, shown in lists so people can tell keys apart
    prefix: Mapped[str] = mapped_column(String(16))
    #: hex SHA-256 of the whole key
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: granted scopes, "loops:read", "candidates:write", ...
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the service user the key acts as
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: the admin who made it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when it was made
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: when it was revoked; a revoked key opens nothing
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: last call made with it (updated at most once a minute)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_dt is None


class ApiCall(db.Model):
    """One call made with a key, kept a day: the rate limit counts them (coordinator.ratelimit)."""

    __tablename__ = "api_calls"
    __table_args__ = (Index("ix_api_calls_key_created", "key_id", "created_dt"),
                      Index("ix_api_calls_created", "created_dt"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the key
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    #: when (UTC)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class IdempotentResponse(db.Model):
    """The response to a creating call sent with an Idempotency-Key: the same key again gets the same response
    (nothing is created twice); the same key with another request is refused (422). Kept a day."""

    __tablename__ = "api_idempotent_responses"
    __table_args__ = (UniqueConstraint("key_id", "idempotency_key"),
                      Index("ix_api_idempotent_responses_created", "created_dt"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the API key that sent it
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    #: the client's Idempotency-Key header
    idempotency_key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of method, path and body: the same key must come with the same request
    request_hash: Mapped[str] = mapped_column(String(64))
    #: the stored response
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text, default="")
    #: Location and ETag headers of the response
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: when (UTC)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class WebhookEvent(LabelledEnum):
    LOOP_BOOKED = "loop.booked", "Loop booked"
    LOOP_CHANGED = "loop.changed", "Loop changed"
    LOOP_CANCELLED = "loop.cancelled", "Loop cancelled"
    SCORECARD_SUBMITTED = "scorecard.submitted", "Scorecard submitted"
    DECISION_RECORDED = "decision.recorded", "Decision recorded"
    CANDIDATE_SELF_BOOKED = "candidate.self_booked", "Candidate booked their own times"


class WebhookEndpoint(db.Model):
    """Where events are sent: an admin registers a URL and the events it wants. Its signing secret is stored
    encrypted (availability.credentials) because deliveries need it."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the receiver (https, or http for a receiver on the same network)
    url: Mapped[str] = mapped_column(String(500))
    #: one line saying what it is
    description: Mapped[str] = mapped_column(String(200), default="")
    #: the events it receives (WebhookEvent values)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the signing secret, encrypted
    secret_encrypted: Mapped[str] = mapped_column(Text)
    #: a disabled endpoint gets no new deliveries (an admin's choice, or its receiver answered 410 Gone)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: why it is disabled
    disabled_reason: Mapped[str] = mapped_column(String(300), default="")
    #: the admin who registered it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True,
        order_by="WebhookDelivery.id.desc()", lazy="dynamic")


class DeliveryStatus(LabelledEnum):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(db.Model):
    """One event for one endpoint: the outbox row the scheduler process sends (claimed the way the e-mail outbox
    claims), with the last response the receiver gave."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id"), one_of("status", DeliveryStatus),
                      Index("ix_webhook_deliveries_due", "status", "next_attempt_dt"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the endpoint
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    #: the event's id, the same for every endpoint and every retry ("loop.booked:12:v4"): receivers dedupe on it
    event_id: Mapped[str] = mapped_column(String(120))
    #: one of WebhookEvent
    event_type: Mapped[str] = mapped_column(String(40))
    #: the JSON body sent, exactly as signed
    payload: Mapped[str] = mapped_column(Text)
    #: one of DeliveryStatus
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    #: tries so far
    attempts: Mapped[int] = mapped_column(default=0)
    #: when the next try is due (while pending), or the claim ends (while sending)
    next_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the event happened
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: when the receiver accepted it (2xx)
    delivered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the receiver's last HTTP status; None when it could not be reached
    last_status: Mapped[int | None] = mapped_column()
    #: the start of the receiver's last response body, or what went wrong
    last_response: Mapped[str] = mapped_column(Text, default="")

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")

    status_label = LabelOf("status", DeliveryStatus)
