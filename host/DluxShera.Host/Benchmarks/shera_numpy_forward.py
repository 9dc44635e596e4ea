# The two-plane forward pass of SHERA_MODEL §2 in numpy, with the same sizes and operations as
# OpticalModel.Forward (per star and wavelength: pupil field, two complex matrix products, |.|^2,
# flux-weighted sum, binning); with a 5th argument PAD > 0, the three-plane pass: the pupil field zero-padded
# to PAD*N, FFT, Fresnel kernel, IFFT, M2 (disk and phase), renormalised, FFT, conjugate kernel, IFFT, cropped
# (SecondaryMirrorStage.Forward). Its numbers (aperture, phases) are not the model's: it measures cost.
# Prints the median wall seconds and the median CPU seconds of the process (all threads, BLAS's included).
import sys, time
import numpy as np
N, P, OS, NL = (int(a) for a in sys.argv[1:5])
PAD = int(sys.argv[5]) if len(sys.argv) > 5 else 0
S = PAD * N
if PAD:
    f = np.fft.fftfreq(S, 0.09 / N)
    M2 = (np.add.outer(np.arange(S) - (S - 1) / 2, np.zeros(S)) ** 2 + (np.arange(S) - (S - 1) / 2) ** 2 <= (0.45 * S) ** 2).astype(float)
    psi = np.random.default_rng(1).normal(0, 20e-9, (S, S))
    off = (PAD - 1) * N // 2
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
            if PAD:
                K = np.exp(-1j * np.pi * lam * 3.0 * np.add.outer(f ** 2, f ** 2))
                big = np.zeros((S, S), complex)
                big[off:off + N, off:off + N] = E
                big = np.fft.ifft2(np.fft.fft2(big) * K) * (M2 * np.exp(2j * np.pi * psi / lam))
                big /= np.sqrt((big.real ** 2 + big.imag ** 2).sum())
                E = np.fft.ifft2(np.fft.fft2(big) * np.conj(K))[off:off + N, off:off + N]
            out = (A @ (E @ A.T)) * (0.09 / N * 8.6e-7 / OS / lam)
            img += f / NL * (out.real ** 2 + out.imag ** 2)
    return img.reshape(P, OS, P, OS).sum(axis=(1, 3))
forward()
ts, cs = [], []
for _ in range(3):
    t, c = time.perf_counter(), time.process_time()
    forward()
    ts.append(time.perf_counter() - t)
    cs.append(time.process_time() - c)
print(sorted(ts)[1], sorted(cs)[1])
