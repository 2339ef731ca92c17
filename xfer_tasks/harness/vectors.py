"""A sentence embedding as lm-eval carries it: a picklable box whose text form hides the values.

lm-eval stores each response in ``Instance.resps``, writes them with ``--log_samples`` through
``str()`` (``sanitize_list``) and ``json.dumps(default=str)``, and pickles them to rank 0 in
data-parallel runs. :class:`Embedding` pickles its vector but prints only its shape and how it
was taken, so sample logs never contain raw vectors.

With ``embed_layer`` ``all``/``dev`` an embedding also points at its row of a
:class:`LayerStore`: the float32 vectors of every hidden state of one ``xfer_embed`` call,
streamed to disk while the model runs. Memory bound: RAM holds one float32 vector per
sentence (the headline layer, as a single-layer run does); the store holds
``sentences x hidden states x dim x 4`` bytes on disk; scoring reads one layer at a time
(``sentences x dim x 4`` bytes in RAM, plus one memory-mapped window of
``READ_CHUNK_ROWS`` rows while it gathers).

The spill folder is checked before the model runs (:func:`check_spill_dir`: it can be
created and written, and has room for the store when its size is known), and a full disk
while writing is one :class:`SpillDirError` naming ``XFER_EMBED_SPILL_DIR``, the folder and
the bytes the store needs, not an ``OSError`` traceback after hours of inference.
"""

from __future__ import annotations

import atexit
import errno
import logging
import mmap
import os
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xfer_tasks.errors import XferError
from xfer_tasks.harness.dev_layer import DevLayerChoice

log = logging.getLogger(__name__)

SPILL_DIR_ENV = "XFER_EMBED_SPILL_DIR"
READ_CHUNK_ROWS = 16384  # rows per memory-mapped window in LayerStore.read
GATHER_ROWS = 2048  # rows copied out of a window at a time (bounds the temporary copy)
_ADOPTED: set[str] = set()  # store folders this process deletes at exit (handed over by a rank)
_WARNED_TMPFS: set[str] = set()


class SpillDirError(XferError):
    """The spill folder of the per-layer vectors cannot be used: not writable, or full."""


def _spill_base(directory: str | Path | None = None) -> tuple[Path, str]:
    """The folder layer stores go under, and how a message names it."""
    env = os.environ.get(SPILL_DIR_ENV) or None
    if directory is not None:
        return Path(directory), f"spill folder {directory}"
    if env is not None:
        return Path(env), f"{SPILL_DIR_ENV}={env}"
    base = tempfile.gettempdir()
    return Path(base), f"{SPILL_DIR_ENV} (unset: the system temp folder {base})"


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.2f} GiB"


def store_bytes(rows: int, n_states: int, dim: int) -> int:
    """Disk bytes of a store: rows x hidden states x dim x 4 (float32)."""
    return int(rows) * int(n_states) * int(dim) * 4


def _needs(rows: int, n_states: int, dim: int) -> str:
    return (
        f"{_gib(store_bytes(rows, n_states, dim))} ({rows} sentences x {n_states} hidden states "
        f"x {dim} dims x 4 bytes)"
    )


def check_spill_dir(
    rows: int | None = None,
    n_states: int | None = None,
    dim: int | None = None,
    directory: str | Path | None = None,
) -> Path:
    """The spill folder, after checking, before any inference, that a folder can be made in it
    and, when ``rows``, ``n_states`` and ``dim`` are known, that its disk has room for the
    store. A read-only, missing-and-uncreatable or full folder is one :class:`SpillDirError`."""
    base, named = _spill_base(directory)
    try:
        base.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix="xfer-probe-", dir=base))
    except OSError as err:
        raise SpillDirError(
            f"{named}: cannot write the per-layer vectors of embed_layer all/dev there "
            f"({err.strerror or err}); set {SPILL_DIR_ENV} to a writable folder on a disk"
        ) from None
    if rows and n_states and dim:
        free = shutil.disk_usage(base).free
        if free < store_bytes(rows, n_states, dim):
            raise SpillDirError(
                f"{named}: {_gib(free)} free, but the per-layer vectors of embed_layer all/dev "
                f"need {_needs(rows, n_states, dim)}; set {SPILL_DIR_ENV} to a folder with room"
            )
    return base


