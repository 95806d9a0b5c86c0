"""Shared by the learner tests: call learner code with a deadline, so a deadlock fails one
test with a message instead of stopping the whole run."""
import multiprocessing
import threading

import pytest

LOCK_HINT = ("A threading.Lock is not reentrant, so a method holding self.lock must not call "
             "another method that takes it again.")


def within(seconds, description, func, *args, hint="", **kwargs):
    """Return ``func(*args, **kwargs)``, or fail if it has not returned after ``seconds``.

    On a time-out the child processes it started are killed, so nothing is left running.
    """
    box = {}

    def call():
        try:
            box["value"] = func(*args, **kwargs)
        except BaseException as error:  # handed to the test below
            box["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for child in multiprocessing.active_children():
            child.kill()
            child.join(5)
        pytest.fail(f"Called {description}. It had not returned after {seconds:g} s: a deadlock?"
                    + (f" {hint}" if hint else ""))
    if "error" in box:
        raise box["error"]
    return box.get("value")
