"""Exercise 10: choose_executor -- threads for IO-bound work, processes for CPU-bound work.

The concept
-----------
The default build of CPython runs Python bytecode in one thread at a time: a
thread must hold the *GIL* (global interpreter lock) to execute Python code. A
thread that waits -- on a socket, a disk read, ``time.sleep`` -- releases the
GIL while it waits. (The free-threaded builds -- 3.13t, 3.14t, where
``sys._is_gil_enabled()`` returns ``False`` -- have no GIL and do run threads
in parallel. They are officially supported from 3.14 (PEP 779), but remain a
separate, optional build: the rule below is for the default build, which is
what you almost certainly have.) Hence the rule of thumb:

* **IO-bound work** (mostly waiting): use *threads*. They are cheap, share
  memory, and while one waits the others run, so 32 calls that each wait 0.2 s
  take about 0.2 s in 32 threads. More threads help up to a limit; here the
  limit is ``MAX_IO_THREADS = 32`` threads at once.
* **CPU-bound work** (mostly computing in Python): threads do not help -- on
  the default build only one of them at a time holds the GIL and runs. Use
  *processes*, each with its own interpreter and GIL, and run as many at once
  as there are CPUs available to this process: more than that only adds
  switching. (Not all computing holds the GIL: C code that releases it while it
  works -- ``hashlib`` on large data, ``zlib``, most of NumPy -- does run in
  parallel in threads.) "Available" is ``len(os.sched_getaffinity(0))`` where
  it exists (Linux; ``os.process_cpu_count()`` from 3.13): ``taskset``, or a
  container limited to some CPUs (a cpuset: ``docker --cpuset-cpus``), gives
  this process fewer CPUs than ``os.cpu_count()`` reports. A CPU *quota*
  (``docker --cpus=2``) limits CPU time, not which CPUs, and does not show
  there. ``available_cpus()`` below (given) does this.

``concurrent.futures`` gives both behind one interface:
``ThreadPoolExecutor(max_workers=n)`` and ``ProcessPoolExecutor(max_workers=n)``.
``executor.submit(func, *args)`` returns a ``Future``; ``future.result()``
returns the value or re-raises the call's exception. ``with executor:`` waits
for every call and shuts the workers down (joins them) when the block ends.
For processes, ``func`` and its arguments are pickled, so ``func`` must be a
module-level function or a builtin; and a script that calls ``run_cpu_bound``
does it under ``if __name__ == "__main__":`` (exercise 6 says why).

Where it comes from
-------------------
The article's last section, "如何选择" (how to choose), sums it up in one line::

    计算密集型任务选择多进程，IO 密集型任务（如爬虫）选择多线程
    (CPU-bound tasks: choose processes; IO-bound tasks, such as crawlers: choose threads)

and adds that for CPU-bound work "the number of tasks running at once should
equal the number of CPU cores". This exercise turns that advice into two
functions.

What to write
-------------
* ``run_io_bound(func, args_list) -> list``: call ``func(*args)`` for every
  tuple in ``args_list`` in *threads* of this process, running
  ``min(len(args_list), MAX_IO_THREADS)`` calls at once. No child processes.
* ``run_cpu_bound(func, args_list) -> list``: call ``func(*args)`` for every
  tuple in *worker processes*, ``available_cpus()`` of them.

Both return the results in ``args_list`` order, return ``[]`` for ``[]``, and,
if calls raised, re-raise the exception of the *first failing call in
``args_list`` order* (not the first in time), after every worker is done.

What a correct solution guarantees
----------------------------------
* ``run_io_bound``: up to 32 calls really wait at the same time; never more
  than 32 at once; everything runs in the calling process.
* ``run_cpu_bound``: the calls run in other processes, ``available_cpus()``
  of them at once (never more: the tests restrict this process to one CPU and
  check), and CPU-bound work gets faster than a serial loop when the machine
  has more than one CPU. It works under every start method; the tests run it
  under ``spawn`` too, where each worker imports your module afresh and
  ``func`` reaches it by pickling.
* Every thread and process started is joined before either function returns
  or raises.

Example::

    >>> import operator, time
    >>> len(run_io_bound(time.sleep, [(0.2,)] * 32))   # about 0.2 s, not 6.4 s
    32
    >>> run_cpu_bound(operator.pow, [(2, 10), (3, 3)])
    [1024, 27]
"""
import concurrent.futures
import os

MAX_IO_THREADS = 32


def available_cpus():
    """How many CPUs this process may run on (given, not an exercise)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_io_bound(func, args_list):
    """Run ``func(*args)`` for each ``args`` in threads, up to ``MAX_IO_THREADS`` at once; results in order."""
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []  # ThreadPoolExecutor(max_workers=0) is an error
    # Threads: IO-bound calls spend their time waiting, with the GIL released,
    # so they overlap in one process. One thread per call, capped at 32.
    workers = min(len(args_list), MAX_IO_THREADS)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as executor:
        futures = [executor.submit(func, *args) for args in args_list]
    # Leaving the with block waited for every call and joined the threads.
    # Asking in args_list order re-raises the first failing call's exception.
    return [future.result() for future in futures]


def run_cpu_bound(func, args_list):
    """Run ``func(*args)`` for each ``args`` in ``available_cpus()`` worker processes; results in order.

    The speedup check times it against the grader's own ``Pool`` on the same CPU-bound
    work and machine: it must reach about three quarters of that speedup.
    """
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []  # no work: don't pay for starting processes
    # Processes: CPU-bound Python code holds the GIL, so only separate
    # interpreters run it in parallel; one per available CPU, since more
    # would only take turns on the same cores.
    with concurrent.futures.ProcessPoolExecutor(max_workers=available_cpus()) as executor:
        futures = [executor.submit(func, *args) for args in args_list]
    # The with block waited for every call and joined the worker processes.
    # Asking in args_list order re-raises the first failing call's exception.
    return [future.result() for future in futures]