class LayerStore:
    """Per-layer float32 sentence vectors on disk: file ``layer<i>.f32`` holds hidden state i,
    rows in the order they were appended (:meth:`append`). The folder is created under
    ``$XFER_EMBED_SPILL_DIR`` (default: the system temp folder) and deleted when the store
    that created it is garbage collected or the process exits. A pickled copy reopens the same
    files read-only. In a data-parallel run the items of ranks > 0 are pickled to rank 0, and
    lm-eval ends those ranks right after the gather while rank 0 still scores every layer: so a
    store pickled on a rank > 0 hands its folder over, and rank 0 deletes it when it exits."""

    def __init__(
        self,
        n_states: int,
        dim: int,
        directory: str | Path | None = None,
        call_id: str = "",
        expected_rows: int | None = None,
        dev_choice: DevLayerChoice | None = None,
    ) -> None:
        base = check_spill_dir(expected_rows, n_states, dim, directory)
        self._named = _spill_base(directory)[1]
        self.expected_rows = expected_rows  # for the message when the disk fills up
        try:
            self.path = Path(tempfile.mkdtemp(prefix="xfer-layers-", dir=base))
        except OSError as err:
            raise self._spill_error(err) from None
        _warn_if_in_memory(self.path.parent)
        self._creator_pid = os.getpid()
        self.n_states, self.dim, self.n_rows = int(n_states), int(dim), 0
        self.call_id = call_id  # the xfer_embed call (lm-eval run) that wrote it
        # the run's embed_layer "dev" choice (None unless a request asked for "dev"); not pickled
        self.dev_choice = dev_choice
        self._writers: list[Any] | None = []
        self._finalizer = weakref.finalize(self, _remove, self.path, self._writers)
        try:
            for i in range(self.n_states):
                self._writers.append(open(self._file(i), "wb"))  # noqa: SIM115
        except OSError as err:
            raise self._spill_error(err) from None

    def _spill_error(self, err: OSError) -> Exception:
        """One line naming the spill folder for a disk error while writing; others unchanged."""
        if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM):
            return err
        rows = max(self.expected_rows or 0, getattr(self, "n_rows", 0))
        need = (
            f"; the store needs {_needs(rows, self.n_states, self.dim)}"
            if rows and hasattr(self, "n_states")
            else ""
        )
        return SpillDirError(
            f"{self._named}: writing the per-layer vectors of embed_layer all/dev to "
            f"{getattr(self, 'path', '?')} failed ({err.strerror or err}){need}; set "
            f"{SPILL_DIR_ENV} to a writable folder with room"
        )

    def _file(self, layer: int) -> Path:
        return self.path / f"layer{layer:03d}.f32"

    def append(self, per_layer: Sequence[np.ndarray]) -> range:
        """Append one batch: ``per_layer[i]`` is hidden state i pooled, (B, dim). Returns the rows."""
        if self._writers is None:
            raise RuntimeError(f"layer store {self.path} is closed for writing")
        if len(per_layer) != self.n_states:
            raise ValueError(f"expected {self.n_states} hidden states, got {len(per_layer)}")
        count = int(per_layer[0].shape[0])
        for writer, values in zip(self._writers, per_layer, strict=True):
            values = np.ascontiguousarray(values, dtype=np.float32)
            if values.shape != (count, self.dim):
                raise ValueError(f"expected ({count}, {self.dim}) vectors, got {values.shape}")
            try:
                writer.write(values.tobytes())
            except OSError as err:
                raise self._spill_error(err) from None
        rows = range(self.n_rows, self.n_rows + count)
        self.n_rows += count
        return rows

    def close(self) -> None:
        """Finish writing (flushes the files); reading works before and after."""
        if self._writers is not None:
            writers, self._writers = self._writers, None
            try:
                for writer in writers:
                    writer.close()  # flushes the last buffered rows
            except OSError as err:
                raise self._spill_error(err) from None

    def read(self, layer: int, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """Hidden state ``layer``'s vectors of ``rows`` as a float32 (len(rows), dim) array."""
        if not 0 <= layer < self.n_states:
            raise IndexError(f"layer {layer} not in 0..{self.n_states - 1}")
        if self._writers is not None:
            try:
                self._writers[layer].flush()
            except OSError as err:
                raise self._spill_error(err) from None
        rows = np.asarray(rows)
        if rows.size and not np.issubdtype(rows.dtype, np.integer):
            raise TypeError(f"rows must be integer indexes, got dtype {rows.dtype}")
        rows = rows.astype(np.int64, copy=False).reshape(-1)
        if rows.size and (rows.min() < 0 or rows.max() >= self.n_rows):
            raise IndexError(f"rows outside 0..{self.n_rows - 1} of {self.path}")
        out = np.empty((rows.size, self.dim), dtype=np.float32)
        if not rows.size:
            return out
        # One window of READ_CHUNK_ROWS rows at a time is memory-mapped and the wanted rows are
        # copied out of it GATHER_ROWS at a time, so only their pages are read (a task's rows
        # are scattered over a store shared by every task of the run: reading whole windows
        # cost 16 s per 36 Tatoeba tasks) and RAM is the result plus one window of mapped
        # pages plus one GATHER_ROWS copy.
        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        row_bytes = self.dim * 4
        granularity = mmap.ALLOCATIONGRANULARITY
        with open(self._file(layer), "rb") as handle:
            for start in range(0, self.n_rows, READ_CHUNK_ROWS):
                stop = min(start + READ_CHUNK_ROWS, self.n_rows)
                lo, hi = np.searchsorted(sorted_rows, [start, stop])
                if lo == hi:
                    continue
                offset = start * row_bytes
                aligned = offset - offset % granularity
                with mmap.mmap(
                    handle.fileno(),
                    stop * row_bytes - aligned,
                    access=mmap.ACCESS_READ,
                    offset=aligned,
                ) as window:
                    chunk = np.frombuffer(
                        window,
                        dtype=np.float32,
                        count=(stop - start) * self.dim,
                        offset=offset - aligned,
                    ).reshape(stop - start, self.dim)
                    try:
                        for first in range(lo, hi, GATHER_ROWS):
                            last = min(first + GATHER_ROWS, hi)
                            out[order[first:last]] = chunk[sorted_rows[first:last] - start]
                    finally:
                        del chunk  # the map closes only once no array points into it
        return out

    @property
    def nbytes(self) -> int:
        return self.n_rows * self.n_states * self.dim * 4

    def __getstate__(self) -> dict[str, Any]:
        if self._writers is not None:
            for writer in self._writers:
                writer.flush()
        hand_over = self._finalizer is not None and _pickled_for_rank_zero()
        if hand_over:
            self._finalizer.detach()  # rank 0 deletes the folder (see the class docstring)
            self._finalizer = None
        return {
            "path": str(self.path),
            "n_states": self.n_states,
            "dim": self.dim,
            "n_rows": self.n_rows,
            "call_id": self.call_id,
            "handed_over_by": self._creator_pid if hand_over else None,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = Path(state["path"])
        self.n_states, self.dim, self.n_rows = state["n_states"], state["dim"], state["n_rows"]
        self.call_id = state.get("call_id", "")
        self.dev_choice = None  # a copy on another rank: "dev" is single-process only
        self._writers = None  # a copy reads only
        self._finalizer = None
        self._creator_pid = state.get("handed_over_by")
        if self._creator_pid is not None and self._creator_pid != os.getpid():
            _adopt(self.path)

    def __repr__(self) -> str:
        return f"<layer store {self.n_rows} rows x {self.n_states} states x {self.dim} dims>"


def _remove(path: Path, writers: list[Any]) -> None:
    for writer in writers:
        try:
            writer.close()
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)


def _pickled_for_rank_zero() -> bool:
    """True on a data-parallel rank other than 0 (torch.distributed initialised): the only
    reason lm-eval pickles responses there is to gather them to rank 0."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return dist.is_available() and dist.is_initialized() and dist.get_rank() != 0


def _adopt(path: Path) -> None:
    """Delete ``path`` when this process exits (a store folder handed over by another rank)."""
    key = str(path)
    if key not in _ADOPTED:
        _ADOPTED.add(key)
        atexit.register(shutil.rmtree, key, ignore_errors=True)


def filesystem_type(path: Path) -> str | None:
    """The type of the file system holding ``path`` (Linux ``/proc/mounts``; None elsewhere)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target, best, kind = str(Path(path).resolve()), -1, None
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, kind = len(point), fields[2]
    return kind


def _warn_if_in_memory(folder: Path) -> None:
    """Warn once per folder when layer stores would live in RAM (tmpfs/ramfs)."""
    key = str(folder)
    if key in _WARNED_TMPFS:
        return
    _WARNED_TMPFS.add(key)
    kind = filesystem_type(folder)
    if kind in ("tmpfs", "ramfs"):
        log.warning(
            "xfer: the per-layer vectors of embed_layer all/dev go to %s, which is %s (memory, "
            "not disk): sentences x hidden states x dim x 4 bytes of RAM; set %s to a folder on "
            "disk",
            folder,
            kind,
            SPILL_DIR_ENV,
        )


class Embedding:
    """One sentence vector (float32, 1-D) plus the layer/pooling/max length that produced it;
    with all layers pooled, also its row in a :class:`LayerStore` (every hidden state)."""

    __slots__ = ("vector", "layer", "pooling", "max_length", "precision", "store", "row", "reason")

    def __init__(
        self,
        vector: np.ndarray,
        *,
        layer: int,
        pooling: str,
        max_length: int,
        precision: str = "float32",
        store: LayerStore | None = None,
        row: int | None = None,
        reason: str | None = None,
    ) -> None:
        vector = np.asarray(vector, dtype=np.float32)
        if vector.ndim != 1:
            raise ValueError(f"an embedding is one 1-D vector, got shape {vector.shape}")
        if (store is None) != (row is None):
            raise ValueError("an embedding's layer store and row come together")
        self.vector = vector
        self.layer = int(layer)
        self.pooling = str(pooling)
        self.max_length = int(max_length)
        self.precision = str(precision)
        self.store = store
        self.row = None if row is None else int(row)
        self.reason = reason  # why this layer (e.g. "auto: encoder, last layer 6")

    @property
    def dim(self) -> int:
        return int(self.vector.shape[0])

    @property
    def n_states(self) -> int | None:
        """How many hidden states were pooled (None: only ``layer``)."""
        return None if self.store is None else self.store.n_states

    def describe(self) -> dict[str, Any]:
        """How the vector was taken (for the results file), without the values."""
        info = {
            "dim": self.dim,
            "layer": self.layer,
            "pooling": self.pooling,
            "max_length": self.max_length,
            "precision": self.precision,
        }
        if self.reason is not None:
            info["reason"] = self.reason
        return info

    def __repr__(self) -> str:
        layers = "" if self.store is None else f" layers=0..{self.store.n_states - 1}"
        return f"<embedding dim={self.dim} layer={self.layer} pooling={self.pooling}{layers}>"

    __str__ = __repr__

    # explicit state so pickling works the same on Python 3.10 (slots, no __dict__)
    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, state.get(name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Embedding):
            return NotImplemented
        return self.describe() == other.describe() and np.array_equal(self.vector, other.vector)

    __hash__ = None  # mutable numpy payload


def stack_layer(embeddings: Sequence[Embedding], layer: int) -> np.ndarray:
    """Hidden state ``layer`` of every embedding as one float32 (n, dim) matrix, read from
    their layer stores (one read per store)."""
    if not embeddings:
        raise ValueError("stack_layer: no embeddings")
    by_store: dict[int, tuple[LayerStore, list[int], list[int]]] = {}
    for position, emb in enumerate(embeddings):
        if emb.store is None or emb.row is None:
            raise ValueError(f"{emb!r} was taken from one layer only (embed_layer is not all/dev)")
        entry = by_store.setdefault(id(emb.store), (emb.store, [], []))
        entry[1].append(position)
        entry[2].append(emb.row)
    if len(by_store) == 1:  # one run, one process: the read is already in order
        store, _, rows = next(iter(by_store.values()))
        return store.read(layer, rows)
    out = np.empty((len(embeddings), embeddings[0].dim), dtype=np.float32)
    for store, positions, rows in by_store.values():
        out[positions] = store.read(layer, rows)
    return out
