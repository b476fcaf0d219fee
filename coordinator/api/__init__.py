"""The API for an ATS: JSON over HTTP under /api/v1/ with an OpenAPI description, API keys that act as service
users, and signed webhooks delivered from a durable outbox."""
