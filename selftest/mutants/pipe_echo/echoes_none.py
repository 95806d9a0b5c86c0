# mutant: echo_worker echoes the None before stopping and never closes its end
# expect-fail: correct.echo_worker
def echo_worker(conn):
    while True:
        try:
            message = conn.recv()
        except EOFError:
            break
        conn.send(message)
        if message is None:
            break
