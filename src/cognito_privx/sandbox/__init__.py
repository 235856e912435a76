"""Local stand-ins for PrivX (the emulator) and Cognito (moto), for tests, the sandbox and the demo."""
