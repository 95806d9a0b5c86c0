# mutant: each worker gets func once through a closure initializer: fine under fork, unpicklable under spawn
# expect-fail: correct.spawn

_worker_func = None


def _call(*args):
    return _worker_func(*args)


def run_cpu_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []

    def install():  # runs once in each worker process: "send func once, not with every call"
        global _worker_func
        _worker_func = func

    with concurrent.futures.ProcessPoolExecutor(max_workers=available_cpus(), initializer=install) as executor:
        futures = [executor.submit(_call, *args) for args in args_list]
    return [future.result() for future in futures]
