"""Exercise 8: pipe_echo -- talk to a child over a Pipe, and make sure it stops.

The concept
-----------
``multiprocessing.Pipe()`` returns two ``Connection`` objects, the two ends of
one channel (duplex by default: each end can ``send`` and ``recv``).
``send(obj)`` pickles ``obj``; ``recv()`` blocks until an object arrives. When
every copy of the *other* end has been closed, ``recv()`` raises ``EOFError``:
that is how a reader learns that nobody will ever write again.

"Every copy" is the catch. A child process gets its own copy of each
connection passed to it, and under the ``fork`` start method it also inherits a
copy of *every* connection the parent had open at that moment -- including the
parent's own end. So after ``Process(target=worker, args=(child_conn,))``:

* The parent must close *its* copy of ``child_conn`` once the child is
  started. Otherwise, if the child dies, the parent's ``recv()`` never sees EOF
  (the parent itself still holds an open copy of the child's end) and hangs.
* Under ``fork``, the child holds a copy of ``parent_conn`` that it never
  closes. So the parent closing its end is *not* enough to make the child's
  ``recv()`` raise ``EOFError``: the child keeps the channel open itself. A
  worker that only stops on EOF hangs forever under ``fork`` (it works under
  ``spawn`` and ``forkserver``, where the child inherits only what it is
  passed). So such a worker may pass where the default is ``spawn`` (macOS,
  Windows) or ``forkserver`` (Linux from 3.14) and hang under ``fork`` (Linux
  up to 3.13). The reliable way to stop it is an explicit message: here,
  ``None``. Handle EOF too, for the case where the parent disappears.

What carries the bytes depends on the system: on Unix a duplex ``Pipe()`` is a
connected pair of sockets (``socket.socketpair()``) and ``Pipe(duplex=False)``
an OS pipe; on Windows both are named pipes. Whichever it is, its buffer is
bounded: a child whose ``send`` of a big object is not being read cannot
finish, so ``recv()`` before ``join()``.

Where it comes from
-------------------
The article sends one list from a child::

    def f(conn):
        conn.send([42, None, 'hello'])
        conn.close()

    if __name__ == '__main__':
        parent_conn, child_conn = Pipe()
        p = Process(target=f, args=(child_conn,))
        p.start()
        print(parent_conn.recv())   #prints "[42, None, 'hello']"
        p.join()

It starts the child under ``if __name__ == '__main__':``, which a script that
starts processes needs (exercise 6 says why). It receives before it joins,
which is right. It never closes the parent's copy of ``child_conn``, which
is harmless only as long as the child never fails.

What to write
-------------
* ``send_one(conn, obj)``: the child side of ``roundtrip`` -- send ``obj`` on
  ``conn``, then close ``conn``.
* ``roundtrip(obj)``: make a ``Pipe()``; start a child running
  ``send_one`` on one end; receive the object on the other end; join the child;
  return what was received.
* ``echo_worker(conn)``: for each message ``m`` received, send ``m`` back.
  Stop when ``m is None`` (do not echo it) or when ``recv()`` raises
  ``EOFError``; close ``conn``; return normally, so the process exits with 0.
* ``ping_pong(messages) -> list``: make a duplex ``Pipe()``; start
  ``echo_worker`` in a child on one end; close the parent's copy of that end;
  for each message, send it and receive its echo; send ``None``; close the
  parent's end; join the child; return the echoes. Messages are never
  ``None``.

What a correct solution guarantees
----------------------------------
* ``roundtrip`` and ``ping_pong`` return under every start method -- the tests
  run them under ``spawn``, and ``ping_pong`` under ``fork``, whatever the
  default -- and join their child, so nothing is left
  running or as a zombie: the child is told to stop (``None``), not left
  waiting for an EOF that ``fork`` prevents.
* ``echo_worker`` stops cleanly both on ``None`` (without echoing it) and on
  EOF -- in a ``spawn`` child whose parent closed its end, it exits with code
  0 -- and closes its end.

Example::

    >>> roundtrip([42, None, 'hello'])
    [42, None, 'hello']
    >>> ping_pong([1, "two", [3]])
    [1, 'two', [3]]
"""
import multiprocessing


def send_one(conn, obj):
    """Child side of ``roundtrip``: send ``obj`` on ``conn``, then close ``conn``."""
    conn.send(obj)
    # Close when done: once every copy of this end is closed, a reader gets
    # EOFError instead of waiting for more.
    conn.close()


def roundtrip(obj):
    """Have a child process send ``obj`` back over a ``Pipe``; return what arrived.

    Big objects too (the tests send megabytes): ``recv()`` before ``join()``.
    """
    parent_conn, child_conn = multiprocessing.Pipe()
    process = multiprocessing.Process(target=send_one, args=(child_conn, obj))
    process.start()
    # The child has its own copy now. Closing ours means that if the child dies
    # before sending, recv() raises EOFError instead of waiting forever.
    child_conn.close()
    try:
        # recv() before join(): a child sending more than the pipe's buffer
        # holds (it is bounded) cannot finish until we read.
        return parent_conn.recv()
    finally:
        parent_conn.close()
        process.join()


def echo_worker(conn):
    """Send back every message received on ``conn`` until ``None`` or EOF; then close ``conn``."""
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                # Every copy of the other end is closed: nobody will write again.
                break
            # The explicit stop message: the only signal that works under fork,
            # where this child holds its own inherited copy of the parent's end.
            if message is None:
                break
            conn.send(message)
    finally:
        conn.close()


def ping_pong(messages):
    """Send each message to an ``echo_worker`` child and collect the echoes, in order."""
    parent_conn, child_conn = multiprocessing.Pipe()
    process = multiprocessing.Process(target=echo_worker, args=(child_conn,))
    process.start()
    # Close the parent's copy of the child's end: if the child dies, our recv()
    # then raises EOFError instead of hanging.
    child_conn.close()
    echoes = []
    try:
        for message in messages:
            parent_conn.send(message)
            echoes.append(parent_conn.recv())
    finally:
        # Say "stop" explicitly, on every path: closing our end is not enough
        # under fork, because the child inherited a copy of it and so never
        # sees EOF.
        try:
            parent_conn.send(None)
        except OSError:
            pass  # the child is already gone
        parent_conn.close()
        process.join()
    return echoes
