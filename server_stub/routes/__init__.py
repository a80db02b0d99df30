"""HTTP routes of the sync protocol (devices, sync, cards, health)."""
