"""Tests of dluxshera_runs against run directories the host wrote.

The .NET test suite (tests/DluxShera.Host.Tests/PythonReaderTests.cs) prepares, under DLUXSHERA_TEST_RUNS:
  complete/      `dluxshera run docs/examples/rosenbrock-adam.json` (300 steps, diagnostics_every = 50, figures)
  killed/        a run whose writer streamed rows and was never completed: the channel headers count the rows of
                 the last flush, the data holds 3 more whole rows in every channel (written after the last header
                 rewrite), then half a row torn off theta and one loss row more
  sampled/       `dluxshera run` of NUTS on a 3-D standard normal (2 chains, 200 warm-up, 300 draws)
  experiment/    an experiment of two runs (adam with learning rates 0.02 and 0.01)
and checks what these tests write under DLUXSHERA_TEST_OUT (save_run) with the host's `inspect`.
Truths are independent of the host: the Rosenbrock function, its standard start and its minimum.
"""

import json
import os
import unittest
from pathlib import Path

import numpy as np

import dluxshera_runs as dr

RUNS = Path(os.environ.get("DLUXSHERA_TEST_RUNS", ""))
OUT = Path(os.environ.get("DLUXSHERA_TEST_OUT", ""))
KILLED_ROWS = int(os.environ.get("DLUXSHERA_TEST_KILLED_ROWS", "0"))
CI = os.environ.get("CI", "").lower() == "true"


