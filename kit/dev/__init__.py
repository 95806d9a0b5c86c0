"""The maintainers' tools: ``selftest`` (the hidden suite proved on solutions, stubs, mutants,
alternatives and attacks), ``bench`` (the grader's timing figures; ``flips`` for repeated
verdicts), ``scaffold`` (``new``), ``devcheck`` (``dev-check``), ``translations``."""
