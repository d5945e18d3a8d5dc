"""``python -m sizescan``: the same command as ``sizescan``."""

from ._launch import main

if __name__ == "__main__":
    main()
