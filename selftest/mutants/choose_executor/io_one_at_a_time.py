# mutant: IO-bound calls run one at a time (each result awaited before the next submit)
# expect-fail: parallel.io_overlap


def run_io_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(args_list), 32)) as executor:
        return [executor.submit(func, *args).result() for args in args_list]
