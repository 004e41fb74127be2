"""The CRM's fixed vocabularies, shared by constraints, rules, GraphQL enums and demo data."""

CUSTOMER_KINDS = ("company", "person")
CUSTOMER_TIERS = ("bronze", "silver", "gold", "platinum")
CUSTOMER_STATUSES = ("lead", "prospect", "active", "churned")
INTERACTION_CHANNELS = ("email", "phone", "meeting", "chat", "web", "social")
INTERACTION_DIRECTIONS = ("inbound", "outbound")
CAMPAIGN_CHANNELS = ("email", "social", "search", "events", "print", "webinar")
CAMPAIGN_STATUSES = ("planned", "active", "completed", "cancelled")
MEMBER_STATUSES = ("targeted", "responded", "converted")
