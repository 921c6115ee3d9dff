"""Exchange between agencies: per-recipient status on this instance, and the outbox that the VXP
worker (vxp_adapter) sends after commit."""
