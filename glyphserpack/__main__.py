"""``python -m glyphserpack``: the same CLI as the ``glyphserpack`` script, for when no script is on PATH."""

from glyphserpack.cli import entry_point

if __name__ == "__main__":
    entry_point()
