"""meta.json, summary.json, checkpoints, optional arrays and the whole run at once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from . import _files as F
from ._samples import Samples, load_samples
from ._signals import SignalSet, load_signals
from ._trace import Trace, load_trace


def load_meta(run_dir: F.PathLike) -> Dict[str, Any]:
    """meta.json as a dict; refuses a file of another ``artifact_schema``."""
    path = F.run_path(run_dir) / F.META
    meta = F.read_json(path)
    schema = meta.get("artifact_schema")
    if schema != F.SCHEMA:
        raise F.RunFormatError(f"{path}: artifact_schema is '{schema or '(missing)'}'; expected '{F.SCHEMA}'.")
    return meta


def load_summary(run_dir: F.PathLike) -> Dict[str, Any]:
    """summary.json as a dict (``null`` numbers, the host's spelling of NaN, come back as None)."""
    return F.read_json(F.run_path(run_dir) / F.SUMMARY)


@dataclass
class Checkpoint:
    """``theta`` (D,), ``step`` and ``loss`` of checkpoint_best.npz or checkpoint_final.npz."""

    which: str
    theta: np.ndarray
    step: int
    loss: float

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Checkpoint) and self.which == other.which and self.step == other.step
                and np.array_equal(self.theta, other.theta) and (self.loss == other.loss or (np.isnan(self.loss) and np.isnan(other.loss))))


def load_checkpoint(run_dir: F.PathLike, which: str = "best") -> Optional[Checkpoint]:
    """The ``best`` or ``final`` checkpoint, or None when the run has none (no finite loss was seen)."""
    if which not in ("best", "final"):
        raise ValueError(f"checkpoint '{which}' is unknown; expected 'best' or 'final'.")
    path = F.run_path(run_dir) / (F.CHECKPOINT_BEST if which == "best" else F.CHECKPOINT_FINAL)
    if not path.is_file():
        return None
    arrays = F.load_npz(path)
    return Checkpoint(which, F.require(arrays, f"theta_{which}", path).astype(np.float64, copy=False),
                      int(F.require(arrays, f"{which}_step", path)), float(F.require(arrays, f"{which}_loss", path)))


def load_diag_steps(run_dir: F.PathLike) -> List[Dict[str, Any]]:
    """diag_steps.jsonl as a list of dicts (empty when absent). A torn last line of a killed run is dropped."""
    path = F.run_path(run_dir) / F.DIAG_STEPS
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            if number == len(lines):  # no newline yet: the process died while writing it
                break
            raise F.RunFormatError(f"{path}:{number}: invalid JSON ({e.msg}).") from e
    return rows


def load_arrays(run_dir: F.PathLike, file_name: str) -> Optional[Dict[str, np.ndarray]]:
    """Any .npz of the run (precond.npz, curvature.npz, grads.npz, images.npz, fisher.npz, ...), or None."""
    path = F.run_path(run_dir) / file_name
    return F.load_npz(path) if path.is_file() else None


@dataclass(eq=False)
class Run:
    """Everything in one run directory; optional artifacts are None (or empty) when the run has none."""

    path: Path
    meta: Dict[str, Any]
    summary: Dict[str, Any]
    trace: Trace
    checkpoint_best: Optional[Checkpoint] = None
    checkpoint_final: Optional[Checkpoint] = None
    signals: Optional[SignalSet] = None
    diag_steps: List[Dict[str, Any]] = field(default_factory=list)
    arrays: Dict[str, Dict[str, np.ndarray]] = field(default_factory=dict)
    """The other .npz files by name: ``run.arrays["fisher.npz"]["hessian"]``, ``run.arrays["adaptation.npz"]``."""
    samples: Optional[Samples] = None
    """A sampling run's draws (samples.npz), None for an optimisation run."""
    warmup: Optional[Samples] = None
    """A sampling run's warm-up iterations (warmup.npz), None for an optimisation run."""

    @property
    def run_id(self) -> str:
        return self.meta.get("run_id") or self.path.name

    @property
    def status(self) -> Optional[str]:
        return self.summary.get("status")

    def __repr__(self) -> str:
        draws = f" chains={self.samples.chains} draws={self.samples.draws}" if self.samples is not None else ""
        return f"<Run {self.run_id} status={self.status} T={self.trace.steps} D={self.trace.dim}{draws}>"


_OPTIONAL_NPZ = (F.GRADS, F.PRECOND, F.CURVATURE, F.IMAGES, F.FISHER)


def load_run(run_dir: F.PathLike) -> Run:
    """Loads meta, summary, trace (or the partial trace of a killed run), checkpoints, signals, diag steps, a
    sampling run's samples and warm-up draws, and the other .npz artifacts present."""
    path = F.run_path(run_dir)
    arrays = {name: a for name in _OPTIONAL_NPZ if (a := load_arrays(path, name)) is not None}
    extra = sorted(p.name for p in path.glob("*.npz") if p.name not in arrays and p.name not in
                   (F.TRACE, F.CHECKPOINT_BEST, F.CHECKPOINT_FINAL, F.SIGNALS, F.SAMPLES, F.WARMUP))
    for name in extra:
        arrays[name] = F.load_npz(path / name)
    return Run(path=path, meta=load_meta(path), summary=load_summary(path), trace=load_trace(path),
               checkpoint_best=load_checkpoint(path, "best"), checkpoint_final=load_checkpoint(path, "final"),
               signals=load_signals(path), diag_steps=load_diag_steps(path), arrays=arrays,
               samples=load_samples(path), warmup=load_samples(path, warmup=True))
