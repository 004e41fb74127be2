"""What machine clients and other systems use: API keys, webhooks, the audit trail."""
