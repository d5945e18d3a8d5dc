"""A real Dask cluster on loopback, as a user would start one: ``dask
scheduler`` and ``dask worker`` processes on 127.0.0.1, on free ports, no
dashboard.  Used by benchmarks/bench.py --dask and by tests/test_cluster.py.

    with local_cluster(workers=2) as cluster:
        scan(path, scheduler=cluster.address)

``wrap`` puts a command before each worker's (e.g. ``unshare -m ...``, so
that each worker sees the tree through a mount of its own).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys

DASK = os.path.join(os.path.dirname(sys.executable), "dask")
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    def __init__(self, address, scheduler, workers, log_dir, tls=None):
        self.address = address
        self.scheduler = scheduler  # Popen
        self.workers = workers  # [Popen]
        self.log_dir = log_dir
        self.tls = tls

    def client(self, timeout=10):
        """A distributed.Client of this cluster (with its certificates under TLS)."""
        from distributed import Client
        from distributed.security import Security

        security = None
        if self.tls:
            ca, cert, key = self.tls
            security = Security(
                tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True
            )
        return Client(self.address, timeout=timeout, set_as_default=False, security=security)

    def worker_pids(self) -> dict:
        """{worker address: pid of the process running its tasks}."""
        with self.client() as client:
            return client.run(os.getpid)

    def tasks_on_scheduler(self) -> int:
        """How many tasks the scheduler holds (0: nothing queued or kept)."""
        with self.client() as client:
            return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))

    def wait_for_workers(self, n, timeout=START_TIMEOUT_S):
        with self.client(timeout) as client:
            if n:  # with none, the connection above says the scheduler is up
                client.wait_for_workers(n, timeout=timeout)


def _stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def local_cluster(workers=2, nthreads=1, log_dir="/tmp", wrap=(), nanny=True, env=None, tls=None):
    """A scheduler and ``workers`` workers of ``nthreads`` threads each, stopped after.

    Every endpoint is on 127.0.0.1, the HTTP servers too (Dask starts one
    in the scheduler and in each worker even without a dashboard, on every
    interface unless told).  ``tls`` is (CA file, certificate, key), PEM:
    then the cluster speaks only TLS, with those, and its address is tls://.
    """
    port = free_port()
    address = f"{'tls' if tls else 'tcp'}://127.0.0.1:{port}"
    secure = []
    if tls:
        ca, cert, key = tls
        secure = ["--tls-ca-file", ca, "--tls-cert", cert, "--tls-key", key]
    logs = []

    def start(cmd, name):
        log = open(os.path.join(log_dir, f"{name}.log"), "wb")  # noqa: SIM115
        logs.append(log)
        # A process group of its own: stopped with everything it started.
        return subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )

    scheduler = start(
        [
            DASK,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
            "--dashboard-address",
            "127.0.0.1:0",
            "--no-show",
            *(["--protocol", "tls"] if tls else []),
            *secure,
        ],
        "scheduler",
    )
    procs = []
    try:
        for i in range(workers):
            cmd = [
                DASK,
                "worker",
                address,
                "--nthreads",
                str(nthreads),
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--dashboard-address",
                "127.0.0.1:0",
                "--name",
                f"w{i}",
                *secure,
            ]
            if not nanny:
                cmd.append("--no-nanny")
            procs.append(start([*wrap, *cmd], f"worker{i}"))
        cluster = LocalCluster(address, scheduler, procs, log_dir, tls)
        cluster.wait_for_workers(workers)
        yield cluster
    finally:
        for proc in procs:
            _stop(proc)
        _stop(scheduler)
        for log in logs:
            log.close()


if __name__ == "__main__":  # start one by hand: python benchmarks/dask_cluster.py 2
    with local_cluster(int(sys.argv[1]) if len(sys.argv) > 1 else 2) as c:
        print(c.address, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
