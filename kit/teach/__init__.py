"""The teacher's tools: ``intake`` (a submission made safe to grade), ``discover`` (a class
folder or a platform's export), ``submission`` (one submission graded for a platform), ``batch``
(a class), ``gradebook``, ``classpage``, ``release`` (the student repository), ``gradescope`` and
``classroom50`` (the platforms)."""
