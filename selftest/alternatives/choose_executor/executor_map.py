# alternative: Executor.map (results in order; the first failing call's exception, in argument order)


def run_io_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(32, len(args_list))) as ex:
        return list(ex.map(lambda args: func(*args), args_list))


def run_cpu_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []
    with concurrent.futures.ProcessPoolExecutor(max_workers=available_cpus()) as ex:
        return list(ex.map(func, *zip(*args_list)))
