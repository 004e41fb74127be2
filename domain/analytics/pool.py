"""The process pool that model fits run in (the worker's, `bizgraph recompute`'s).

Each process fits one model at a time on one core. The numerical libraries would each
start a thread per core on top (OpenBLAS, OpenMP), so two processes on two cores ran four
or more busy threads and fought over them: the revenue step took 33.9 s on the
2,000-customer demo, and 11.0 s with one thread per process (`bizgraph recompute --what
revenue`, x86_64, 2 cores). The processes are spawned, so the limit is set in the
environment they inherit, unless the operator set it.
"""

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

ONE_THREAD_EACH = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def process_pool(
    workers: int, initializer: Callable[..., Any], initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """`workers` spawned processes, each running its numerical libraries on one thread."""
    for name in ONE_THREAD_EACH:
        os.environ.setdefault(name, "1")
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )
