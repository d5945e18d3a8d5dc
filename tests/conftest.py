"""Real trees on disk and GNU du as the reference for every number."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def require(tool: str, why: str) -> None:
    """Skip when ``tool`` is missing, so the suite runs on a bare machine;
    under .ci/run (SIZESCAN_CI=1), which installs every tool, fail instead."""
    import shutil

    if shutil.which(tool):
        return
    message = f"{tool} is not installed ({why}; .ci/run installs it)"
    if os.environ.get("SIZESCAN_CI") == "1":
        pytest.fail(message)
    pytest.skip(message)


def du(*args: str) -> dict[str, int]:
    """Run GNU du and return {path: bytes} for the lines it printed."""
    proc = subprocess.run(["du", *args], capture_output=True, text=True, errors="surrogateescape")
    out = {}
    for line in proc.stdout.splitlines():
        size, _, path = line.partition("\t")
        out[path] = int(size)
    return out


def du_sum(paths, *flags: str) -> tuple[int, int]:
    """du's grand total (``-c``) for ``paths``: (apparent ``-sb``, disk ``-sB1``)."""
    paths = [str(p) for p in paths]
    return (du("-sbc", *flags, *paths)["total"], du("-sc", "-B1", *flags, *paths)["total"])


def assert_matches_du(result, paths, *du_flags: str) -> None:
    """Totals and every root's totals equal du's, byte for byte."""
    paths = [str(p) for p in paths]
    assert (result.total_size, result.disk_usage) == du_sum(paths, *du_flags)
    apparent = du("-sb", *du_flags, *paths)
    disk = du("-s", "-B1", *du_flags, *paths)
    for root in result.roots:
        if root.path in apparent:
            assert (root.size, root.disk_usage) == (apparent[root.path], disk[root.path]), root.path


def write(path, size: int = 0, byte: bytes = b"x") -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(byte * size)


def make_mixed_tree(base) -> str:
    """Everything du has an opinion about, in one tree.

    Hard links in far-apart directories, a sparse file, symlinks (to a file,
    to a directory, dangling), a fifo, a unix socket, empty directories and
    files of many sizes.
    """
    root = os.path.join(str(base), "mixed")
    for i in range(30):
        d = os.path.join(root, f"d{i % 5}", f"sub{i}")
        write(os.path.join(d, f"file{i}.bin"), size=(i * 7919) % 50000)
        write(os.path.join(d, "small.txt"), size=i)
    write(os.path.join(root, "a", "deep", "deeper", "linked.dat"), size=300_000)
    os.makedirs(os.path.join(root, "z", "far", "away"))
    os.link(
        os.path.join(root, "a", "deep", "deeper", "linked.dat"),
        os.path.join(root, "z", "far", "away", "linked-again.dat"),
    )
    os.link(
        os.path.join(root, "a", "deep", "deeper", "linked.dat"),
        os.path.join(root, "d3", "third-link.dat"),
    )
    with open(os.path.join(root, "sparse.img"), "wb") as f:
        f.seek(50 * 1024 * 1024)
        f.write(b"end")
    os.symlink("a/deep/deeper/linked.dat", os.path.join(root, "link-to-file"))
    os.symlink("d1", os.path.join(root, "link-to-dir"))
    os.symlink("nowhere/at/all", os.path.join(root, "dangling"))
    os.mkfifo(os.path.join(root, "a", "fifo"))
    sock = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(os.path.join(root, "a"))  # a socket path must be short
    try:
        sock.bind("sock")
    finally:
        os.chdir(cwd)
        sock.close()
    for empty in ("empty1", "empty2/nested/deeper"):
        os.makedirs(os.path.join(root, empty))
    return root


