# mutant: ThreadPoolExecutor() with its default max_workers (min(32, cpu_count + 4)): fewer than the calls
# expect-fail: parallel.io_overlap


def run_io_bound(func, args_list):
    with concurrent.futures.ThreadPoolExecutor() as executor:
        futures = [executor.submit(func, *args) for args in args_list]
    return [future.result() for future in futures]
