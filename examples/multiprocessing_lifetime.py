"""A worker outlives the main program's last line.

The main program prints "All done" and reaches its end while its
multiprocessing worker still sleeps. The interpreter does not exit yet:
multiprocessing's exit handler joins the worker, and only after reaping it
does the interpreter exit. `proclife run --explain -- python3 <this file>`
shows how it waited and what became of the worker's SIGCHLD.
"""
import multiprocessing
import time


def worker(seconds):
    time.sleep(seconds)


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    process = multiprocessing.Process(target=worker, args=(0.5,))
    process.start()
    print("All done")
