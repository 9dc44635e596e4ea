"""save_run: a run directory in the host's layout, from numpy arrays (so `dluxshera inspect`/`plot` read it)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional, Union

import numpy as np

from . import _files as F
from ._run import Checkpoint
from ._signals import encode

CheckpointLike = Union[Checkpoint, Mapping[str, Any]]


def layout_hash(entries: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 of the compact JSON of ordered ``[name, shape]`` pairs, exactly as the host computes it."""
    pairs = [[e["name"], [int(s) for s in e["shape"]]] for e in entries]
    return hashlib.sha256(json.dumps(pairs, separators=(",", ":")).encode()).hexdigest()


def _trace_arrays(trace: Mapping[str, Any]) -> Dict[str, np.ndarray]:
    if "loss" not in trace or "theta" not in trace:
        raise ValueError("save_run: trace needs at least 'loss' (T,) and 'theta' (T, D).")
    loss = np.asarray(trace["loss"], dtype=np.float64)
    theta = np.asarray(trace["theta"], dtype=np.float64)
    if theta.ndim == 1:
        theta = theta[:, None]
    if loss.ndim != 1 or theta.ndim != 2 or theta.shape[0] != loss.shape[0]:
        raise ValueError(f"save_run: trace 'loss' {loss.shape} and 'theta' {theta.shape} must be (T,) and (T, D).")
    t = loss.shape[0]
    arrays = {"loss": loss, "theta": theta}
    for name in ("grad_norm", "step_norm", "base_lr"):
        value = trace.get(name)
        arrays[name] = np.full(t, np.nan) if value is None else np.asarray(value, dtype=np.float64).reshape(t)
    accepted = trace.get("accepted")
    arrays["accepted"] = np.ones(t, dtype=bool) if accepted is None else np.asarray(accepted, dtype=bool).reshape(t)
    return arrays


def _checkpoint_arrays(which: str, c: CheckpointLike) -> Dict[str, np.ndarray]:
    if isinstance(c, Checkpoint):
        theta, step, loss = c.theta, c.step, c.loss
    else:
        theta = c.get("theta", c.get(f"theta_{which}"))
        step = c.get("step", c.get(f"{which}_step"))
        loss = c.get("loss", c.get(f"{which}_loss"))
        if theta is None or step is None or loss is None:
            raise ValueError(f"save_run: checkpoint_{which} needs 'theta', 'step' and 'loss'.")
    return {f"theta_{which}": np.asarray(theta, dtype=np.float64).reshape(-1),
            f"{which}_step": np.asarray(int(step), dtype=np.int64), f"{which}_loss": np.asarray(float(loss), dtype=np.float64)}


def _complete_meta(meta: Mapping[str, Any], run_id: str, dim: int) -> Dict[str, Any]:
    out = json.loads(json.dumps(F._json_safe(meta)))  # a deep, JSON-only copy
    out["artifact_schema"] = F.SCHEMA
    out["run_id"] = run_id
    out.setdefault("created_at", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"))
    theta = out.setdefault("theta", {})
    if theta.get("dim", dim) != dim:
        raise ValueError(f"save_run: meta theta.dim = {theta['dim']} but the trace's theta has D = {dim}.")
    theta["dim"] = dim
    theta.setdefault("theta_space", "primitive")
    index_map = theta.setdefault("index_map", {})
    entries = index_map.setdefault("entries", [{"name": "theta", "start": 0, "stop": dim, "shape": [dim], "block": "theta", "label": None}])
    covered = sum(int(e["stop"]) - int(e["start"]) for e in entries)
    if covered != dim:
        raise ValueError(f"save_run: meta theta.index_map.entries cover {covered} indices; the trace has D = {dim}.")
    index_map.setdefault("layout_hash", layout_hash(entries))
    return out


def _manifest(run: Path) -> list:
    files = []
    for path in sorted(p for p in run.rglob("*") if p.is_file()):
        rel = path.relative_to(run).as_posix()
        if rel == F.META or path.name.startswith(".") or rel.startswith(F.PARTIAL_TRACE + "/"):
            continue
        files.append({"file": rel, "bytes": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    return files


def save_run(run_dir: F.PathLike, trace: Mapping[str, Any], meta: Mapping[str, Any], summary: Mapping[str, Any], *,
             signals: Any = None, precond: Optional[Mapping[str, Any]] = None, curvature: Optional[Mapping[str, Any]] = None,
             checkpoint_best: Optional[CheckpointLike] = None, checkpoint_final: Optional[CheckpointLike] = None,
             diag_steps: Optional[Iterable[Mapping[str, Any]]] = None, grads: Optional[Mapping[str, Any]] = None,
             overwrite: bool = False) -> Path:
    """Writes a complete run directory in the dluxshera-run-v0 layout and returns its path.

    ``trace`` is a :class:`Trace` or a mapping with ``loss`` (T,) and ``theta`` (T, D) and optionally ``grad_norm``,
    ``step_norm``, ``base_lr`` (NaN when absent) and ``accepted`` (True when absent). The directory name is the
    run id. meta.json gets ``artifact_schema``, ``run_id``, ``created_at``, ``theta.dim``, a one-entry IndexMap
    (``theta``) unless ``meta["theta"]["index_map"]`` is given, its ``layout_hash`` and the manifest; summary.json
    gets ``run_id``, ``status`` (``ok`` unless given), ``num_steps_completed`` (T − 1 unless given) and the
    ``has_*`` flags. Every file is written atomically. An existing directory is an error unless ``overwrite``.
    """
    run = Path(run_dir)
    if run.exists():
        if not overwrite:
            raise FileExistsError(f"{run}: run directory exists; a run is never overwritten (pass overwrite=True to replace it).")
        shutil.rmtree(run)
    arrays = _trace_arrays(trace)
    t, dim = arrays["theta"].shape
    full_meta = _complete_meta(meta, run.name, dim)
    run.mkdir(parents=True)
    F.write_npz(run / F.TRACE, arrays)
    if checkpoint_best is not None:
        F.write_npz(run / F.CHECKPOINT_BEST, _checkpoint_arrays("best", checkpoint_best))
    if checkpoint_final is not None:
        F.write_npz(run / F.CHECKPOINT_FINAL, _checkpoint_arrays("final", checkpoint_final))
    if signals is not None:
        F.write_npz(run / F.SIGNALS, encode(signals))
    for name, value in ((F.PRECOND, precond), (F.CURVATURE, curvature), (F.GRADS, grads)):
        if value is not None:
            F.write_npz(run / name, value)
    if diag_steps is not None:
        F.write_text(run / F.DIAG_STEPS, "".join(F.json_line(line) + "\n" for line in diag_steps))

    full_summary = dict(F._json_safe(summary))
    full_summary["run_id"] = run.name
    full_summary.setdefault("status", "ok")
    full_summary.setdefault("num_steps_completed", t - 1)
    for flag, file in (("has_signals", F.SIGNALS), ("has_precond", F.PRECOND), ("has_curvature", F.CURVATURE),
                       ("has_checkpoint_best", F.CHECKPOINT_BEST), ("has_checkpoint_final", F.CHECKPOINT_FINAL),
                       ("has_grads", F.GRADS), ("has_diag_steps", F.DIAG_STEPS)):
        full_summary[flag] = (run / file).is_file()
    full_summary["has_figures"] = (run / F.FIGURES).is_dir()
    F.write_json(run / F.SUMMARY, full_summary)
    full_meta["manifest"] = _manifest(run)
    F.write_json(run / F.META, full_meta)
    return run
