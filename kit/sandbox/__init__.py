"""The sandbox side: everything that runs in a sandbox process, beside learner code.

Nothing here imports the judge side (``kit.engine``) or the learner tools: a sandbox
sees only this package, the submission and the probes (``hidden/*/probes.py`` and
``observe.py``), staged into a folder of their own by ``kit.engine.stage``. A kit test
(``kit_tests/test_layout.py``) fails when that rule is broken.

- ``entry``: the entry point (jail, baseline, hook, probe) and ``channel``, the one
  authenticated channel to the judge; ``frames``, ``integrity``, ``seal``: what keeps the
  evidence honest;
- ``calls``: call learner code with a deadline, import it by name, describe what happened;
- ``joingate``: hold calls until the caller joins the thread that runs them;
- ``scene``: the worker threads of a probe and the monitor the instruments share;
- ``locks``: ``TrackedLock``, a lock that knows its owner, hold count and epoch;
- ``waitfor``: the wait-for graph over tracked locks (``Deadlock`` instead of a hang);
- ``lockset``: watched attributes and the locks held at each access (Eraser style);
- ``schedule``: forced interleavings: holds between a read and a write, rendezvous;
- ``conditions``: a condition variable the probe drives (bounded_buffer's schedules);
- ``cpuwork``: the kit's own CPU-bound work, its calibration and the speedup rounds;
- ``observe``: observation types shared by several exercises' ``observe.py``;
- ``jail``: entering the sandbox as root: mounts, limits, an unprivileged uid;
- ``audit``: the audit hook and the harness snapshot that flag a submission reaching in;
- ``site/sitecustomize.py``: stacks on SIGUSR1, loaded by every sandbox interpreter.
"""
