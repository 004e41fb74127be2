"""The names jobs are queued under: shared by the jobs themselves and by the relay."""

RELAY_OUTBOX = "relay_outbox"
REFRESH_CUSTOMER = "refresh_customer"
REFRESH_CAMPAIGNS = "refresh_campaigns"
REFRESH_REPLENISHMENT = "refresh_replenishment"
NIGHTLY_RECOMPUTE = "nightly_recompute"
RECOMPUTE_STEP = "recompute_step"
HOUSEKEEPING = "housekeeping"
