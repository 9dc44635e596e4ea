# Moré–Garbow–Hillstrom problems 1-18 for scipy's L-BFGS-B, the reference of `dluxshera bench mgh`.
# The same definitions as plugins/DluxShera.TestProblems/MoreGarbowHillstrom.cs; exact gradients by the
# complex-step method (imag f(x + ih e_j) / h), so both sides see exact derivatives.
import json, sys
import numpy as np
from scipy.optimize import minimize

def cabs(z):  # analytic continuation of |z| for the complex step
    return z if np.real(z) >= 0 else -z

def r1(x): return [10 * (x[1] - x[0] ** 2), 1 - x[0]]
def r2(x): return [-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1], -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]]
def r3(x): return [1e4 * x[0] * x[1] - 1, np.exp(-x[0]) + np.exp(-x[1]) - 1.0001]
def r4(x): return [x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2]
def r5(x): return [y - x[0] * (1 - x[1] ** (i + 1)) for i, y in enumerate([1.5, 2.25, 2.625])]
def r6(x): return [2 + 2 * i - (np.exp(i * x[0]) + np.exp(i * x[1])) for i in range(1, 11)]
def r7(x):
    th = np.arctan(x[1] / x[0]) / (2 * np.pi) + (0.5 if np.real(x[0]) < 0 else 0.0)
    return [10 * (x[2] - 10 * th), 10 * (np.sqrt(x[0] ** 2 + x[1] ** 2) - 1), x[2]]
Y8 = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]
def r8(x): return [Y8[i - 1] - (x[0] + i / ((16 - i) * x[1] + min(i, 16 - i) * x[2])) for i in range(1, 16)]
Y9 = [0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009]
def r9(x): return [x[0] * np.exp(-x[1] * ((8 - i) / 2 - x[2]) ** 2 / 2) - Y9[i - 1] for i in range(1, 16)]
Y10 = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872]
def r10(x): return [x[0] * np.exp(x[1] / (45 + 5 * i + x[2])) - Y10[i - 1] for i in range(1, 17)]
def r11(x):
    out = []
    for i in range(1, 100):
        t = i / 100; y = 25 + (-50 * np.log(t)) ** (2 / 3)
        out.append(np.exp(-np.exp(x[2] * np.log(cabs(y - x[1]))) / x[0]) - t)
    return out
def r12(x): return [np.exp(-0.1 * i * x[0]) - np.exp(-0.1 * i * x[1]) - x[2] * (np.exp(-0.1 * i) - np.exp(-i)) for i in range(1, 11)]
def r13(x): return [x[0] + 10 * x[1], np.sqrt(5) * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2, np.sqrt(10) * (x[0] - x[3]) ** 2]
def r14(x): return [10 * (x[1] - x[0] ** 2), 1 - x[0], np.sqrt(90) * (x[3] - x[2] ** 2), 1 - x[2], np.sqrt(10) * (x[1] + x[3] - 2), (x[1] - x[3]) / np.sqrt(10)]
Y15 = [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]
U15 = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625]
def r15(x): return [Y15[i] - x[0] * (U15[i] ** 2 + U15[i] * x[1]) / (U15[i] ** 2 + U15[i] * x[2] + x[3]) for i in range(11)]
def r16(x): return [(x[0] + i / 5 * x[1] - np.exp(i / 5)) ** 2 + (x[2] + x[3] * np.sin(i / 5) - np.cos(i / 5)) ** 2 for i in range(1, 21)]
Y17 = [0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603,
       0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406]
def r17(x): return [Y17[i] - (x[0] + x[1] * np.exp(-10 * i * x[3]) + x[2] * np.exp(-10 * i * x[4])) for i in range(33)]
def r18(x):
    out = []
    for i in range(1, 14):
        t = 0.1 * i; y = np.exp(-t) - 5 * np.exp(-10 * t) + 3 * np.exp(-4 * t)
        out.append(x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - y)
    return out

PROBLEMS = {1: (r1, [-1.2, 1]), 2: (r2, [0.5, -2]), 3: (r3, [0, 1]), 4: (r4, [1, 1]), 5: (r5, [1, 1]), 6: (r6, [0.3, 0.4]),
            7: (r7, [-1, 0, 0]), 8: (r8, [1, 1, 1]), 9: (r9, [0.4, 1, 0]), 10: (r10, [0.02, 4000, 250]), 11: (r11, [5, 2.5, 0.15]),
            12: (r12, [0, 10, 20]), 13: (r13, [3, -1, 0, 1]), 14: (r14, [-3, -1, -3, -1]), 15: (r15, [0.25, 0.39, 0.415, 0.39]),
            16: (r16, [25, 5, -5, -1]), 17: (r17, [0.5, 1.5, -1, 0.01, 0.02]), 18: (r18, [1, 2, 1, 1, 1, 1])}

def fg(res):
    def f(x): return sum(v * v for v in res(x))
    def both(x):
        x = np.asarray(x, dtype=float); h = 1e-30
        g = np.empty_like(x)
        for j in range(len(x)):
            xc = x.astype(complex); xc[j] += 1j * h
            g[j] = np.imag(f(xc)) / h
        return float(np.real(f(x))), g
    return both

out = {}
for k, (res, x0) in PROBLEMS.items():
    r = minimize(fg(res), np.array(x0, dtype=float), jac=True, method='L-BFGS-B')
    out[k] = {'f': float(r.fun), 'nfev': int(r.nfev), 'nit': int(r.nit), 'message': str(r.message)}
print(json.dumps(out))
