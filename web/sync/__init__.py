"""The cloud's side of the hub ↔ cloud sync: site tokens, event ingest, the reservations
feed, and live updates for the e-ticket and board pages."""
