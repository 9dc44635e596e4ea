"""Read and write DluxShera run directories (the ``dluxshera-run-v0`` layout of docs/artifacts.md) with numpy.

Functions first::

    import dluxshera_runs as dr
    trace = dr.load_trace("runs/<run_id>")          # trace.loss (T,), trace.theta (T, D), trace["grad_norm"]
    best = dr.load_checkpoint("runs/<run_id>", "best")
    signals = dr.load_signals("runs/<run_id>")      # signals["binary.x_error_uas"].values / .unit
    samples = dr.load_samples("runs/<run_id>")      # sampling runs: samples.theta (chains, draws, D), samples["diverging"]
    run = dr.load_run("runs/<run_id>")              # all of it
    table = dr.load_table("experiments/<name>", ["optimizer.name"])   # pandas DataFrame if pandas is installed
"""

from ._experiment import list_runs, load_table
from ._files import SCHEMA, RunFormatError
from ._run import Checkpoint, Run, load_arrays, load_checkpoint, load_diag_steps, load_meta, load_run, load_summary
from ._samples import Samples, load_samples
from ._save import layout_hash, save_run
from ._signals import Panel, Signal, SignalSet, load_signals
from ._trace import IndexEntry, Trace, load_trace

__version__ = "0.1.0"

__all__ = [
    "SCHEMA", "RunFormatError",
    "Trace", "IndexEntry", "Checkpoint", "Signal", "Panel", "SignalSet", "Run", "Samples",
    "load_trace", "load_meta", "load_summary", "load_checkpoint", "load_signals", "load_diag_steps", "load_arrays",
    "load_samples", "load_run", "list_runs", "load_table", "save_run", "layout_hash",
]
