"""Scans on a real Dask cluster: ``dask scheduler`` and ``dask worker``
processes on 127.0.0.1 (benchmarks/dask_cluster.py), as a user runs them.

Totals equal du's and the local pool's; faults (a worker killed, the
scheduler killed or unreachable, a worker that cannot see PATH, Ctrl-C)
end as on one machine: exact totals, or one line and exit 2 / 130.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import assert_matches_du, du_sum, make_mixed_tree, need_dask, require, run_cli, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sizescan import read_export, scan
from sizescan.errors import PathNotOnWorker

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

try:
    from dask_cluster import local_cluster
    from distributed import Client
except ImportError:  # the base install: the cluster tests need 'sizescan[dask]'
    Client = None


@pytest.fixture
def many_tasks(monkeypatch):
    """No descent inside a task: every directory goes through the walker."""
    monkeypatch.setenv("SIZESCAN_TASK_BUDGET_S", "0")


def _same(a, b):
    assert (a.total_size, a.disk_usage, a.files, a.dirs) == (
        b.total_size,
        b.disk_usage,
        b.files,
        b.dirs,
    )
    assert [(r.path, r.size, r.disk_usage, r.files, r.dirs) for r in a.roots] == [
        (r.path, r.size, r.disk_usage, r.files, r.dirs) for r in b.roots
    ]
    assert a.top_files == b.top_files and a.top_dirs == b.top_dirs
    assert sorted(map(str, a.errors)) == sorted(map(str, b.errors))


def test_mixed_tree_equals_du_and_the_local_pool(tmp_path, client, many_tasks):
    root = make_mixed_tree(tmp_path)
    on_cluster = scan(root, scheduler=client, views=True)
    assert_matches_du(on_cluster, [root])
    local = scan(root, views=True)
    _same(on_cluster, local)
    assert on_cluster.tree(3, 10) == local.tree(3, 10)
    assert on_cluster.by_type() == local.by_type()
    use = on_cluster.cluster
    assert use.workers == on_cluster.workers and 1 <= use.workers <= 2
    assert (
        use.tasks > 10 and use.threads == use.workers and use.scheduler == client.scheduler.address
    )
    assert local.cluster is None


def test_du_rules_on_a_cluster(tmp_path, client, many_tasks):
    root = make_mixed_tree(tmp_path)
    inner = os.path.join(root, "a")
    # Nested PATHs, both orders; hard links across PATHs; -L; -l; --exclude.
    for paths in ([root, inner], [inner, root]):
        assert_matches_du(scan(paths, scheduler=client), paths)
    assert_matches_du(scan(root, scheduler=client, dereference=True), [root], "-L")
    assert_matches_du(scan(root, scheduler=client, count_links=True), [root], "-l")
    assert_matches_du(scan(root, scheduler=client, exclude=["*.bin"]), [root], "--exclude=*.bin")
    assert_matches_du(scan(root, scheduler=client, one_file_system=True), [root], "-x")
    assert (
        scan(root, scheduler=client, by_owner=True).by_owner()
        == scan(root, by_owner=True).by_owner()
    )


def test_large_directories_in_chunks(tmp_path, client, many_tasks, monkeypatch):
    monkeypatch.setenv("SIZESCAN_SPLIT_AT", "7")
    root = tmp_path / "wide"
    for i in range(300):
        write(str(root / "big" / f"f{i}"), size=i * 13)
    os.link(root / "big" / "f5", root / "f5-again")
    for io_depth in (1, 4):
        result = scan(str(root), scheduler=client, io_depth=io_depth)
        assert_matches_du(result, [root])
        assert result.files == 301 - 1 and result.io_depth == io_depth


def test_hostile_names_cross_the_network_exactly(tmp_path, client, many_tasks):
    from test_names import HOSTILE

    root = os.fsencode(str(tmp_path / "names"))
    for i, name in enumerate(HOSTILE):  # each name as a directory and as a file in it
        os.makedirs(os.path.join(root, name))
        with open(os.path.join(root, name, name), "wb") as f:
            f.write(b"n" * (1000 * (i + 1)))
    on_cluster = scan(os.fsdecode(root), scheduler=client, views=True, top=len(HOSTILE))
    assert_matches_du(on_cluster, [os.fsdecode(root)])
    local = scan(os.fsdecode(root), views=True, top=len(HOSTILE))
    _same(on_cluster, local)
    assert {os.fsencode(f.path).rsplit(b"/", 1)[1] for f in on_cluster.top_files} == set(HOSTILE)


def test_export_equals_the_local_export(tmp_path, client, many_tasks):
    root = make_mixed_tree(tmp_path)
    scan(root, scheduler=client, export=str(tmp_path / "cluster.json"), extended=True)
    scan(root, export=str(tmp_path / "local.json"), extended=True)
    on_cluster = read_export(str(tmp_path / "cluster.json"))
    local = read_export(str(tmp_path / "local.json"))
    _same(on_cluster, local)
    assert on_cluster.tree(5, 100) == local.tree(5, 100)
    require("ncdu", "ncdu reads the export back")
    proc = subprocess.run(
        ["ncdu", "-f", str(tmp_path / "cluster.json"), "-o", "-"], capture_output=True, check=True
    )
    assert proc.stdout.startswith(b"[1,")


def test_cli_json_summary_and_diff(tmp_path, cluster):
    root = make_mixed_tree(tmp_path)
    proc = run_cli(root, "--json", env={"SIZESCAN_SCHEDULER": cluster.address})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["total_size"], doc["disk_usage"]) == du_sum([root])
    assert doc["cluster"]["scheduler"] == cluster.address and doc["cluster"]["tasks"] >= 1
    assert doc["workers"] == doc["cluster"]["workers"] >= 1
    report = str(tmp_path / "report.html")
    proc = run_cli(root, "--scheduler", cluster.address, "--no-progress", "--html", report)
    assert proc.returncode == 0, proc.stderr
    assert b"Dask worker" in proc.stdout and cluster.address.encode() in proc.stdout
    with open(report, encoding="utf-8") as f:  # the report, from the cluster's views
        data = json.loads(re.search(r'id="data">(.*?)</script>', f.read(), re.S).group(1))
    assert (data["totals"]["size"], data["totals"]["disk"]) == du_sum([root])
    assert sum(c["s"] for c in data["tree"]["c"][0]["c"]) < data["totals"]["size"]
    other = tmp_path / "other"
    write(str(other / "new" / "file"), 5000)
    proc = run_cli("diff", root, str(other), "--scheduler", cluster.address, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changes"]


names = st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=4)
trees = st.recursive(
    st.integers(0, 70000), lambda sub: st.dictionaries(names, sub, max_size=5), max_leaves=25
)


def _build(path, node):
    if isinstance(node, int):
        write(path, node)
        return
    os.makedirs(path, exist_ok=True)
    for name, child in node.items():
        _build(os.path.join(path, name), child)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(tree=st.dictionaries(names, trees, max_size=6), link=st.booleans())
def test_property_local_equals_cluster(tmp_path_factory, client, tree, link):
    root = str(tmp_path_factory.mktemp("prop") / "t")
    _build(root, tree)
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    if link and files:
        os.link(files[0], os.path.join(root, "hard-link"))
    on_cluster = scan(root, scheduler=client)
    assert_matches_du(on_cluster, [root])
    _same(on_cluster, scan(root))


def test_no_dask_installed_is_one_line(tmp_path):
    code = (
        "import sys; sys.modules['distributed'] = None; sys.argv[0] = 'sizescan';"
        "from sizescan._launch import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), "--scheduler", "tcp://127.0.0.1:1"],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count(b"\n") == 1 and b"pip install 'sizescan[dask]'" in proc.stderr


def test_unreachable_scheduler_fails_within_10s(tmp_path):
    need_dask()
    from dask_cluster import free_port

    started = time.monotonic()
    proc = run_cli(str(tmp_path), "--scheduler", f"tcp://127.0.0.1:{free_port()}")
    assert time.monotonic() - started < 10
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
    assert b"cannot reach the Dask scheduler" in proc.stderr
    proc = run_cli(str(tmp_path), "--scheduler", "no-port-here")
    assert proc.returncode == 2 and b"bad scheduler address" in proc.stderr


def _wrapped(script):
    """Each worker in a mount namespace of its own, set up by ``script``
    (sh; "$@" is the worker's command)."""
    return ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", script, "sh"]


def test_worker_that_cannot_see_the_path(tmp_path):
    need_dask()
    require("unshare", "workers get a mount namespace of their own")
    hidden = tmp_path / "hidden"
    write(str(hidden / "tree" / "f"), 100)
    # The worker sees an empty tmpfs where the tree is.
    script = f'mount -t tmpfs none {hidden} && exec "$@"'
    with local_cluster(workers=1, log_dir=str(tmp_path), wrap=_wrapped(script)) as c:
        with pytest.raises(PathNotOnWorker) as caught:
            scan(str(hidden / "tree"), scheduler=c.address)
        assert str(hidden / "tree") in str(caught.value)
        assert "tcp://127.0.0.1:" in str(caught.value)
        proc = run_cli(str(hidden / "tree"), "--scheduler", c.address)
        assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
        assert b"cannot scan" in proc.stderr and b"No such file or directory" in proc.stderr


def test_devices_mapped_across_hosts(tmp_path, monkeypatch):
    """Each worker sees the tree through a FUSE mount of its own (bindfs in its
    own mount namespace): another st_dev on every worker, the same inodes,
    as NFS clients see one export.  Hard links, -x and nested PATHs still
    come out as du says on the original tree."""
    need_dask()
    require("unshare", "workers get a mount namespace of their own")
    require("bindfs", "each worker's view of the tree is a bindfs mount")
    monkeypatch.setenv("SIZESCAN_TASK_BUDGET_S", "0")
    root = make_mixed_tree(tmp_path)
    for i in range(40):  # more links, far apart: read by different workers
        write(os.path.join(root, f"l{i % 4}", f"x{i}", "orig"), 1000 + i)
    for i in range(40):
        os.link(
            os.path.join(root, f"l{i % 4}", f"x{i}", "orig"),
            os.path.join(root, f"l{(i + 1) % 4}", f"x{i}-link"),
        )
    script = (
        f"bindfs -f {root} {root} & "
        f"i=0; while ! mountpoint -q {root}; do i=$((i+1)); [ $i -gt 200 ] && exit 1; "
        'sleep 0.05; done; exec "$@"'
    )
    with local_cluster(workers=2, log_dir=str(tmp_path), wrap=_wrapped(script)) as c:
        with Client(c.address, timeout=10, set_as_default=False) as client:
            devs = set(client.run(lambda: os.stat(root).st_dev).values())
            assert len(devs) == 2 and os.stat(root).st_dev not in devs
            for options, flags in (
                ({}, ()),
                ({"one_file_system": True}, ("-x",)),
                ({"dereference": True}, ("-L",)),
            ):
                result = scan(root, scheduler=client, **options)
                assert_matches_du(result, [root], *flags)
                assert result.cluster.workers == 2
            paths = [os.path.join(root, "l1"), root]
            assert_matches_du(scan(paths, scheduler=client), paths)


def _find_dir(node, name):
    """The ncdu export's directory entry ``[info, ...]`` called ``name``."""
    if isinstance(node, list) and node and isinstance(node[0], dict):
        if node[0].get("name") == name:
            return node
        for child in node[1:]:
            found = _find_dir(child, name)
            if found is not None:
                return found
    return None


def test_a_filesystem_mounted_inside_path_keeps_the_callers_device(tmp_path):
    """A filesystem mounted inside PATH has another st_dev on every host: each
    worker (in its own mount namespace, with its own tmpfs there holding the
    same files) reports it under the device the caller sees at that mount
    point, and -x leaves it out as du -x does."""
    need_dask()
    require("unshare", "workers get a mount namespace of their own")
    root = tmp_path / "t"
    write(str(root / "a" / "f"), 5000)
    inner = root / "inner"
    inner.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "none", str(inner)], check=True)
    try:
        write(str(inner / "x" / "y"), 7000)
        write(str(inner / "z"), 100)
        fill = (
            f"mkdir -p {inner}/x && head -c 7000 /dev/zero > {inner}/x/y && "
            f"head -c 100 /dev/zero > {inner}/z"
        )
        script = f'umount {inner} && mount -t tmpfs none {inner} && {fill} && exec "$@"'
        with local_cluster(workers=2, log_dir=str(tmp_path), wrap=_wrapped(script)) as c:
            with Client(c.address, timeout=10, set_as_default=False) as client:
                here = os.stat(inner).st_dev
                seen = set(client.run(lambda: os.stat(inner).st_dev).values())
                assert here not in seen and len(seen) == 2
                assert_matches_du(scan(str(root), scheduler=client), [root])
                assert_matches_du(
                    scan(str(root), scheduler=client, one_file_system=True), [root], "-x"
                )
                scan(str(root), scheduler=client, export=str(tmp_path / "t.json"))
        with open(tmp_path / "t.json", encoding="utf-8") as f:
            doc = json.load(f)
        assert _find_dir(doc[3], "inner")[0]["dev"] == here
    finally:
        subprocess.run(["umount", str(inner)], check=False)


