"""One grade: ``grade`` drives it; ``stage`` builds the sandbox's view; ``runner`` runs a probe
in a sandbox (``isolation`` says how strict); ``plugin`` is the pytest side of the hidden
checks; ``verdict`` is the check API and its one message builder; ``speedup`` decides the timing
checks; ``scan`` reads submissions statically; ``report`` writes what a grade found."""
