"""A thread that is not the main one forks a child and waits for it.

--stacks must walk the Python frames of the thread that called waitpid
(fork_and_wait, Thread.run), not the main thread's (<module>, Thread.join).
"""
import os
import threading
import time


def fork_and_wait():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


thread = threading.Thread(target=fork_and_wait)
thread.start()
thread.join()
# proclife names Python frames from the live process's code objects: it must
# still be there when the wait's stack is resolved (seconds later in a slow,
# emulated test VM).
time.sleep(2)
