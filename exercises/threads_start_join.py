"""Exercise 1: threads_start_join -- start every thread, then join every thread.

The concept
-----------
A ``threading.Thread`` runs a function concurrently with the rest of the
program. ``t.start()`` launches it and returns at once; ``t.join()`` waits
until that thread has finished. Threads share the interpreter's memory, so
they are cheap, and while one waits (on a socket, a file, ``time.sleep``) the
others run. That is why threads suit IO-bound work.

The article explains ``join`` as "将子线程加入主线程" ("adds the child thread
to the main thread"). It adds nothing and merges nothing: ``t.join()`` only
makes the *calling* thread wait until ``t`` has finished (or until the
timeout, if you pass one); both threads stay what they were.

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

That second loop is wrong: ``t`` is the *last* thread created, so that one
thread is joined 200 times and nobody waits for the other 199. They still
finish -- the interpreter waits for every non-daemon thread before it exits --
but whatever runs after the loop (reading the results, timing the run,
checking for errors) runs while they may still be working. The article's
program only looks right because every thread sleeps for the same time. Keep
every ``Thread`` object in a list and join each one.

A thread also cannot hand back a return value: ``Thread(target=f)`` throws away
whatever ``f`` returns, and an exception raised in the thread is printed and
lost, never seen by the caller. You have to catch both inside the thread and
store them somewhere the caller can read after ``join()``.

What to write
-------------
``run_in_threads(func, args_list) -> list``

* Call ``func(*args)`` for every tuple ``args`` in ``args_list``, each call in
  a new ``threading.Thread`` of its own -- never in the calling thread.
* Start every thread before joining any (otherwise the calls run one after
  another and you gain nothing).
* Return the return values in ``args_list`` order -- not in the order the
  threads happened to finish.
* ``run_in_threads(f, [])`` returns ``[]``.

What a correct solution guarantees
----------------------------------
* All the calls run at the same time: the tests make them wait for each other
  at a barrier, which only works if every thread was started before the first
  ``join()``.
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
    # TODO: run each call in a new Thread of its own; start them all before
    #       joining any; join every one; then return the results in args_list
    #       order, or re-raise the first failing call's exception.
    raise NotImplementedError("start a Thread per args tuple, join them all, return results in order")
