"""Many runs: an experiment's ``runs/<run_id>/`` (or any directory of run directories) as a list or a table."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from . import _files as F
from ._run import load_meta, load_summary


def _runs_root(directory: F.PathLike) -> Path:
    root = Path(directory)
    if (root / "runs").is_dir():
        return root / "runs"
    if root.is_dir():
        return root
    raise F.RunFormatError(f"{root}: not found; expected an experiment directory (holding runs/) or a directory of run directories.")


def list_runs(directory: F.PathLike) -> List[Path]:
    """The run directories of an experiment (``<dir>/runs/*/``) or of a plain runs directory, sorted by name
    (run ids sort by creation time). A directory counts as a run when it holds summary.json or meta.json."""
    root = _runs_root(directory)
    return sorted((p for p in root.iterdir() if p.is_dir() and ((p / F.SUMMARY).is_file() or (p / F.META).is_file())),
                  key=lambda p: p.name)


def _flatten(obj: Dict[str, Any], prefix: str, row: Dict[str, Any]) -> None:
    for key, value in obj.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", row)
        elif isinstance(value, list):
            continue  # per-parameter rows (summary.parameters) do not fit one cell; load_summary has them
        else:
            row[f"{prefix}{key}"] = value


def _lookup(meta: Dict[str, Any], dotted: str) -> Any:
    node: Any = meta
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def load_table(directory: F.PathLike, meta_keys: Iterable[str] = (), *, as_dataframe: Optional[bool] = None):
    """One row per run: ``run_dir``, the flattened summary.json (``git.commit``, ``status``, ``loss_best``, ...) and
    ``meta.<key>`` for each dotted meta.json key asked for (``optimizer.name``, ``objective.options.condition``).

    A run whose files cannot be read is a row with status ``unreadable`` and the error as its message, so
    nothing silently disappears. Returns a pandas DataFrame when pandas is installed (``as_dataframe=None``),
    otherwise a list of dicts; ``as_dataframe=True`` insists on pandas, ``False`` always gives the list.
    """
    keys: Sequence[str] = list(meta_keys)
    rows: List[Dict[str, Any]] = []
    columns: List[str] = ["run_dir"]
    for run in list_runs(directory):
        row: Dict[str, Any] = {"run_dir": run.name}
        try:
            _flatten(load_summary(run), "", row)
            if keys:
                meta = load_meta(run)
                for key in keys:
                    row[f"meta.{key}"] = _lookup(meta, key)
        except F.RunFormatError as e:
            row.update({"run_id": run.name, "status": "unreadable", "message": str(e)})
        for key in row:
            if key not in columns:
                columns.append(key)
        rows.append(row)
    for key in keys:
        if f"meta.{key}" not in columns:
            columns.append(f"meta.{key}")
    rows = [{c: r.get(c) for c in columns} for r in rows]
    if as_dataframe is False:
        return rows
    try:
        import pandas as pd
    except ImportError:
        if as_dataframe:
            raise ImportError("load_table(as_dataframe=True) needs pandas (apt-get install python3-pandas)") from None
        return rows
    return pd.DataFrame(rows, columns=columns)
