# mutant: roundtrip joins the child before receiving: a payload bigger than the pipe buffer deadlocks
# expect-fail: correct.roundtrip
import multiprocessing


def roundtrip(obj):
    parent_conn, child_conn = multiprocessing.Pipe()
    process = multiprocessing.Process(target=send_one, args=(child_conn, obj))
    process.start()
    child_conn.close()
    process.join()
    value = parent_conn.recv()
    parent_conn.close()
    return value
