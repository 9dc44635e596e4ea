"""File-level helpers: layout names, errors, JSON and atomic writes shared by the reader and the writer."""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

SCHEMA = "dluxshera-run-v0"
TRACE = "trace.npz"
META = "meta.json"
SUMMARY = "summary.json"
CHECKPOINT_BEST = "checkpoint_best.npz"
CHECKPOINT_FINAL = "checkpoint_final.npz"
SIGNALS = "signals.npz"
DIAG_STEPS = "diag_steps.jsonl"
GRADS = "grads.npz"
PRECOND = "precond.npz"
CURVATURE = "curvature.npz"
IMAGES = "images.npz"
FISHER = "fisher.npz"
SAMPLES = "samples.npz"
WARMUP = "warmup.npz"
ADAPTATION = "adaptation.npz"
PARTIAL_TRACE = "trace.partial"
FIGURES = "figures"
SIGNALS_META_ENTRY = "_signals_meta_json"

# trace.npz channels in the order the host writes them.
TRACE_CHANNELS = ("loss", "theta", "grad_norm", "step_norm", "base_lr", "accepted")


class RunFormatError(ValueError):
    """A run directory or one of its files is not what the dluxshera-run-v0 layout says; the message names the file."""


def run_path(run_dir: PathLike) -> Path:
    path = Path(run_dir)
    if not path.is_dir():
        raise RunFormatError(f"{path}: run directory not found.")
    return path


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise RunFormatError(f"{path}: file not found.")
    try:
        with open(path, "r", encoding="utf-8") as f:
            value = json.load(f)
    except json.JSONDecodeError as e:
        raise RunFormatError(f"{path}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from e
    if not isinstance(value, dict):
        raise RunFormatError(f"{path}: expected a JSON object.")
    return value


def load_npz(path: Path) -> dict:
    """All arrays of an .npz as a plain dict (the file is closed on return)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name] for name in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise RunFormatError(f"{path}: not a readable .npz ({e}).") from e


def require(arrays: Mapping[str, np.ndarray], name: str, path: Path) -> np.ndarray:
    if name not in arrays:
        raise RunFormatError(f"{path}: array '{name}' is missing (found: {', '.join(arrays) or 'none'}).")
    return arrays[name]


def _json_safe(value: Any) -> Any:
    """JSON has no NaN: the host writes non-finite numbers as null; numpy scalars and arrays become plain JSON."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _atomic(path: Path, write) -> None:
    """Writes through a temporary file in the same directory, flushed and renamed (never a half-written final name)."""
    fd, temp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def write_json(path: Path, value: Mapping[str, Any]) -> None:
    text = json.dumps(_json_safe(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    _atomic(path, lambda f: f.write(text.encode("utf-8")))


def write_text(path: Path, text: str) -> None:
    _atomic(path, lambda f: f.write(text.encode("utf-8")))


def write_npz(path: Path, arrays: Mapping[str, Any]) -> None:
    """An uncompressed .npz (stored entries, like the host), written atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(a) for name, a in arrays.items()})
    _atomic(path, lambda f: f.write(buffer.getvalue()))


def json_line(value: Mapping[str, Any]) -> str:
    return json.dumps(_json_safe(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
