# mutant: roundtrip's child runs a closure over the connection: works under fork, cannot be pickled under spawn
# expect-fail: correct.spawn
import multiprocessing


def roundtrip(obj):
    parent_conn, child_conn = multiprocessing.Pipe()

    def child():
        child_conn.send(obj)
        child_conn.close()

    process = multiprocessing.Process(target=child)
    process.start()
    child_conn.close()
    try:
        return parent_conn.recv()
    finally:
        parent_conn.close()
        process.join()
