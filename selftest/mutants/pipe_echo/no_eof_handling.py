# mutant: echo_worker does not handle EOF: recv() raises EOFError when the parent closes its end (exit code 1)
# expect-fail: safe.eof
def echo_worker(conn):
    while True:
        message = conn.recv()
        if message is None:
            break
        conn.send(message)
    conn.close()