def _scan_under_way(path, address, seconds=2.0):
    """A CLI scan of the slow ``path`` on the cluster, ``seconds`` into it."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sizescan",
            path,
            "--scheduler",
            address,
            "--json",
            "--io-depth",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, SIZESCAN_TASK_BUDGET_S="0.05"),
    )
    time.sleep(seconds)
    assert proc.poll() is None, "the scan ended before the fault could be made"
    return proc


def test_worker_killed_mid_scan(tmp_path, slow_tree):
    need_dask()
    mnt, src = slow_tree
    with local_cluster(workers=2, log_dir=str(tmp_path)) as c:
        proc = _scan_under_way(mnt, c.address)
        victim = sorted(c.worker_pids().values())[0]
        os.kill(victim, signal.SIGKILL)  # the nanny starts another; Dask reruns its task
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        doc = json.loads(out)
        assert (doc["total_size"], doc["disk_usage"]) == du_sum([src])
        assert doc["files"] == 1600


def test_scheduler_killed_mid_scan_fails_within_10s(tmp_path, slow_tree):
    need_dask()
    mnt, _ = slow_tree
    with local_cluster(workers=1, log_dir=str(tmp_path)) as c:
        proc = _scan_under_way(mnt, c.address)
        os.killpg(c.scheduler.pid, signal.SIGKILL)
        killed = time.monotonic()
        out, err = proc.communicate(timeout=60)
        assert time.monotonic() - killed < 10
        assert proc.returncode == 2 and err.count(b"\n") == 1, err
        assert b"Dask" in err and b"Traceback" not in err


def test_scheduler_stopped_or_without_workers_fails_within_10s(tmp_path, slow_tree):
    """A scheduler that keeps its connections open and never answers (SIGSTOP),
    and one with no worker at all: never a hang."""
    need_dask()
    mnt, _ = slow_tree
    with local_cluster(workers=0, log_dir=str(tmp_path)) as c:
        started = time.monotonic()
        proc = run_cli(mnt, "--scheduler", c.address, "--io-depth", "1")
        assert time.monotonic() - started < 10
        assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
        assert b"no Dask worker is connected" in proc.stderr
    with local_cluster(workers=1, log_dir=str(tmp_path)) as c:
        proc = _scan_under_way(mnt, c.address)
        os.kill(c.scheduler.pid, signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            out, err = proc.communicate(timeout=60)
        finally:
            os.kill(c.scheduler.pid, signal.SIGCONT)
        assert time.monotonic() - stopped < 10
        assert proc.returncode == 2 and err.count(b"\n") == 1, err
        assert b"does not answer" in err


def test_ctrl_c_leaves_the_cluster_clean(cluster, slow_tree):
    mnt, _ = slow_tree
    proc = _scan_under_way(mnt, cluster.address, 2.5)
    os.kill(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 1.0
    assert proc.returncode == 130 and b"Traceback" not in err, err
    deadline = time.monotonic() + 5
    while cluster.tasks_on_scheduler() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cluster.tasks_on_scheduler() == 0


def test_the_cli_quietens_dask_and_tornado_loggers():
    # A killed scheduler made tornado.application (at "error" in Dask's
    # config) print a traceback of the reset connection beside our one line.
    need_dask()
    import logging

    from sizescan.command.cli import _quiet_dask

    _quiet_dask()
    for name in ("distributed", "distributed.client", "tornado", "tornado.application"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.CRITICAL, name


@pytest.mark.parametrize("worker_sees", ["nothing mounted", "another type mounted"])
def test_a_worker_without_a_mount_inside_path_fails_the_scan(tmp_path, worker_sees):
    """A filesystem mounted inside PATH on the caller and absent on a worker
    (or of another type there): the worker would read the directory under
    it and count another tree.  The scan fails, naming the worker and the
    mount point, one line and exit 2."""
    need_dask()
    require("unshare", "workers get a mount namespace of their own")
    root = tmp_path / "t"
    write(str(root / "a" / "f"), 5000)
    inner = root / "inner"
    write(str(inner / "under-the-mount"), 100)  # what a worker without the mount sees
    subprocess.run(["mount", "-t", "tmpfs", "none", str(inner)], check=True)
    try:
        write(str(inner / "x"), 7000)
        if worker_sees == "nothing mounted":
            script = f'umount {inner} && exec "$@"'
        else:  # a bind mount of another directory: same place, another type
            script = f'umount {inner} && mount --bind {root / "a"} {inner} && exec "$@"'
        with local_cluster(workers=1, log_dir=str(tmp_path), wrap=_wrapped(script)) as c:
            with pytest.raises(PathNotOnWorker) as caught:
                scan(str(root), scheduler=c.address)
            message = str(caught.value)
            assert str(inner) in message and "tcp://127.0.0.1:" in message
            assert "a tmpfs filesystem is mounted there on the caller" in message
            proc = run_cli(str(root), "--scheduler", c.address, "--json")
            assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
            assert proc.stdout == b"" and str(inner).encode() in proc.stderr
    finally:
        subprocess.run(["umount", str(inner)], check=False)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A CA and a certificate it signed for 127.0.0.1, made with openssl: (CA, cert, key)."""
    require("openssl", "the TLS cluster's certificates")
    d = tmp_path_factory.mktemp("tls")
    ca_key, ca, key, csr, cert = (
        str(d / n) for n in ("ca.key", "ca.pem", "key.pem", "req.csr", "cert.pem")
    )
    run = dict(check=True, capture_output=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            ca_key,
            "-out",
            ca,
            "-days",
            "2",
            "-subj",
            "/CN=sizescan test CA",
        ],
        **run,
    )
    subprocess.run(
        [
            "openssl",
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            csr,
            "-subj",
            "/CN=127.0.0.1",
        ],
        **run,
    )
    ext = d / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
    subprocess.run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            ca,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-out",
            cert,
            "-days",
            "2",
            "-extfile",
            str(ext),
        ],
        **run,
    )
    return ca, cert, key