def rosenbrock(theta):
    x, y = theta[..., 0], theta[..., 1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def needs_runs(cls):
    return unittest.skipUnless((RUNS / "complete").is_dir(), "set DLUXSHERA_TEST_RUNS to host-written runs (see the module docstring)")(cls)


@needs_runs
class CompleteRun(unittest.TestCase):
    run_dir = RUNS / "complete"

    def test_trace_is_the_rosenbrock_path_from_the_standard_start(self):
        trace = dr.load_trace(self.run_dir)
        self.assertFalse(trace.partial)
        self.assertEqual((trace.steps, trace.dim), (301, 2))
        np.testing.assert_array_equal(trace.theta[0], [-1.2, 1.0])
        np.testing.assert_allclose(trace.loss, rosenbrock(trace.theta), rtol=1e-12, atol=1e-15)
        self.assertEqual(set(trace), {"loss", "theta", "grad_norm", "step_norm", "base_lr", "accepted"})
        np.testing.assert_allclose(trace["step_norm"][1:], np.linalg.norm(np.diff(trace.theta, axis=0), axis=1), rtol=1e-9)
        self.assertEqual(trace["accepted"].dtype, np.bool_)
        np.testing.assert_array_equal(trace.parameter("x"), trace.theta)

    def test_meta_and_summary_agree_with_the_trace(self):
        meta, summary, trace = dr.load_meta(self.run_dir), dr.load_summary(self.run_dir), dr.load_trace(self.run_dir)
        self.assertEqual(meta["artifact_schema"], "dluxshera-run-v0")
        self.assertEqual(meta["theta"]["dim"], 2)
        entries = meta["theta"]["index_map"]["entries"]
        self.assertEqual(dr.layout_hash(entries), meta["theta"]["index_map"]["layout_hash"])
        self.assertEqual(summary["status"], "ok")
        self.assertEqual(summary["num_steps_completed"], trace.steps - 1)
        self.assertEqual(summary["loss_best"], trace.loss.min())

    def test_checkpoints_are_the_best_and_last_rows(self):
        trace = dr.load_trace(self.run_dir)
        best, final = dr.load_checkpoint(self.run_dir, "best"), dr.load_checkpoint(self.run_dir, which="final")
        self.assertEqual(best.step, int(np.argmin(trace.loss)))
        np.testing.assert_array_equal(best.theta, trace.theta[best.step])
        self.assertEqual(best.loss, rosenbrock(best.theta))
        self.assertEqual(final.step, trace.steps - 1)
        np.testing.assert_array_equal(final.theta, trace.theta[-1])
        with self.assertRaisesRegex(ValueError, "best.*final"):
            dr.load_checkpoint(self.run_dir, "worst")

    def test_signals_are_named_arrays_with_units_and_panels(self):
        signals, trace = dr.load_signals(self.run_dir), dr.load_trace(self.run_dir)
        self.assertEqual(signals.recipe, "generic")
        self.assertNotIn("_signals_meta_json", signals)
        # The Rosenbrock minimum (1, 1) is the truth: x_error = θ − (1, 1), independently of the recipe.
        np.testing.assert_allclose(signals["x_error"].values, trace.theta - 1.0, atol=1e-15)
        np.testing.assert_array_equal(signals["x"].truth, [1.0, 1.0])
        np.testing.assert_array_equal(signals["loss"].values, trace.loss)
        self.assertEqual(signals["base_lr"].unit, "learning rate")
        titles = {p.title: p for p in signals.panels}
        self.assertTrue(titles["loss"].log_y)
        self.assertEqual(list(titles["loss"].signals), ["loss"])
        for panel in signals.panels:
            for name in panel.signals:
                self.assertIn(name, signals)

    def test_diag_steps_are_every_fiftieth_trace_row(self):
        rows, trace = dr.load_diag_steps(self.run_dir), dr.load_trace(self.run_dir)
        self.assertEqual([r["step"] for r in rows], list(range(0, 301, 50)))
        for r in rows:
            self.assertEqual(r["loss"], trace.loss[r["step"]])
            self.assertEqual(r["grad_norm"], trace["grad_norm"][r["step"]])

    def test_load_run_has_everything(self):
        run = dr.load_run(self.run_dir)
        self.assertEqual(run.run_id, "complete")
        self.assertEqual(run.status, "ok")
        self.assertIsNotNone(run.checkpoint_best)
        self.assertIn("x_error", run.signals)
        self.assertEqual(len(run.diag_steps), 7)

    def test_errors_name_the_file(self):
        with self.assertRaisesRegex(dr.RunFormatError, "no-such-run.*not found"):
            dr.load_trace(RUNS / "no-such-run")


@needs_runs
class KilledRun(unittest.TestCase):
    run_dir = RUNS / "killed"

    def test_partial_trace_gives_the_rows_all_channel_data_agrees_on_not_the_headers(self):
        trace = dr.load_trace(self.run_dir)
        self.assertTrue(trace.partial)
        self.assertEqual(trace.steps, KILLED_ROWS)
        # The writer streamed θ_t = (t, −t) and loss_t = t²: every recovered row is whole, including the rows
        # written after the headers' last rewrite (a header-based reader would stop 3 rows short).
        t = np.arange(KILLED_ROWS, dtype=float)
        np.testing.assert_array_equal(trace.theta, np.stack([t, -t], axis=1))
        np.testing.assert_array_equal(trace.loss, t * t)

    def test_a_killed_run_loads_whole_and_says_failed(self):
        run = dr.load_run(self.run_dir)
        self.assertEqual(run.status, "failed")
        self.assertTrue(run.trace.partial)
        self.assertIsNone(run.checkpoint_best)


@needs_runs
class SamplingRun(unittest.TestCase):
    run_dir = RUNS / "sampled"

    def test_samples_are_draws_of_the_standard_normal_with_stan_statistics(self):
        samples = dr.load_samples(self.run_dir)
        self.assertFalse(samples.warmup)
        self.assertEqual(samples.theta.shape, (2, 300, 3))
        self.assertEqual((samples.chains, samples.draws, samples.dim), (2, 300, 3))
        # loss = ½‖x‖², so log p = −½‖x‖² exactly, draw by draw.
        np.testing.assert_allclose(samples["log_prob"], -0.5 * (samples.theta ** 2).sum(axis=2), rtol=1e-12, atol=1e-15)
        for name in ("step_size", "tree_depth", "n_leapfrog", "diverging", "energy", "accept_stat"):
            self.assertEqual(samples[name].shape, (2, 300), name)
        self.assertEqual(samples["diverging"].dtype, np.bool_)
        self.assertTrue((samples["n_leapfrog"] >= 1).all())
        # N(0, I): 600 draws of an efficient sampler put the mean within ~0.3 of 0 and the variance near 1.
        pooled = samples.flat()
        self.assertEqual(pooled.shape, (600, 3))
        self.assertTrue((np.abs(pooled.mean(axis=0)) < 0.3).all(), pooled.mean(axis=0))
        self.assertTrue(((pooled.var(axis=0) > 0.6) & (pooled.var(axis=0) < 1.5)).all(), pooled.var(axis=0))
        np.testing.assert_array_equal(samples.parameter("x"), samples.theta)

    def test_warmup_and_load_run(self):
        warmup = dr.load_samples(self.run_dir, warmup=True)
        self.assertTrue(warmup.warmup)
        self.assertEqual(warmup.theta.shape, (2, 200, 3))
        run = dr.load_run(self.run_dir)
        self.assertEqual(run.samples.theta.shape, (2, 300, 3))
        self.assertEqual(run.warmup.draws, 200)
        self.assertIn("adaptation.npz", run.arrays)
        self.assertNotIn("samples.npz", run.arrays)
        self.assertIn("draws=300", repr(run))

    def test_an_optimisation_run_has_no_samples(self):
        self.assertIsNone(dr.load_samples(RUNS / "complete"))
        self.assertIsNone(dr.load_run(RUNS / "complete").samples)


@needs_runs
class Experiment(unittest.TestCase):
    directory = RUNS / "experiment"

    def test_list_runs_finds_both(self):
        self.assertEqual(len(dr.list_runs(self.directory)), 2)

    def test_table_has_one_row_per_run_with_meta_columns(self):
        rows = dr.load_table(self.directory, ["optimizer.options.learning_rate"], as_dataframe=False)
        self.assertEqual(sorted(r["meta.optimizer.options.learning_rate"] for r in rows), [0.01, 0.02])
        for r in rows:
            self.assertEqual(r["status"], "ok")
            self.assertEqual(r["loss_best"], dr.load_summary(self.directory / "runs" / r["run_dir"])["loss_best"])

    def test_table_is_a_dataframe_with_pandas(self):
        try:
            import pandas  # noqa: F401
        except ImportError:
            if CI:
                raise
            self.skipTest("pandas not installed (apt-get install python3-pandas)")
        table = dr.load_table(self.directory, ["optimizer.name"])
        self.assertEqual(list(table["meta.optimizer.name"]), ["adam", "adam"])
        self.assertEqual(len(table), 2)


class SaveRun(unittest.TestCase):
    """save_run writes the host's layout; the .NET test then reads OUT/saved with `dluxshera inspect`."""

    def test_round_trip_and_files_for_the_host(self):
        out = OUT if str(OUT) else Path(os.environ.get("TMPDIR", "/tmp")) / f"dluxshera-runs-test-{os.getpid()}"
        out.mkdir(parents=True, exist_ok=True)
        t = np.arange(11, dtype=float)
        theta = np.stack([t, 2 * t, 3 * t], axis=1)  # the .NET test checks θ_t = (t, 2t, 3t)
        loss = (t - 7.0) ** 2
        loss[3] = np.nan
        entries = [{"name": "a", "start": 0, "stop": 1, "shape": [1], "block": "a", "label": "a (m)"},
                   {"name": "bc", "start": 1, "stop": 3, "shape": [2], "block": "bc", "label": None}]
        signals = dr.SignalSet({"a_error_m": dr.Signal("a_error_m", theta[:, :1] - 7.0, "m", np.array([7.0]))},
                               [dr.Panel("a − truth", ["a_error_m"], log_y=False)], recipe="python")
        run_dir = dr.save_run(out / "saved", {"loss": loss, "theta": theta}, {"theta": {"index_map": {"entries": entries}}},
                              {"loss_best": 0.0, "best_step": 7},
                              signals=signals, checkpoint_best={"theta": theta[7], "step": 7, "loss": 0.0},
                              checkpoint_final=dr.Checkpoint("final", theta[-1], 10, 9.0),
                              diag_steps=[{"step": 0, "loss": 49.0}, {"step": 5, "loss": 4.0}], overwrite=True)
        run = dr.load_run(run_dir)
        np.testing.assert_array_equal(run.trace.theta, theta)
        np.testing.assert_array_equal(run.trace.loss, loss)
        self.assertTrue(np.isnan(run.trace["grad_norm"]).all())
        self.assertTrue(run.trace["accepted"].all())
        self.assertEqual(run.checkpoint_best, dr.Checkpoint("best", theta[7], 7, 0.0))
        self.assertEqual(run.checkpoint_final.step, 10)
        self.assertEqual(run.signals["a_error_m"].unit, "m")
        np.testing.assert_array_equal(run.signals["a_error_m"].truth, [7.0])
        self.assertEqual(run.signals.panels[0].signals, ["a_error_m"])
        self.assertEqual(run.diag_steps[1], {"step": 5, "loss": 4.0})
        np.testing.assert_array_equal(run.trace.parameter("bc"), theta[:, 1:])
        self.assertEqual(run.summary["status"], "ok")
        self.assertEqual(run.summary["num_steps_completed"], 10)
        self.assertTrue(run.summary["has_checkpoint_best"] and run.summary["has_signals"] and run.summary["has_diag_steps"])
        self.assertFalse(run.summary["has_grads"])
        self.assertEqual(run.meta["theta"]["dim"], 3)
        files = {m["file"] for m in run.meta["manifest"]}
        self.assertEqual(files, {"trace.npz", "summary.json", "checkpoint_best.npz", "checkpoint_final.npz", "signals.npz", "diag_steps.jsonl"})
        # JSON has no NaN: a non-finite number is written as null, as the host does.
        with open(run_dir / "summary.json") as f:
            self.assertNotIn("NaN", f.read())
        with self.assertRaises(FileExistsError):
            dr.save_run(run_dir, {"loss": loss, "theta": theta}, {}, {})
        with self.assertRaisesRegex(ValueError, "D = 3"):
            dr.save_run(out / "bad", {"loss": loss, "theta": theta}, {"theta": {"dim": 2}}, {})
        with open(out / "saved.json", "w") as f:
            json.dump({"ok": True}, f)


if __name__ == "__main__":
    unittest.main()
