# mutant: os.cpu_count() instead of the CPUs available to this process (sched_getaffinity)
# expect-fail: parallel.cpu_processes


def run_cpu_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []
    with concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count()) as executor:
        futures = [executor.submit(func, *args) for args in args_list]
    return [future.result() for future in futures]
