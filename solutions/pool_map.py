"""Exercise 9: pool_map -- a process Pool with apply_async, close and join.

The concept
-----------
Starting a process per call is costly (a fork, or a whole new interpreter under
``spawn``). A ``multiprocessing.Pool(processes)`` starts ``processes`` worker
processes once and hands them tasks. When ``processes`` is ``None`` it starts
``os.cpu_count()`` of them -- from Python 3.13, ``os.process_cpu_count()``:
the CPUs this process may use. Because each worker is a separate interpreter
with its own GIL, CPU-bound pure-Python work really runs in parallel -- on a
2-core machine, close to twice as fast.

* ``pool.apply_async(func, (arg,))`` queues one task and returns at once with
  an ``AsyncResult``; ``result.get()`` later gives the return value, or
  *re-raises in the caller* the exception the task raised in its worker.
* ``pool.close()``: no more tasks will come; the workers exit once the queue is
  empty. ``pool.join()``: wait for them to exit (allowed only after ``close()``
  or ``terminate()``).
* ``pool.terminate()`` kills the workers at once, finished or not -- and that
  is what ``with Pool() as pool:`` does when the block ends. Tasks not yet
  finished then never finish, and their results never arrive: with a ``with``
  block, ``get()`` every result inside it.

``func`` travels to the workers by pickling, so it must be a module-level
function (or a builtin such as ``math.factorial``), never a lambda.

Where it comes from
-------------------
The article's pool::

    if __name__=='__main__':
        p = Pool(4)
        for i in range(5):
            p.apply_async(long_time_task, args=(i,))
        p.close()
        # 调用 join() 之前必须先调用 close()
        p.join()

It creates the pool under ``if __name__=='__main__':``, and must: under
``spawn`` (macOS, Windows) and ``forkserver`` (Linux from 3.14) every worker
imports the main module again, and a ``Pool(4)`` at its top level would try
to start a pool inside each worker, which fails with ``RuntimeError``
(exercise 6 says more).

It throws away the ``AsyncResult`` objects, so it never sees a result -- nor an
exception: a task that raises fails *silently*. Keep every ``AsyncResult`` and
call ``get()`` on each.

The article's table of ``Pool`` methods also says that ``close()`` "等待所有进程
结束后，才关闭进程池" (waits for every process to end, then closes the pool).
It does not wait: ``close()`` returns at once and only refuses new tasks; the
workers finish the queued ones and exit in the background. ``join()`` is what
waits for them.

What to write
-------------
``parallel_map(func, items, processes=None) -> list``

* Create a ``multiprocessing.Pool(processes)``.
* ``apply_async(func, (item,))`` for every item, keeping the results in a list.
* ``close()`` then ``join()`` the pool.
* Return ``[r.get() for r in results]``: item order, whatever order the tasks
  finished in.
* If calls raised, re-raise the exception of the *first failing item* (in item
  order, not the first in time) in the caller -- after the pool is cleaned up.
  If something goes wrong before ``close()``, ``terminate()`` and ``join()``
  the pool so that no worker outlives the call either.

``count_primes(limit)`` below is given: a deliberately slow, CPU-bound
workload for trying your pool out (it is what speedup checks use).

What a correct solution guarantees
----------------------------------
* Results in item order; ``[]`` gives ``[]``.
* The calls run in the pool's worker processes: ``processes=N`` gives N
  workers, and N calls running at the same time (``apply_async`` for every
  item before waiting for any) -- so CPU-bound work gets faster than a serial
  loop.
* The exception re-raised is the first failing *item's*, even when a later
  item failed first in time.
* When ``parallel_map`` returns or raises, every pool worker has exited and
  been joined: none is left running, none is left a zombie.
* It works under every start method; the tests run it under ``spawn`` too,
  where each worker imports your module afresh and ``func`` reaches it by
  pickling.

Example::

    >>> parallel_map(count_primes, [10, 100, 1000], processes=2)
    [4, 25, 168]
"""
import multiprocessing


def count_primes(limit):
    """Return how many primes are smaller than ``limit``, by plain trial division.

    Deliberately slow, pure-Python and CPU-bound (given, not an exercise).
    ``count_primes(10) == 4``, ``count_primes(100) == 25``.
    """
    count = 0
    for n in range(2, limit):
        divisor = 2
        while divisor * divisor <= n:
            if n % divisor == 0:
                break
            divisor += 1
        else:
            count += 1
    return count


def parallel_map(func, items, processes=None):
    """Return ``[func(item) for item in items]``, computed in a ``multiprocessing.Pool(processes)``.

    The speedup check times it against the grader's own ``Pool`` on the same CPU-bound
    work and machine: it must reach about three quarters of that speedup.
    """
    items = list(items)
    if not items:
        return []  # no work: don't pay for starting worker processes
    pool = multiprocessing.Pool(processes)
    try:
        # Keep every AsyncResult: it is the only way to get a value, or the
        # task's exception, back. apply_async returns at once, so all the
        # tasks are queued and the workers run them concurrently.
        results = [pool.apply_async(func, (item,)) for item in items]
    except BaseException:
        # Nothing must outlive the call, even on a failure here.
        pool.terminate()
        pool.join()
        raise
    # close() then join(): close() only refuses new tasks; join() waits while
    # the workers finish every queued task and exit. (`with Pool()` would do
    # too, with every get() inside the block: its exit calls terminate(),
    # which kills the tasks not yet finished.)
    pool.close()
    pool.join()
    # All tasks are done and the pool is gone. Asking in item order makes the
    # first failing *item* raise, whichever task failed first in time.
    return [result.get() for result in results]