def _listening(pids) -> list:
    """The local addresses the processes ``pids`` listen on (TCP)."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        if any(f"pid={pid}," in line for pid in pids):
            found.append(line.split()[3])
    return found


def test_a_tls_cluster(tmp_path, certificates):
    """A scheduler and workers speaking only TLS (certificates from openssl),
    every endpoint on 127.0.0.1: a scan with --tls-* equals du; with Dask's
    configuration instead of options too; without certificates, one line."""
    need_dask()
    from conftest import descendants

    ca, cert, key = certificates
    root = make_mixed_tree(tmp_path)
    with local_cluster(workers=2, log_dir=str(tmp_path), tls=certificates) as c:
        assert c.address.startswith("tls://127.0.0.1:")
        pids = [c.scheduler.pid, *(w.pid for w in c.workers)]
        pids += [child for pid in list(pids) for child in descendants(pid)]
        addresses = _listening(pids)
        assert len(addresses) >= 5  # scheduler, its HTTP server, workers, nannies, their HTTP
        assert all(a.startswith("127.0.0.1:") for a in addresses), addresses
        proc = run_cli(
            root,
            "--scheduler",
            c.address,
            "--json",
            "--tls-ca-file",
            ca,
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        )
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert (doc["total_size"], doc["disk_usage"]) == du_sum([root])
        assert doc["cluster"]["workers"] >= 1
        env = {
            "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": ca,
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": cert,
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": key,
        }
        proc = run_cli(root, "--scheduler", c.address, "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["total_size"] == doc["total_size"]
        result = scan(root, scheduler=c.address, tls={"ca_file": ca, "cert": cert, "key": key})
        assert_matches_du(result, [root])
        proc = run_cli(root, "--scheduler", c.address)
        assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
        assert b"needs a CA file and a certificate" in proc.stderr
        # Plain TCP to a TLS scheduler: refused in one line, within the connect timeout.
        proc = run_cli(root, "--scheduler", c.address.replace("tls://", "tcp://"))
        assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
        assert b"cannot reach the Dask scheduler" in proc.stderr


def test_a_port_that_is_not_dask_is_one_line(tmp_path):
    """--scheduler pointed at a server that is not Dask: one that greets as
    sshd does, and one that says nothing and closes."""
    need_dask()
    import socket
    import threading

    write(str(tmp_path / "t" / "f"), 10)
    for greeting in (b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" * 4, b""):
        server = socket.create_server(("127.0.0.1", 0))
        stop = threading.Event()

        def serve(server=server, greeting=greeting):
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                with conn:
                    conn.sendall(greeting)
                    if greeting:
                        stop.wait(6)  # as sshd: it waits for the client's own greeting

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            port = server.getsockname()[1]
            started = time.monotonic()
            proc = run_cli(str(tmp_path / "t"), "--scheduler", f"tcp://127.0.0.1:{port}")
            assert time.monotonic() - started < 20
            assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1, proc.stderr
            assert proc.stderr.startswith(
                b"sizescan: cannot reach the Dask scheduler at tcp://127.0.0.1:"
            ), proc.stderr
        finally:
            stop.set()
            thread.join()
            server.close()
