"""The single-process baseline: the plainest correct os.scandir walk.

Prints ``apparent disk`` like ``du -sb`` / ``du -sB1`` (hard links once).
"""

import os
import stat
import sys


def walk(root):
    apparent = disk = 0
    seen = set()
    st = os.lstat(root)
    apparent, disk = st.st_size, st.st_blocks * 512
    stack = [root] if stat.S_ISDIR(st.st_mode) else []
    while stack:
        path = stack.pop()
        try:
            it = os.scandir(path)
        except OSError:
            continue
        with it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
                    if (st.st_dev, st.st_ino) in seen:
                        continue
                    seen.add((st.st_dev, st.st_ino))
                apparent += st.st_size
                disk += st.st_blocks * 512
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
    return apparent, disk


if __name__ == "__main__":
    print(*walk(sys.argv[1]))
