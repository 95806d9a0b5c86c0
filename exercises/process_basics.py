"""Exercise 6: process_basics -- start child processes, join them all, subclass Process.

The concept
-----------
A ``multiprocessing.Process`` runs a function in a separate *process*: its own
interpreter, its own memory, its own GIL. That is what lets Python use several
CPU cores at once for pure-Python work, which threads cannot do on the default
build of CPython: there the GIL lets one thread at a time run Python code.
(The free-threaded builds -- 3.13t, 3.14t, where ``sys._is_gil_enabled()``
returns ``False`` -- do run threads in parallel; they are officially supported
from 3.14, PEP 779, but remain a separate, optional build.) The API mirrors
``threading.Thread``: ``p.start()`` launches the child and returns at once,
``p.join()`` waits until it has ended.

Two things differ from threads:

* A process does not hand back a return value. What the parent can read after
  ``join()`` is the *exit code*, ``p.exitcode``: ``0`` when the target returned
  normally, ``n`` when it called ``sys.exit(n)``, ``1`` when it raised an
  uncaught exception, ``-N`` when signal ``N`` killed it (``None`` while it is
  still running). Results travel back through a ``Queue`` or a ``Pipe``
  (exercises 7 and 8).
* The child gets the target and its arguments either as a copy of the parent's
  memory (``fork``, the Linux default up to Python 3.13) or *pickled* and
  re-imported by module name (``spawn``: the default on macOS and Windows;
  ``forkserver``: the Linux default from 3.14). So the target, and every
  ``Process`` subclass, must be defined at module level -- a lambda or a
  nested function only works under ``fork``.

Under ``spawn`` and ``forkserver`` the child imports your main module again
(as ``__mp_main__``) to find the target by name, so everything at the top level
of the script runs again in every child. That is why a script that starts
processes keeps that code under ``if __name__ == "__main__":`` -- in the child
``__name__`` is not ``"__main__"``, so the guarded block does not run there.
Without the guard, each child re-runs the top-level ``p.start()`` while it is
still starting up; multiprocessing refuses with ``RuntimeError`` ("An attempt
has been made to start a new process before the current process has finished
its bootstrapping phase") and the child dies with exit code 1. Under ``fork``
nothing is re-imported, so a missing guard goes unnoticed on Linux up to 3.13
and breaks on macOS, on Windows, and on Linux from 3.14. (The multiprocessing
docs: "Programming guidelines", "Safe importing of main module".) The tests
call your functions, so your module needs no guard; a script of yours that
calls them does.

A finished child that nobody has joined stays a *zombie* in the process table
until its parent reaps it; ``join()`` is what reaps it. (multiprocessing also
reaps finished children whenever another process is started or
``active_children()`` is called, and joins the ones still running at exit --
but by then your code has long read their exit codes.)

Where it comes from
-------------------
The article starts one process with ``Process(target=show, args=...)``, then
subclasses ``Process`` and overrides ``run``::

    class MyProcess(Process):
        def __init__(self, name):
            super(MyProcess, self).__init__()
            self.name = name

        def run(self):
            print('process name :' + self.name)
            time.sleep(1)

    if __name__ == '__main__':
        for i in range(3):
            p = MyProcess(str(i))
            p.start()
        for i in range(3):
            p.join()

It guards the start with ``if __name__ == '__main__':``, as it should (see
above). The second loop has the same bug as the article's thread loop: ``p``
is the *last* process created, so it is joined three times and nobody waits for the
other two. They are not lost -- multiprocessing joins the children still
running when the interpreter exits -- but whatever runs after the loop runs
too early: an exit code read there is ``None`` for a child still running, and
a child that has already ended stays a zombie until something reaps it. Keep
every ``Process`` object in a list and join each one.

What to write
-------------
``run_in_processes(target, args_list) -> list[int]``

* One ``multiprocessing.Process(target=target, args=args)`` per tuple in
  ``args_list``.
* Start every process before joining any (otherwise they run one after the
  other), then join every one of them.
* Return their exit codes in ``args_list`` order -- not in the order the
  children finished. ``[]`` gives ``[]``.

``class SquareProcess(multiprocessing.Process)``, ``__init__(self, numbers, queue)``

* ``__init__`` calls ``super().__init__()`` first, as the article's
  ``MyProcess`` does: a subclass that overrides ``__init__`` must call the
  parent's, or ``start()`` fails (``Process.__init__`` sets up what it needs).
  Then it only *stores* ``numbers`` and ``queue``. ``__init__`` runs in the
  parent, so no work happens there.
* ``run()`` -- what ``start()`` calls *in the child* -- puts the tuple
  ``(os.getpid(), [n * n for n in numbers])`` on ``queue``.

What a correct solution guarantees
----------------------------------
* All children run at the same time: every one is started before the first
  ``join()``.
* Every child that was started is joined before ``run_in_processes`` returns,
  so none is left running and none is left as a zombie.
* ``SquareProcess`` does its work in the child: the pid it reports is the
  child's ``p.pid``, not the parent's, and the squares are computed there too.
* Both work under every start method -- ``fork``, ``spawn``, ``forkserver``;
  the tests run them under ``spawn`` as well, where the target, its arguments
  and the ``SquareProcess`` object reach the child by pickling.

Example::

    >>> import sys
    >>> run_in_processes(sys.exit, [(0,), (3,)])
    [0, 3]
    >>> q = multiprocessing.Queue()
    >>> p = SquareProcess([1, 2, 3], q)
    >>> p.start(); pid, squares = q.get(); p.join()
    >>> squares, pid == p.pid
    ([1, 4, 9], True)
"""
import multiprocessing
import os


def run_in_processes(target, args_list):
    """Run ``target(*args)`` in a child process for each ``args`` in ``args_list``.

    All children are started, then all are joined. Returns their exit codes in
    ``args_list`` order.
    """
    # TODO: one multiprocessing.Process per args tuple; start every one before
    #       joining any; join every one; return their exit codes in order.
    raise NotImplementedError("start one Process per args tuple, join them all, return the exit codes")


class SquareProcess(multiprocessing.Process):
    """A child process that reports ``(its pid, the squares of numbers)`` on ``queue``."""

    def __init__(self, numbers, queue):
        # TODO: call super().__init__() first, then store numbers and queue
        #       on self. Compute nothing here: __init__ runs in the parent.
        raise NotImplementedError("call super().__init__(), then keep numbers and queue")

    def run(self):
        # TODO: put (this process's pid, the squares of self.numbers) on self.queue.
        raise NotImplementedError("put (os.getpid(), squares) on the queue")
