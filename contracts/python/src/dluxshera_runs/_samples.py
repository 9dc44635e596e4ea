"""samples.npz / warmup.npz of a sampling run (docs/samplers.md) as numpy arrays with parameter names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Mapping, Optional

import numpy as np

from . import _files as F
from ._trace import IndexEntry, index_map_of


def _entries(meta: Mapping, key: str) -> List[IndexEntry]:
    return index_map_of({"theta": {"index_map": (meta.get("theta") or {}).get(key)}})


@dataclass(eq=False)
class Samples(Mapping[str, np.ndarray]):
    """Draws of a sampling run: ``theta`` (chains, draws, D) in the run's θ-space, ``primitive`` (chains, draws, P)
    when the run sampled in another θ-space (eigen, unconstrained), and the Stan-named statistics
    (``log_prob``, ``step_size``, ``tree_depth``, ``n_leapfrog``, ``diverging``, ``energy``, ``accept_stat``),
    each (chains, draws).

    Also a read-only mapping of array name → array, so code written for ``np.load("samples.npz")`` keeps working.
    """

    theta: np.ndarray
    stats: Dict[str, np.ndarray] = field(default_factory=dict)
    primitive: Optional[np.ndarray] = None
    index_map: List[IndexEntry] = field(default_factory=list)
    """The IndexMap of ``theta`` (meta.json ``theta.index_map``)."""
    primitive_index_map: List[IndexEntry] = field(default_factory=list)
    """The IndexMap of the primitive parameters (meta.json ``theta.primitive_index_map``)."""
    warmup: bool = False
    """True for warmup.npz (the adaptation iterations, not posterior draws)."""

    @property
    def chains(self) -> int:
        return int(self.theta.shape[0])

    @property
    def draws(self) -> int:
        """Draws per chain."""
        return int(self.theta.shape[1])

    @property
    def dim(self) -> int:
        return int(self.theta.shape[2])

    def parameter(self, name: str) -> np.ndarray:
        """The draws of one named primitive parameter, shape (chains, draws, *shape): from ``primitive`` when the
        run sampled in another θ-space, else from ``theta``."""
        values, entries = (self.primitive, self.primitive_index_map) if self.primitive is not None else (self.theta, self.index_map or self.primitive_index_map)
        for entry in entries:
            if entry.name == name:
                return values[:, :, entry.start:entry.stop].reshape((self.chains, self.draws) + tuple(entry.shape))
        known = ", ".join(e.name for e in entries) or "(meta.json has no index_map entries)"
        raise KeyError(f"no parameter '{name}' in the IndexMap; parameters: {known}")

    def flat(self, name: str = "theta") -> np.ndarray:
        """An array with chains and draws merged, (chains·draws, ...): what posterior summaries pool."""
        a = self[name]
        return a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:])

    def _all(self) -> Dict[str, np.ndarray]:
        arrays = {"theta": self.theta, **self.stats}
        if self.primitive is not None:
            arrays["primitive"] = self.primitive
        return arrays

    def __getitem__(self, key: str) -> np.ndarray:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        kind = "warm-up " if self.warmup else ""
        return f"<{kind}Samples chains={self.chains} draws={self.draws} D={self.dim} arrays={list(self)}>"


def load_samples(run_dir: F.PathLike, warmup: bool = False) -> Optional[Samples]:
    """samples.npz (or warmup.npz with ``warmup=True``) of a sampling run as :class:`Samples`; None when the run
    has none (an optimisation run, or a sampling run stopped before its first draw). Checked against meta.json."""
    run = F.run_path(run_dir)
    path = run / (F.WARMUP if warmup else F.SAMPLES)
    if not path.is_file():
        return None
    arrays = F.load_npz(path)
    meta = F.read_json(run / F.META) if (run / F.META).is_file() else {}
    theta = F.require(arrays, "theta", path).astype(np.float64, copy=False)
    dim = (meta.get("theta") or {}).get("dim")
    if theta.ndim != 3 or (dim is not None and theta.shape[2] != dim):
        raise F.RunFormatError(f"{path}: theta has shape {theta.shape}; expected (chains, draws, {dim if dim is not None else 'D'}).")
    primitive = arrays.get("primitive")
    if primitive is not None and (primitive.ndim != 3 or primitive.shape[:2] != theta.shape[:2]):
        raise F.RunFormatError(f"{path}: primitive has shape {primitive.shape}; expected (chains, draws, P) with chains, draws = {theta.shape[:2]}.")
    stats = {}
    for name, a in arrays.items():
        if name in ("theta", "primitive"):
            continue
        if a.shape != theta.shape[:2]:
            raise F.RunFormatError(f"{path}: {name} has shape {a.shape}; expected (chains, draws) = {theta.shape[:2]}.")
        stats[name] = a
    return Samples(theta=theta, stats=stats, primitive=primitive, index_map=_entries(meta, "index_map"),
                   primitive_index_map=_entries(meta, "primitive_index_map"), warmup=warmup)
