"""An OpenSSH server on 127.0.0.1 and sshfs mounts through it: a real
network filesystem over loopback, for the tests and benchmarks/bench.py.

The server has its own host key and a key pair for root, listens on a free
port of 127.0.0.1 only, and stops when the context ends.  Needs Debian's
openssh-server and sshfs (.ci/run installs them) and root.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time

SSHD = "/usr/sbin/sshd"

# sshfs 3 has no "cache=no": these turn off its directory cache and the
# kernel's name and attribute caches, so every stat is a round trip (as on
# NFS with actimeo=0).
NO_CACHE = ("dir_cache=no", "entry_timeout=0", "attr_timeout=0", "negative_timeout=0")


@contextlib.contextmanager
def loopback_sshd(home):
    """Start sshd with its files in the directory ``home``; yields (port, key file)."""
    home = str(home)
    for name in ("host_key", "user_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(home, name)],
            check=True,
        )
    with (
        open(os.path.join(home, "user_key.pub"), "rb") as f,
        open(os.path.join(home, "authorized_keys"), "wb") as out,
    ):
        out.write(f.read())
    os.makedirs("/run/sshd", exist_ok=True)  # its privilege separation directory
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = os.path.join(home, "sshd_config")
    with open(config, "w") as f:
        f.write(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {home}/host_key\n"
            f"PidFile {home}/sshd.pid\nAuthorizedKeysFile {home}/authorized_keys\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            "Subsystem sftp internal-sftp\nMaxSessions 50\nMaxStartups 50\n"
        )
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", config], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(
                    f"sshd did not start: {server.stderr.read().decode()[-500:]}"
                ) from None
            time.sleep(0.05)
    try:
        yield port, os.path.join(home, "user_key")
    finally:
        server.terminate()
        server.wait(timeout=20)


@contextlib.contextmanager
def sshfs_mount(server, src, mnt, options=()):
    """``src`` mounted at ``mnt`` with sshfs through ``server`` (port, key)."""
    port, key = server
    command = [
        "sshfs",
        "-p",
        str(port),
        "-o",
        f"IdentityFile={key}",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
    ]
    for option in options:
        command += ["-o", option]
    subprocess.run(
        [*command, f"root@127.0.0.1:{src}", str(mnt)], check=True, timeout=60, capture_output=True
    )
    try:
        yield str(mnt)
    finally:
        subprocess.run(["fusermount", "-u", str(mnt)], check=False)
