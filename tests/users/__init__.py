"""Tests of the pool's users: the user commands, addresses and usernames, CSV, and both import engines."""
