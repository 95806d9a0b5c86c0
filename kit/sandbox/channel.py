"""The sandbox's one channel to the judge: JSON lines, each authenticated.

Every line is ``MAC SP BODY`` where BODY is a JSON object ``{"pid", "seq", "event", ...}``
and MAC is BLAKE2b keyed with a secret that the judge gave this sandbox on stdin. The
judge accepts a line only if its MAC is right and its ``seq`` is the next one for its
``pid``; anything else (a line written to the descriptor by learner code, a gap, a
replay) is tampering, decided by the judge (``kit.engine.runner``).

Why this holds against code in the same process (see the threat model in README.md):

- ``open_channel`` returns ``send`` as a closure; the key lives only in that closure and
  the entry's frame. Neither is stored in a module, a class or an object handed to
  learner code, so reaching them needs a frame of the main thread, ``gc`` or ``ctypes``,
  routes the audit hook closes (``kit.sandbox.audit``).
- ``send`` and the encoder use only objects captured here, before any learner code runs,
  as default arguments (C functions and types): patching ``json``, ``os``, ``hashlib`` or
  ``builtins`` later changes nothing it calls.
- Before each write it checks that the descriptor is still the pipe it was given
  (``fstat``): a learner that closes it or ``dup2``s something else over it makes the
  sandbox exit at once with ``EXIT_CHANNEL``, which the judge reports as tampering.

Imports nothing from the kit: a leaf the entry point (``kit.sandbox.entry``) uses.
"""
import _json
import os
import threading
from _blake2 import blake2b  # the C type itself (importing hashlib would start OpenSSL: ~5 ms a sandbox)

EXIT_CHANNEL = 97   # the sandbox's channel was interfered with: the judge reports tampering
MAC_BYTES = 16
MAX_DEPTH = 40      # deeper values are cut: nothing a probe observes is this deep


def encoder():
    """``encode(value) -> str``: JSON for dicts, lists, tuples, str, int, float, bool and None.

    Anything else becomes its ``repr`` (a string). Subclasses are read through the base
    type's own C methods (``dict.items``, ``list.__iter__``, ``int.__repr__``), so a value
    built by learner code cannot change what is written by overriding ``items``,
    ``__iter__`` or ``__repr__`` of a str, int or float subclass.
    """
    def encode(v, depth=0, _str=str, _int=int, _float=float, _bool=bool, _dict=dict, _list=list,
               _tuple=tuple, _type=type, _sub=issubclass, _esc=_json.encode_basestring_ascii,
               _items=dict.items, _iter=list.__iter__, _titer=tuple.__iter__, _irepr=int.__repr__,
               _frepr=float.__repr__, _repr=repr, _join=", ".join, _max=MAX_DEPTH):
        if v is None:
            return "null"
        if v is True:
            return "true"
        if v is False:
            return "false"
        if _sub(_type(v), _str):
            return _esc(v)
        if _sub(_type(v), _bool):
            return "true" if _int.__bool__(v) else "false"
        if _sub(_type(v), _int):
            return _irepr(v)
        if _sub(_type(v), _float):
            r = _frepr(v)
            return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(r, r)
        if depth >= _max:
            return _esc("<too deep>")
        if _sub(_type(v), _dict):
            return "{" + _join([_esc(k if _type(k) is _str else _repr(k)) + ": " + encode(x, depth + 1)
                                for k, x in _items(v)]) + "}"
        if _sub(_type(v), _list):
            return "[" + _join([encode(x, depth + 1) for x in _iter(v)]) + "]"
        if _sub(_type(v), _tuple):
            return "[" + _join([encode(x, depth + 1) for x in _titer(v)]) + "]"
        try:
            text = _repr(v)
        except BaseException:  # noqa: BLE001 - a repr that raises is still an observation
            text = f"<{_type(v).__name__} with a failing repr>"
        return _esc(text if _type(text) is _str else "<repr>")
    return encode


def open_channel(fd: int, key: bytes, pid: int):
    """``send(event, **data)`` writing authenticated lines to ``fd``; see the module docstring.

    ``pid`` is the sender's id as the judge knows it (its pid in the sandbox's namespace);
    a forked child resets its own sequence (``os.register_at_fork``) and sends as itself.
    """
    st = os.fstat(fd)
    ident = (st.st_dev, st.st_ino)
    state = [pid, 0]
    lock = threading.Lock()
    encode = encoder()

    def after_fork(state=state, getpid=os.getpid):
        state[0], state[1] = getpid(), 0

    os.register_at_fork(after_in_child=after_fork)

    def send(event, _data=None, *, _fd=fd, _key=key, _state=state, _lock=lock, _encode=encode,
             _mac=blake2b, _write=os.write, _fstat=os.fstat, _exit=os._exit, _ident=ident,
             _mv=memoryview, _len=len, _dict=dict, **data):
        body = _dict(data)
        if _data:
            body.update(_data)
        with _lock:
            body["pid"], body["seq"], body["event"] = _state[0], _state[1], event
            _state[1] += 1
            try:
                text = _encode(body).encode("ascii")
                tag = _mac(text, key=_key, digest_size=MAC_BYTES).hexdigest().encode("ascii")
                st = _fstat(_fd)
                if (st.st_dev, st.st_ino) != _ident:
                    _exit(EXIT_CHANNEL)
                view = _mv(tag + b" " + text + b"\n")
                while _len(view):
                    view = view[_write(_fd, view):]
            except BaseException:  # noqa: BLE001 - a channel we cannot write is one we must not trust
                _exit(EXIT_CHANNEL)

    return send


def verify(line: bytes, key: bytes):
    """Judge side: the body of an authentic line as a dict, or None. (Pure: no state.)"""
    import hmac
    import json
    tag, sep, text = line.partition(b" ")
    if not sep:
        return None
    want = blake2b(text, key=key, digest_size=MAC_BYTES).hexdigest().encode("ascii")
    if not hmac.compare_digest(tag, want):
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("seq"), int) else None
