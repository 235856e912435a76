"""Tests of ``reconcile``: the order of setup, plan and teardown on moto and the emulator."""
