"""Seals on the harness's own objects: what learner code changed in them is tampering.

Learner code is handed instruments (a ``TrackedLock`` as ``self.lock``, a watched object
whose hooks close over the lockset) and can follow references from them to the scene,
the interleaver or the rendezvous, and rebind what they are made of: empty
``scene.on_access`` so no interleaving is forced, set an interleaver's ``timeout`` to 0,
swap a lock's inner lock. ``seal(obj)`` records, from the probe's main thread before the
learner's calls, the identity of each attribute of ``obj`` (and of each element of a
list, tuple, set or dict it holds), except those its class lists in ``DYNAMIC`` (state
the instrument itself changes as it runs); ``broken(seal)`` names what differs. The seal
stays in the probe's frame (the main thread's frames are private: ``kit.sandbox.audit``), and
``scene.run_workers`` checks every instrument of the scene this way after the workers
end, reporting each change through ``tamper`` (an audit event only the grader's hook
hears, and which no learner code can intercept).

Imports nothing from the kit.
"""
import sys

_DICT = object.__getattribute__


def _contents(value, _type=type, _id=id, _tuple=tuple, _map=map, _list=list, _set=set, _dict=dict,
              _sorted=sorted):
    t = _type(value)
    if t in (_list, _tuple):
        return _tuple(_map(_id, value))
    if t is _set or t is frozenset:
        return _tuple(_sorted(_map(_id, value)))
    if t is _dict:
        return _tuple((k, _id(v)) for k, v in _list(_dict.items(value)))
    return None


def seal(obj, _get=_DICT, _type=type, _id=id, _items=dict.items, _list=list, _contents=_contents,
         _frozenset=frozenset):
    """The identity of what ``obj`` is made of now (see the module docstring)."""
    cls = _type(obj)
    dynamic = _frozenset(getattr(cls, "DYNAMIC", ()))
    try:
        attrs = _get(obj, "__dict__")
    except AttributeError:
        attrs = {}
    parts = {}
    for k, v in _list(_items(attrs)):
        if k in dynamic:
            continue
        parts[k] = (_id(v), _contents(v))
    return (obj, _id(cls), parts, dynamic, getattr(cls, "__qualname__", "?"))


def broken(sealed, _get=_DICT, _type=type, _id=id, _items=dict.items, _list=list, _contents=_contents,
           _set=set):
    """Labels of what changed in a sealed object since ``seal``."""
    obj, cls, parts, dynamic, name = sealed
    out = []
    if _id(_type(obj)) != cls:
        out.append(name + ".__class__")
    try:
        attrs = _get(obj, "__dict__")
    except AttributeError:
        attrs = {}
    now = {k: (_id(v), _contents(v)) for k, v in _list(_items(attrs)) if k not in dynamic}
    for k in _set(parts) | _set(now):
        if parts.get(k) != now.get(k):
            out.append(f"{name}.{k}")
    return sorted(out)


def tamper(what, _audit=sys.audit):
    """Report a finding to the judge through the audit hook (``kit.tamper``): the hook sends
    it on the channel with the learner's line; nothing learner code can do stops an audit
    event from reaching a hook added before it ran."""
    _audit("kit.tamper", what)
