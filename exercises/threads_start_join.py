"""Exercise 1: threads_start_join -- start every thread, then join every thread.

The concept
-----------
A ``threading.Thread`` runs a function concurrently with the rest of the
program. ``t.start()`` launches it and returns at once; ``t.join()`` waits
until that thread has finished. Threads share the interpreter's memory, so
they are cheap, and while one waits (on a socket, a file, ``time.sleep``) the
others run. That is why threads suit IO-bound work.

Where it comes from
-------------------
The article starts two threads and joins both::

    t1 = threading.Thread(target=func, args=("thread 1",))
    t2 = threading.Thread(target=func, args=("thread 2",))
    t1.start()
    t2.start()
    t1.join()
    t2.join()

and then, for "many threads", suggests::

    for i in range(200):
        t = threading.Thread(target=func, args=('thread {}'.format(i),))
        t.start()
    for i in range(200):
        t.join()

That second loop is wrong: ``t`` is the *last* thread created, so it is joined
200 times and the other 199 are never joined. The program only "works" because
every thread sleeps for the same time. Keep every ``Thread`` object in a list
and join each one.

A thread also cannot hand back a return value: ``Thread(target=f)`` throws away
whatever ``f`` returns, and an exception raised in the thread is printed and
lost, never seen by the caller. You have to catch both inside the thread and
store them somewhere the caller can read after ``join()``.

What to write
-------------
``run_in_threads(func, args_list) -> list``

* Call ``func(*args)`` for every tuple ``args`` in ``args_list``, each call in
  its own ``threading.Thread``.
* Start every thread before joining any (otherwise the calls run one after
  another and you gain nothing).
* Return the return values in ``args_list`` order -- not in the order the
  threads happened to finish.
* ``run_in_threads(f, [])`` returns ``[]``.

What a correct solution guarantees
----------------------------------
* Every thread is joined before the function returns -- even when some calls
  raised. No thread it started is still running afterwards.
* If one or more calls raised, the exception of the *first failing call in
  ``args_list`` order* (not the first in time) is re-raised in the caller,
  after all threads have been joined.

Example::

    >>> import operator
    >>> run_in_threads(operator.mul, [(2, 3), (4, 5)])
    [6, 20]
"""
import threading


def run_in_threads(func, args_list):
    """Run ``func(*args)`` for each ``args`` in ``args_list``, one thread per call.

    Returns the results in ``args_list`` order; re-raises the first failing
    call's exception (in ``args_list`` order) once every thread is joined.
    """
    # TODO: make one slot per call for its result or exception; wrap func so the
    #       thread stores into its slot; create and start one Thread per args
    #       tuple (keep them all in a list); join every one of them; then
    #       re-raise the first stored exception (args_list order) or return
    #       the results.
    raise NotImplementedError("start a Thread per args tuple, join them all, return results in order")
