"""signals.npz: named arrays with units, plus the panel layout the figures were drawn with.

The file is self-contained: one array per signal (the unit convention is in the name, e.g.
``binary.x_error_uas``) and a ``_signals_meta_json`` entry, the UTF-8 bytes of a JSON document
``{"recipe", "options", "signals": [{"name", "unit", "shape", "truth"?}], "panels": [{"title", "signals",
"mode", "statistic"?, "top_n"?, "log_y"}]}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import numpy as np

from . import _files as F


@dataclass(eq=False)
class Signal:
    """One signal: ``values`` of shape (T,) or (T, K), its ``unit`` label and, for residual-like signals of a run
    with a known truth, the truth per component."""

    name: str
    values: np.ndarray
    unit: str = ""
    truth: Optional[np.ndarray] = None

    @property
    def shape(self):
        return self.values.shape

    def __repr__(self) -> str:
        return f"<Signal {self.name} {self.values.shape} [{self.unit}]>"


@dataclass(frozen=True)
class Panel:
    """One axis of the signal grid: the signals drawn on it and how vector signals are summarised."""

    title: str
    signals: Sequence[str]
    mode: str = "components"
    statistic: str = "rms"
    top_n: int = 3
    log_y: bool = False


@dataclass(eq=False)
class SignalSet(Mapping[str, Signal]):
    """The signals of a run by name (a read-only mapping), the recipe that built them and its panels."""

    signals: Dict[str, Signal]
    panels: List[Panel] = field(default_factory=list)
    recipe: Optional[str] = None
    options: Dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Signal:
        try:
            return self.signals[name]
        except KeyError:
            raise KeyError(f"no signal '{name}'; signals: {', '.join(self.signals)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.signals)

    def __len__(self) -> int:
        return len(self.signals)

    def arrays(self) -> Dict[str, np.ndarray]:
        """name → values, the plain dict numpy users expect."""
        return {name: s.values for name, s in self.signals.items()}

    def __repr__(self) -> str:
        return f"<SignalSet recipe={self.recipe} signals={list(self.signals)}>"


def decode(arrays: Mapping[str, np.ndarray], path="signals.npz") -> SignalSet:
    raw = arrays.get(F.SIGNALS_META_ENTRY)
    described: Dict[str, Any] = {}
    if raw is not None:
        try:
            described = json.loads(np.asarray(raw, dtype=np.uint8).tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise F.RunFormatError(f"{path}: {F.SIGNALS_META_ENTRY} is not UTF-8 JSON ({e}).") from e
    by_name = {d["name"]: d for d in described.get("signals", [])}
    signals: Dict[str, Signal] = {}
    # Metadata order first (the recipe's order), then any array the metadata does not describe.
    for name in list(by_name) + [n for n in arrays if n not in by_name and n != F.SIGNALS_META_ENTRY]:
        if name not in arrays:
            raise F.RunFormatError(f"{path}: {F.SIGNALS_META_ENTRY} describes '{name}' but the file has no such array.")
        d = by_name.get(name, {})
        truth = d.get("truth")
        signals[name] = Signal(name, arrays[name], d.get("unit", ""),
                               None if truth is None else np.array([np.nan if v is None else v for v in truth], dtype=np.float64))
    panels = [Panel(p["title"], list(p["signals"]), p.get("mode", "components"), p.get("statistic", "rms"),
                    int(p.get("top_n", 3)), bool(p.get("log_y", False))) for p in described.get("panels", [])]
    return SignalSet(signals, panels, described.get("recipe"), dict(described.get("options") or {}))


def encode(signals: Any) -> Dict[str, np.ndarray]:
    """A :class:`SignalSet`, or a plain ``{name: array}`` dict (units then empty), as signals.npz arrays."""
    if isinstance(signals, SignalSet):
        items = list(signals.signals.values())
        panels, recipe, options = signals.panels, signals.recipe, signals.options
    else:
        items = [v if isinstance(v, Signal) else Signal(k, np.asarray(v, dtype=np.float64)) for k, v in signals.items()]
        panels, recipe, options = [], None, {}
    described = {
        "recipe": recipe,
        "options": options,
        "signals": [{"name": s.name, "unit": s.unit, "shape": list(np.shape(s.values)),
                     **({} if s.truth is None else {"truth": np.asarray(s.truth, dtype=np.float64).tolist()})} for s in items],
        "panels": [{"title": p.title, "signals": list(p.signals), "mode": p.mode, "statistic": p.statistic,
                    "top_n": p.top_n, "log_y": p.log_y} for p in panels],
    }
    arrays = {s.name: np.asarray(s.values, dtype=np.float64) for s in items}
    arrays[F.SIGNALS_META_ENTRY] = np.frombuffer(F.json_line(described).encode("utf-8"), dtype=np.uint8)
    return arrays


def load_signals(run_dir: F.PathLike) -> Optional[SignalSet]:
    """signals.npz decoded (units, truth and panels from its metadata entry), or None when the run has none."""
    path = F.run_path(run_dir) / F.SIGNALS
    if not path.is_file():
        return None
    return decode(F.load_npz(path), path)
