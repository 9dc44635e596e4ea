# The two-plane forward pass of SHERA_MODEL §2 in numpy, with the same sizes and operations as
# TwoPlaneModel.Forward (per star and wavelength: pupil field, two complex matrix products, |.|^2,
# flux-weighted sum, binning). Its numbers (aperture, phases) are not the model's: it measures cost.
import sys, time
import numpy as np
N, P, OS, NL = (int(a) for a in sys.argv[1:5])
Q = P * OS
rng = np.random.default_rng(0)
T = (rng.random((N, N)) > 0.3).astype(float)
opd = rng.normal(0, 50e-9, (N, N))
x = (np.arange(N) - (N - 1) / 2) * (0.09 / N)
u = np.arange(Q) - (Q - 1) / 2
lams = np.linspace(495e-9, 605e-9, NL)
def forward():
    img = np.zeros((Q, Q))
    for lam in lams:
        A = np.exp(-2j * np.pi * np.outer(u * 8.6e-7 / OS, x) / lam)
        for (ax, ay, f) in ((2.4e-5, 0.0, 3.46), (-2.4e-5, 0.0, 1.0)):
            phi = 2 * np.pi * (opd + ax * x[None, :] + ay * x[:, None]) / lam
            E = T * np.exp(1j * phi) / np.sqrt((T * T).sum())
            out = (A @ (E @ A.T)) * (0.09 / N * 8.6e-7 / OS / lam)
            img += f / NL * (out.real ** 2 + out.imag ** 2)
    return img.reshape(P, OS, P, OS).sum(axis=(1, 3))
forward()
ts = []
for _ in range(3):
    t = time.perf_counter(); forward(); ts.append(time.perf_counter() - t)
print(sorted(ts)[1])
