"""Hold calls until the caller joins the thread that runs them (threads_start_join's probes).

A call that returns before it has joined a thread then returns while that thread's call
is provably still running, on every run, instead of only when the scheduler is unlucky.
"""
import sys
import threading

from .calls import call


class JoinGate:
    """Hold calls until the caller joins the thread that runs them.

    Call ``i`` runs ``gate.hold(i)``: unless ``i`` is free, it waits until a monitor sees
    the calling thread inside ``Thread.join`` on the thread running call ``i`` (or
    ``wait`` seconds pass, so code that waits some other way is slowed, never stuck).
    Code that joins every thread is barely slowed; code that returns before joining a
    thread returns while that call is provably still running, on every run.
    """
    POLL = 0.002

    def __init__(self, n, free=(), wait=0.5):
        self.wait = wait
        self.events = [threading.Event() for _ in range(n)]
        self.threads = [None] * n
        for i in free:
            self.events[i].set()
        self.finished = [False] * n

    def hold(self, i):
        self.threads[i] = threading.current_thread()
        self.events[i].wait(self.wait)

    def done(self, i):
        self.finished[i] = True

    def release_all(self):
        for e in self.events:
            e.set()

    def _joined_threads(self, frame):
        out = []
        while frame is not None:
            if frame.f_code.co_name in ("join", "_wait_for_tstate_lock") and \
                    frame.f_code.co_filename.endswith("threading.py"):
                t = frame.f_locals.get("self")
                if isinstance(t, threading.Thread):
                    out.append(t)
            frame = frame.f_back
        return out

    def call(self, fn, *args, timeout):
        """``call(fn, *args)`` with the monitor running; the returned list is copied at once."""
        box = {}
        stop = threading.Event()

        def wrapped():
            box["ident"] = threading.get_ident()
            r = fn(*args)
            # Copy now: threads the learner did not join may still fill the list in later.
            return list(r) if isinstance(r, list) else r

        def monitor():
            while not stop.is_set():
                frame = sys._current_frames().get(box.get("ident"))
                if frame is not None:
                    for t in self._joined_threads(frame):
                        for i, ti in enumerate(self.threads):
                            if ti is t:
                                self.events[i].set()
                stop.wait(self.POLL)

        watcher = threading.Thread(target=monitor, name="kit-monitor", daemon=True)
        watcher.start()
        try:
            out = call(wrapped, timeout=timeout)
            out["caller"] = box.get("ident")
            out["unfinished"] = [i for i, f in enumerate(self.finished) if not f]
            return out
        finally:
            stop.set()
            watcher.join()
            self.release_all()
