"""Tests of the sandbox's stand-ins themselves: the PrivX emulator, the hosted UI, import jobs, moto's fixes."""
