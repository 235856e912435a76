"""End to end: the installed CLI as a subprocess against ``cognito-privx sandbox``, over real HTTP."""
