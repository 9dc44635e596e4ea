"""trace.npz, or the rows a killed run left in trace.partial/, as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np

from . import _files as F


@dataclass(frozen=True)
class IndexEntry:
    """One IndexMap entry of meta.json: θ[start:stop] is the parameter `name` of `shape`."""

    name: str
    start: int
    stop: int
    shape: Tuple[int, ...]
    block: Optional[str] = None
    label: Optional[str] = None


@dataclass(eq=False)
class Trace(Mapping[str, np.ndarray]):
    """The trace of a run. Row t is the state after t steps (row 0 is the start), so T = steps + 1.

    Also a read-only mapping of channel name → array (``trace["theta"]``), so code written for
    ``np.load("trace.npz")`` keeps working.
    """

    loss: np.ndarray
    theta: np.ndarray
    channels: Dict[str, np.ndarray] = field(default_factory=dict)
    index_map: List[IndexEntry] = field(default_factory=list)
    partial: bool = False
    """True when the rows come from trace.partial/ (a run killed before it packed trace.npz)."""

    @property
    def steps(self) -> int:
        """T, the number of rows."""
        return int(self.loss.shape[0])

    @property
    def dim(self) -> int:
        """D, the length of θ."""
        return int(self.theta.shape[1])

    def parameter(self, name: str) -> np.ndarray:
        """The history of one named parameter from meta.json's IndexMap, shape (T, *shape)."""
        for entry in self.index_map:
            if entry.name == name:
                return self.theta[:, entry.start:entry.stop].reshape((self.steps,) + tuple(entry.shape))
        known = ", ".join(e.name for e in self.index_map) or "(meta.json has no index_map entries)"
        raise KeyError(f"no parameter '{name}' in the IndexMap; parameters: {known}")

    def _all(self) -> Dict[str, np.ndarray]:
        return {"loss": self.loss, "theta": self.theta, **self.channels}

    def __getitem__(self, key: str) -> np.ndarray:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return 2 + len(self.channels)

    def __repr__(self) -> str:
        kind = "partial " if self.partial else ""
        return f"<{kind}Trace T={self.steps} D={self.dim} channels={list(self)}>"


def index_map_of(meta: Mapping) -> List[IndexEntry]:
    entries = ((meta.get("theta") or {}).get("index_map") or {}).get("entries") or []
    return [IndexEntry(e["name"], int(e["start"]), int(e["stop"]), tuple(int(s) for s in e.get("shape") or []),
                       e.get("block"), e.get("label")) for e in entries]


def read_growing_npy(path: Path) -> np.ndarray:
    """A .npy the host appends to: the whole rows its bytes on disk hold. The header gives the dtype and the row
    shape only; its row count is rewritten about once a second and a killed writer leaves it behind the data,
    so the data decides (a torn last row is dropped), as the host's own reader does."""
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
        except ValueError as e:
            raise F.RunFormatError(f"{path}: not a .npy file ({e}).") from e
        if fortran:
            raise F.RunFormatError(f"{path}: Fortran-ordered; the host never writes that for a streamed channel.")
        offset = f.tell()
        row_shape = tuple(shape[1:])
        row_bytes = dtype.itemsize * int(np.prod(row_shape, dtype=np.int64))
        size = path.stat().st_size - offset
        rows = size // row_bytes if row_bytes else int(shape[0])
        data = np.fromfile(f, dtype=dtype, count=rows * (row_bytes // dtype.itemsize))
    return data.reshape((rows,) + row_shape)


def _load_partial(directory: Path) -> Dict[str, np.ndarray]:
    arrays = {name: read_growing_npy(directory / f"{name}.npy") for name in F.TRACE_CHANNELS
              if (directory / f"{name}.npy").is_file()}
    # Channels are written together but not atomically: keep the rows every channel's data holds.
    rows = min((a.shape[0] for a in arrays.values()), default=0)
    return {name: a[:rows] for name, a in arrays.items()}


def load_trace(run_dir: F.PathLike) -> Trace:
    """trace.npz as a :class:`Trace`; for a run killed before it finished, the flushed rows of trace.partial/
    (``trace.partial`` is then True). Checked against meta.json's ``theta.dim`` when meta.json is there."""
    run = F.run_path(run_dir)
    path = run / F.TRACE
    partial = False
    if path.is_file():
        arrays = F.load_npz(path)
    elif (run / F.PARTIAL_TRACE).is_dir():
        path = run / F.PARTIAL_TRACE
        arrays = _load_partial(path)
        partial = True
    else:
        raise F.RunFormatError(f"{path}: file not found (and no {F.PARTIAL_TRACE}/ to recover from).")
    meta = F.read_json(run / F.META) if (run / F.META).is_file() else {}
    loss = F.require(arrays, "loss", path).astype(np.float64, copy=False)
    theta = F.require(arrays, "theta", path).astype(np.float64, copy=False)
    dim = (meta.get("theta") or {}).get("dim")
    if theta.ndim != 2 or (dim is not None and theta.shape[1] != dim):
        raise F.RunFormatError(f"{path}: theta has shape {theta.shape}; meta.json says theta.dim = {dim}, so (T, {dim}) was expected.")
    if loss.shape != (theta.shape[0],):
        raise F.RunFormatError(f"{path}: loss has shape {loss.shape}; expected ({theta.shape[0]},) to match theta's T.")
    channels = {name: a for name, a in arrays.items() if name not in ("loss", "theta")}
    return Trace(loss=loss, theta=theta, channels=channels, index_map=index_map_of(meta), partial=partial)
