#!/usr/bin/python3
"""Writes the golden .npy/.npz/.json files the format tests compare our reader and writer with.

Run with Debian's python3-numpy (`/usr/bin/python3 make_golden.py` in this folder). The tests read the
committed bytes, so they never need numpy. Every value is a simple closed form, so a test can state it
independently of these files.
"""
import hashlib
import json

import numpy as np

arrays = {
    "f8_2x3": np.arange(6, dtype="<f8").reshape(2, 3) / 7.0,
    "f4_5": np.array([0.5, -1.25, 3.0, 1e-3, -0.0], dtype="<f4"),
    "i8_2x2": np.array([[-(2**62), -1], [0, 2**62 + 7]], dtype="<i8"),
    "i4_0": np.zeros((0,), dtype="<i4"),
    "i4_2x0x3": np.zeros((2, 0, 3), dtype="<i4"),
    "b1_3": np.array([True, False, True]),
    "u1_4": np.array([0, 1, 127, 255], dtype=np.uint8),
    "f8_scalar": np.float64(2.5),
    "f8_nonfinite": np.array([np.nan, np.inf, -np.inf, 5e-324], dtype="<f8"),
}
for name, a in arrays.items():
    np.save(name + ".npy", a, allow_pickle=False)

# Files numpy writes that we only read: Fortran order, format version 2.0.
np.save("i4_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype="<i4").reshape(2, 3)), allow_pickle=False)
with open("f8_v2_2x3.npy", "wb") as f:
    np.lib.format.write_array(f, arrays["f8_2x3"], version=(2, 0))

np.savez("savez.npz", a=arrays["f8_2x3"], flags=arrays["b1_3"], n=np.int64(7))
np.savez_compressed("savez_compressed.npz", a=arrays["f8_2x3"], flags=arrays["b1_3"], n=np.int64(7))

# layout_hash: sha256 of the compact JSON list of [name, shape] pairs (ARCHITECTURE / docs/artifacts.md).
pairs = [["binary.x_position_as", [1]], ["primary.zernike_coeffs_nm", [8]], ["odd \"name\" \u00b5\\\u00e9", [2, 3]]]
layout = json.dumps(pairs, separators=(",", ":"))
with open("layout_hash.json", "w") as f:
    json.dump({"pairs": pairs, "layout_json": layout, "layout_hash": hashlib.sha256(layout.encode()).hexdigest()}, f, indent=1)
    f.write("\n")
