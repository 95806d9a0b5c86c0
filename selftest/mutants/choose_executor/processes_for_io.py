# mutant: processes for IO-bound work (one per CPU, like the CPU-bound case)
# expect-fail: parallel.io_overlap safe.io_no_processes


def run_io_bound(func, args_list):
    return run_cpu_bound(func, args_list)
