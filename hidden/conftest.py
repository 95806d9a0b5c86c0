"""The hidden suite. Run it through ``python -m kit grade`` (``nox -s grade``), which loads
``kit.engine.plugin``, passes the submission, the seed and a private result channel, and writes
the reports. Checks never import learner code: probes (``EXERCISE/probes.py``) do, in sandboxes.
"""
