"""Integrations: what other systems and clients use to follow and reach the platform.

API keys for machine clients, registered (persisted) GraphQL operations, webhook endpoints
with their deliveries, and the reading of the audit trail. Everything here builds on the
outbox (`domain.core.ops`): committed events only, in commit order.
"""
