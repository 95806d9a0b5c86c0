"""Probes of the kit's own tests (the engine, the sandbox, hostile code), staged into the
sandbox view as ``kit_probes`` only when ``KIT_TEST_PROBES`` names this folder (kit_tests/conftest.py).
Never in the product: grading and the Gradescope zip do not have them."""
