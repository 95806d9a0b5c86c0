"""Exercise 2: thread_subclass -- a Thread subclass that keeps its result.

The concept
-----------
There are two ways to give a ``threading.Thread`` its work: pass
``target=...`` to the constructor, or subclass ``Thread`` and override
``run()``. ``start()`` creates the new OS thread, and that new thread calls
``run()``. You never call ``run()`` yourself (that would run the work in *your*
thread), and you do not override ``start()`` or ``join()``.

Where it comes from
-------------------
The article's subclass::

    class MyThread(threading.Thread):
        def __init__(self, n):
            # 重构run函数必须要写  (literally: "required when overriding run")
            super(MyThread, self).__init__()
            self.n = n

        def run(self):
            print("current task：", self.n)
            time.sleep(1)

The call is required, but not for the reason the comment gives. Overriding
``run`` alone needs no ``__init__`` at all. What makes the call necessary is
that ``MyThread`` overrides ``__init__``: Python then runs ``MyThread.__init__``
instead of ``Thread.__init__``, and ``Thread.__init__`` sets up the state that
``start()`` and ``join()`` need -- without it, ``start()`` raises
``RuntimeError: thread.__init__() not called``. The rule, in the words of the
threading docs ("Thread objects"): "If the subclass overrides the constructor,
it must make sure to invoke the base class constructor (``Thread.__init__()``)
before doing anything else to the thread."

``MyThread`` can only print, though. Here the thread runs any function and
keeps what it returned -- or what it raised -- on the object, where the caller
reads it after ``join()``. By default an
exception in a thread is printed by ``threading.excepthook`` and lost; this
class captures it instead.

What to write
-------------
``class TaskThread(threading.Thread)``

* ``__init__(self, func, args=(), kwargs=None, *, name=None)``: call the parent
  ``__init__`` (passing ``name`` on, so it becomes ``Thread.name``), remember
  ``func``, ``args`` and ``kwargs`` (``None`` means no keyword arguments) and set
  ``self.result = None`` and ``self.error = None``. Do not call ``func`` here.
* ``run(self)``: call ``func(*args, **kwargs)``; store the return value in
  ``self.result``, or, if it raised an ``Exception``, store the exception
  object in ``self.error`` (and do not let it escape ``run``).

What a correct solution guarantees
----------------------------------
* ``func`` is not called before ``start()``, and it runs in the new thread.
* After ``join()``: ``.result`` is the return value and ``.error`` is ``None``;
  or ``.error`` is the exception raised and ``.result`` is ``None``. Nothing is
  printed for a captured exception.
* ``start()`` and ``join()`` are the inherited ones, not overridden.
* State is per instance: two ``TaskThread`` objects never share results, even
  while they run at the same time.
* Several ``TaskThread`` objects started together really run at the same time
  (the tests make them wait for each other at a barrier).

Example::

    >>> t = TaskThread(pow, (2, 10), name="power")
    >>> t.start(); t.join()
    >>> t.result, t.error, t.name
    (1024, None, 'power')
"""
import threading


class TaskThread(threading.Thread):
    """A thread that runs ``func(*args, **kwargs)`` and keeps its outcome."""

    def __init__(self, func, args=(), kwargs=None, *, name=None):
        # TODO: call the parent __init__ with name=name; store func, args and
        #       kwargs (None -> {}); set self.result and self.error to None.
        raise NotImplementedError("call super().__init__(name=name), store func/args/kwargs, set result/error")

    def run(self):
        """Runs in the new thread, called by ``start()``: never call it directly."""
        # TODO: call the stored func with its args and kwargs; keep the return
        #       value in self.result, or the Exception in self.error.
        raise NotImplementedError("call func(*args, **kwargs); store the result or the exception")
