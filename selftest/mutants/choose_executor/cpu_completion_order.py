# mutant: run_cpu_bound collects results as they complete (as_completed), not in argument order
# expect-fail: correct.cpu_results


def run_cpu_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []
    with concurrent.futures.ProcessPoolExecutor(max_workers=available_cpus()) as executor:
        futures = [executor.submit(func, *args) for args in args_list]
        return [f.result() for f in concurrent.futures.as_completed(futures)]
