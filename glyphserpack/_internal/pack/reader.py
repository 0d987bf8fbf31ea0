"""Random access to a pack's frames, bounded against hostile sizes (FORMAT.md §6).

Every frame read is checked against its SHA-256 from the index before it is decompressed,
and decompression is capped at the size the seek table declares, so a forged frame can
neither feed garbage to the tar parser nor expand into a decompression bomb.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import zstandard

from glyphserpack._internal.pack.frames import MAX_FRAME_BYTES, FrameEntry, PackIndex, TrailerProblem, read_trailer
from glyphserpack._internal.pack.walk import walk
from glyphserpack.errors import PackError

__all__ = ["FrameDamage", "Limits", "RawPack"]


@dataclass(frozen=True)
class Limits:
    """Caps applied before decompressing anything (decompression-bomb defence, FORMAT.md §6.2).

    zstd cannot expand more than about 32768-fold (a 128 KiB block costs at least 4 bytes),
    so the default ratio cap only refuses sizes no genuine frame can have; lower it to refuse
    highly compressible packs too.
    """

    max_total_bytes: int = 1 << 40
    max_ratio: int = 40_000
    max_member_read: int = 256 * 1024 * 1024


class FrameDamage(Exception):
    """A frame whose bytes do not match the index; carries the finding code and detail.

    The detail does not repeat the frame number: every caller reports it as the location.
    """

    def __init__(self, code: str, frame: FrameEntry, index: int, detail: str, data: bytes | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.frame = frame
        self.index = index
        self.detail = detail
        #: Set when only the index is wrong: the frame's own zstd checksum vouches for ``data``.
        self.data = data


class RawPack:
    """An open pack file: trailer parsed and checked; frames readable one by one."""

    def __init__(self, path: Path, *, limits: Limits | None = None, strict: bool = True) -> None:
        self.path = path
        self.limits = limits or Limits()
        try:
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise PackError(f"pack {path.name}: cannot open ({exc.strerror})") from None
        try:
            self.size = os.fstat(self._fd).st_size
            with open(os.dup(self._fd), "rb") as fh:
                if fh.read(4) not in (b"\x28\xb5\x2f\xfd",):
                    raise PackError(
                        f"pack {path.name}: not a glyphserpack file (it does not start with a zstd frame)",
                        code="GSP-E101",
                        remedy="check the file name; a .glyphserpack file is a zstd-compressed tar stream",
                    )
                self.index: PackIndex = read_trailer(fh, self.size, strict=strict)
        except TrailerProblem:
            os.close(self._fd)
            raise
        except BaseException:
            os.close(self._fd)
            raise
        self._d_starts = [f.d_offset for f in self.index.frames]
        self._cache: tuple[int, bytes] | None = None

    @classmethod
    def recover(cls, path: Path, *, limits: Limits | None = None) -> RawPack:
        """Open a pack whose trailer is unusable, finding frames by walking their headers.

        Unreadable stretches between frames become gap entries (:attr:`FrameEntry.gap`),
        which :meth:`frame` reports as damage like any frame that fails its checks.
        """
        self = cls.__new__(cls)
        self.path = path
        self.limits = limits or Limits()
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            self.size = os.fstat(self._fd).st_size
            self.index = walk(self._fd, self.size)
        except BaseException:
            os.close(self._fd)
            raise
        self._d_starts = [f.d_offset for f in self.index.frames]
        self._cache = None
        return self

    @property
    def layout_known(self) -> bool:
        """False for a recovered pack: member offsets are unknown and frames are unhashed."""
        return self.index.eoa_offset >= 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> RawPack:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def check_limits(self) -> str | None:
        """Why decompressing this pack would be refused, or ``None``."""
        total = self.index.d_total
        if total > self.limits.max_total_bytes:
            return f"pack expands to {total} bytes, over the {self.limits.max_total_bytes}-byte cap"
        compressed = max(1, sum(f.c_size for f in self.index.frames))
        if total > compressed * self.limits.max_ratio:
            return f"pack expands {total // compressed}-fold, over the {self.limits.max_ratio}x ratio cap"
        for i, f in enumerate(self.index.frames):
            if f.d_size > MAX_FRAME_BYTES:
                return f"frame {i} declares {f.d_size} bytes, over the {MAX_FRAME_BYTES}-byte frame cap"
        return None

    def compressed(self, i: int) -> bytes:
        f = self.index.frames[i]
        return os.pread(self._fd, f.c_size, f.c_offset)

    def frame(self, i: int) -> bytes:
        """Decompressed bytes of frame ``i``, or :class:`FrameDamage` if they are not what the index says."""
        f = self.index.frames[i]
        where = f"pack bytes {f.c_offset}-{f.c_offset + f.c_size}"
        if f.gap == "truncated":
            raise FrameDamage("GSP-E119", f, i, f"{where} are a frame cut short by the end of the file")
        if f.gap:
            raise FrameDamage("GSP-E104", f, i, f"{where} are not a readable zstd frame ({f.c_size} bytes skipped)")
        if f.d_size > MAX_FRAME_BYTES:  # before reading: the index's sizes are not trusted yet
            raise FrameDamage("GSP-E121", f, i, f"declares {f.d_size} bytes, over the frame cap")
        comp = self.compressed(i)
        if len(comp) != f.c_size:
            raise FrameDamage("GSP-E104", f, i, f"{where} are cut short")
        if hashlib.sha256(comp).digest() != f.sha256:
            # Second opinion: if the frame carries a zstd content checksum and decompresses
            # cleanly, the index entry is what rotted; member hashes still decide integrity.
            try:
                has_checksum = zstandard.get_frame_parameters(comp).has_checksum
                data = self._decompress(comp, f, i) if has_checksum else None
            except (zstandard.ZstdError, FrameDamage):
                data = None
            if data is not None:
                raise FrameDamage("GSP-E103", f, i, f"{where}: index SHA-256 is wrong, frame checksum is fine", data)
            raise FrameDamage("GSP-E104", f, i, f"{where} do not match their SHA-256")
        return self._decompress(comp, f, i)

    def _decompress(self, comp: bytes, f: FrameEntry, i: int) -> bytes:
        if f.d_size > MAX_FRAME_BYTES:
            raise FrameDamage("GSP-E121", f, i, f"declares {f.d_size} bytes, over the frame cap")
        try:
            # zstandard sizes its output buffer from the frame header, not max_output_size, so a
            # header claiming more than the index allows is refused before decompressing.
            declared = zstandard.get_frame_parameters(comp).content_size
            if declared not in (f.d_size, zstandard.CONTENTSIZE_UNKNOWN):
                raise FrameDamage("GSP-E104", f, i, f"header declares {declared} bytes, index {f.d_size}")
            data = zstandard.ZstdDecompressor().decompress(comp, max_output_size=max(f.d_size, 1))
        except MemoryError:
            raise FrameDamage("GSP-E121", f, i, "decompression needs more memory than allowed") from None
        except zstandard.ZstdError as exc:
            code = "GSP-E121" if _yields_more_than(comp, f.d_size) else "GSP-E104"
            raise FrameDamage(code, f, i, f"does not decompress to its declared size ({exc})") from None
        if len(data) != f.d_size:
            raise FrameDamage("GSP-E121", f, i, f"decompresses to {len(data)} bytes, declared {f.d_size}")
        return data

    def read_range(self, offset: int, size: int) -> bytes:
        """Bytes ``[offset, offset+size)`` of the tar stream, decompressing only the frames needed."""
        if size > self.limits.max_member_read:
            raise PackError(f"pack {self.path.name}: refusing to read {size} bytes into memory")
        out = bytearray()
        pos = offset
        end = offset + size
        while pos < end:
            i = bisect.bisect_right(self._d_starts, pos) - 1
            if i < 0 or i >= len(self.index.frames):
                raise PackError(f"pack {self.path.name}: stream offset {pos} is outside every frame")
            if self._cache is None or self._cache[0] != i:
                self._cache = (i, self.frame(i))
            data = self._cache[1]
            start = pos - self.index.frames[i].d_offset
            if start >= len(data):
                raise PackError(f"pack {self.path.name}: stream offset {pos} is outside every frame")
            piece = data[start : start + (end - pos)]
            out += piece
            pos += len(piece)
        return bytes(out)


def _yields_more_than(comp: bytes, limit: int) -> bool:
    """Whether a frame that failed to decompress gives more than ``limit`` bytes before failing.

    That is a decompression bomb (GSP-E121); a frame that fails within its limit is damaged
    (GSP-E104). Decided by decompressing at most ``limit + 1`` bytes in bounded chunks, never
    by the wording of zstd's error message.
    """
    got = 0
    try:
        with zstandard.ZstdDecompressor().stream_reader(comp, read_across_frames=False) as reader:
            while got <= limit:
                chunk = reader.read(min(1 << 20, limit + 1 - got))
                if not chunk:
                    return False
                got += len(chunk)
    except zstandard.ZstdError:
        return False
    return True
