"""Pack container internals: tar subset, zstd frames, index and seek table, BagIt files, scanning.

The public surface is :mod:`glyphserpack.pack`; everything here follows ``archive/FORMAT.md``
and may change without notice as long as the bytes it writes and accepts do not.
"""
