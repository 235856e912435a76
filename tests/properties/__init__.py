"""Properties every command must have, tested across modules (bad input, crashes, secrets, faults, variants,
access)."""
