"""``python -m sizescan``: the same command as ``sizescan``."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="sizescan")
