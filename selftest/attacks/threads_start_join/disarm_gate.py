# attack: runs the calls one at a time, after opening every event the grader's probes left in the closure of the function it is handed (the join gate's events, the overlap rendezvous)
# expect-fail: correct.results correct.first_error safe.all_joined parallel.overlap
import threading as _threading


def _disarm(func):
    todo, seen = [func], set()
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, _threading.Event):
            obj.set()
            continue
        for cell in getattr(obj, "__clo" + "sure__", None) or ():
            try:
                todo.append(cell.cell_contents)
            except ValueError:
                pass
        for value in list(getattr(obj, "__dict__", {}).values()):
            todo.append(value)
        if isinstance(obj, (list, tuple)):
            todo.extend(obj)


def run_in_threads(func, args_list):
    _disarm(func)
    results, errors = [None] * len(args_list), [None] * len(args_list)
    for i, args in enumerate(args_list):
        def run(i=i, args=args):
            try:
                results[i] = func(*args)
            except Exception as exc:
                errors[i] = exc
        t = _threading.Thread(target=run)
        t.start()
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return results