def need_dask():
    """Skip without dask and distributed; under .ci/run, fail instead."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        message = "dask and distributed are not installed (pip install '.[test]' brings them)"
        if os.environ.get("SIZESCAN_CI") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """The shared cluster: a scheduler and 2 workers of 1 thread each, on
    127.0.0.1 (benchmarks/dask_cluster.py)."""
    need_dask()
    from dask_cluster import local_cluster

    with local_cluster(workers=2, log_dir=str(tmp_path_factory.mktemp("dask"))) as c:
        yield c


@pytest.fixture(scope="session")
def client(cluster):
    from distributed import Client

    with Client(cluster.address, timeout=10, set_as_default=False) as c:
        yield c


@pytest.fixture
def mixed_tree(tmp_path):
    return make_mixed_tree(tmp_path)


@pytest.fixture
def force_pool(monkeypatch):
    """Make every scan with workers > 1 start the pool and collector at once,
    and pass every directory through the walker (no descent inside a task)."""
    monkeypatch.setenv("SIZESCAN_INLINE_BUDGET_S", "0")
    monkeypatch.setenv("SIZESCAN_DESCEND_S", "0")


@pytest.fixture
def public_tmp():
    """A directory that user nobody can reach (pytest's tmp_path is 0700)."""
    path = tempfile.mkdtemp(prefix="sizescan-test-")
    os.chmod(path, 0o755)
    yield path
    subprocess.run(["chmod", "-R", "u+rwx", path], check=False)
    subprocess.run(["rm", "-rf", path], check=False)


BENCHMARKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks")
SLOWFS = os.path.join(BENCHMARKS, "slowfs.py")
sys.path.insert(0, BENCHMARKS)  # its sshd module starts the tests' sshd too


@contextlib.contextmanager
def slowfs_mount(src, mnt, delay_ms=2.0):
    """``src`` mounted at ``mnt`` through benchmarks/slowfs.py (FUSE, ``delay_ms``
    per request) for the duration: a filesystem of its own, with its own st_dev."""
    require("fusermount", "the slow FUSE mount needs fuse and libfuse2")
    daemon = subprocess.Popen(
        [sys.executable, SLOWFS, str(src), str(mnt), "--delay-ms", str(delay_ms)],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not os.path.ismount(mnt):
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            pytest.fail(f"slowfs did not mount: {daemon.stderr.read().decode()[-500:]}")
        time.sleep(0.05)
    try:
        yield str(mnt)
    finally:
        # Busy while another process finishes a request there (a Dask worker's
        # task, cancelled but running to its end): tried again for a while.
        deadline = time.monotonic() + 15
        while (
            subprocess.run(["fusermount", "-u", str(mnt)], capture_output=True).returncode
            and os.path.ismount(mnt)
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        busy = os.path.ismount(mnt)
        if busy:  # detached, and its daemon stopped, not left behind; then said
            subprocess.run(["fusermount", "-u", "-z", str(mnt)], check=False)
            daemon.kill()
        daemon.wait(timeout=20)
        if busy:
            pytest.fail(f"{mnt} was still in use 15 s after the test")


@pytest.fixture
def slow_tree(tmp_path):
    """A real tree behind a FUSE mount that answers every request after 2 ms.

    Yields (mount point, source): scans of the mount with one request in
    flight per worker (``io_depth=1``) take seconds, long enough to kill or
    interrupt them for real, and their totals must equal du's of the source
    (slowfs passes every size through).
    """
    src = tmp_path / "src"
    for d in range(200):
        for f in range(8):
            write(str(src / f"d{d // 10}" / f"sub{d}" / f"f{f}"), size=(d * 131 + f * 977) % 20000)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    with slowfs_mount(src, mnt) as mounted:
        yield mounted, str(src)


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid``, from /proc."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                for child in map(int, f.read().split()):
                    out += [child, *descendants(child)]
    except OSError:
        pass
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def open_terminal() -> tuple[int, int]:
    """A pseudo-terminal (master, slave), 80x24: a new pty is 0 columns wide,
    where tqdm draws nothing."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return master, slave


def read_terminal(master: int) -> bytes:
    """Everything written to the terminal, once its other side is closed; closes ``master``."""
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    return drawn


def run_cli(*args: str, user=None, env=None, **kw) -> subprocess.CompletedProcess:
    """Run ``python -m sizescan`` as a real process (as ``nobody`` with user='nobody')."""
    cmd = [sys.executable, "-m", "sizescan", *args]
    if user == "nobody":
        cmd = NOBODY + cmd
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(cmd, capture_output=True, env=full_env, timeout=120, **kw)


def make_chain(base, levels: int, name: str, file_size: int = 1234) -> str:
    """``levels`` nested directories called ``name``, a file at the bottom.

    Built relative to directory descriptors: the path soon outgrows PATH_MAX,
    where os.makedirs (and the kernel's path lookup) would give up.
    """
    root = os.path.join(str(base), "chain")
    os.mkdir(root)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(levels):
            os.mkdir(name, dir_fd=fd)
            new = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = new
        out = os.open("bottom", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, b"b" * file_size)
        os.close(out)
    finally:
        os.close(fd)
    return root


@pytest.fixture
def rm_rf():
    paths = []
    yield paths.append
    for path in paths:
        # GNU rm walks by descriptors; shutil.rmtree (pytest's clean-up)
        # recurses once per level and fails on these trees.
        subprocess.run(["rm", "-rf", path], check=True)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    """An OpenSSH server on 127.0.0.1 (a free port), with its own host key and
    a key pair for root (benchmarks/sshd.py): a real network filesystem's
    server, over loopback.  Yields (port, private key file)."""
    require("sshfs", "the network filesystem tests mount sshfs")
    require("ssh-keygen", "the sshfs tests make their own keys")
    if not os.path.exists("/usr/sbin/sshd"):
        require("sshd", "the sshfs tests need openssh-server")
    from sshd import loopback_sshd

    with loopback_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


def sshfs_mount(server, src, mnt, *options):
    """``src`` mounted at ``mnt`` with sshfs through the ``sshd`` fixture's server."""
    from sshd import sshfs_mount as mount

    return mount(server, src, mnt, options)
