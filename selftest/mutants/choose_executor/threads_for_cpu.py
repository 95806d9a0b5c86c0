# mutant: threads for CPU-bound work (the GIL lets one run at a time)
# expect-fail: parallel.cpu_processes parallel.cpu_speedup


def run_cpu_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=available_cpus()) as executor:
        futures = [executor.submit(func, *args) for args in args_list]
    return [future.result() for future in futures]
