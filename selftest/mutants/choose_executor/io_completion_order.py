# mutant: run_io_bound collects results as they complete (as_completed), not in argument order
# expect-fail: correct.io_results


def run_io_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(args_list), MAX_IO_THREADS)) as executor:
        futures = [executor.submit(func, *args) for args in args_list]
        return [f.result() for f in concurrent.futures.as_completed(futures)]
