"""Zero-phase Butterworth filters shared by the IMU and pose engines, in NumPy only.

Why hand-written: ``import scipy.signal`` alone takes about 0.9 s (its package imports every
submodule, ``scipy.stats`` included), three times the 0.3 s start-up budget of
``retrowalk gait imu`` (issue #19), and its per-call wrappers cost more than filtering a short
recording. So the design and the filtering are re-done here and checked against
``scipy.signal`` (``butter``, ``sosfiltfilt``) by property tests; scipy stays a dependency of
the rest of the project.

Design: ``scipy.signal.butter``'s steps (analog prototype, pre-warped cut-offs, low/high/band
transform, bilinear transform, second-order sections paired nearest-first with the poles closest
to the unit circle last), so the sections are scipy's.

Filtering: ``sosfiltfilt``'s default method (odd extension of 3 x taps at each end, one pass
forward and one backward, each started from the steady state of the first sample). A pass is the
sections' cascade as one state-space system ``s' = A s + B x, y = C s + D x``, run in blocks of
``BLOCK`` samples without a Python loop per sample: within a block the output is the block's
input convolved with the impulse response (a lower-triangular Toeplitz matrix ``T``) plus the
zero-input response of the block's starting state (``O``); the states at the block starts follow
``z[j+1] = A^L z[j] + G x_block[j]``, solved for all blocks at once by a log-step scan. The
matrices depend only on the design and are cached, so a pass is one matrix product over all
blocks, about log2(blocks) small products, and one more matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
Kind = Literal["low", "high", "band"]
Cutoff = float | tuple[float, float]
NYQUIST_MARGIN = 0.45  # cut-offs are clipped below 0.45 x rate (Nyquist is 0.5)
BLOCK = 32  # samples per block: the Toeplitz product costs BLOCK multiply-adds per sample
TINY = 1e-200  # powers of the block transition below this are zero
REAL_TOL = 100 * np.finfo(np.float64).eps  # scipy's test for a real root / a conjugate pair


def _clip(cutoff_hz: Cutoff, fs: float) -> Cutoff:
    if isinstance(cutoff_hz, tuple):
        return (cutoff_hz[0], min(cutoff_hz[1], NYQUIST_MARGIN * fs))
    return min(cutoff_hz, NYQUIST_MARGIN * fs)


# --- design (scipy.signal.butter, output="sos") -------------------------------------------


def _butter_zpk(order: int, kind: Kind, cut: Cutoff, fs: float) -> tuple[ComplexArray, ComplexArray, float]:
    """Digital zeros, poles and gain of a Butterworth filter (``butter(..., output="zpk")``)."""
    m = np.arange(-order + 1, order, 2, dtype=np.float64)
    p: ComplexArray = -np.exp(1j * np.pi * m / (2 * order))  # prototype; middle pole exactly real
    wn = np.asarray(cut, dtype=np.float64) / (fs / 2)
    warped = 4.0 * np.tan(np.pi * wn / 2.0)  # pre-warped for the bilinear transform at rate 2
    k = 1.0
    if kind == "low":
        z = np.zeros(0, np.complex128)
        p, k = float(warped) * p, k * float(warped) ** order
    elif kind == "high":
        k = k * float(np.real(1.0 / np.prod(-p)))
        p = float(warped) / p
        z = np.zeros(order, np.complex128)
    else:
        bw, wo = float(warped[1] - warped[0]), float(np.sqrt(warped[0] * warped[1]))
        p_lp = (p * bw / 2).astype(np.complex128)
        root = np.sqrt(p_lp**2 - wo**2)
        p = np.concatenate((p_lp + root, p_lp - root))
        z = np.zeros(order, np.complex128)
        k = k * bw**order
    degree = p.size - z.size
    k = k * float(np.real(np.prod(4.0 - z) / np.prod(4.0 - p)))
    z = np.concatenate(((4.0 + z) / (4.0 - z), -np.ones(degree)))
    return z.astype(np.complex128), (4.0 + p) / (4.0 - p), k


def _cplxreal(z: ComplexArray) -> tuple[ComplexArray, FloatArray]:
    """One root per conjugate pair (positive imaginary part) and the real roots, sorted as
    ``scipy.signal._filter_design._cplxreal`` does (the pairing below depends on the order)."""
    if z.size == 0:
        return np.zeros(0, np.complex128), np.zeros(0)
    z = z[np.lexsort((np.abs(z.imag), z.real))]
    real = np.abs(z.imag) <= REAL_TOL * np.abs(z)
    zr = z[real].real
    if zr.size == z.size:
        return np.zeros(0, np.complex128), zr
    z = z[~real]
    zp, zn = z[z.imag > 0], z[z.imag < 0]
    same_real = np.diff(zp.real) <= REAL_TOL * np.abs(zp[:-1])
    edges = np.diff(np.concatenate(([0], same_real.astype(int), [0])))
    for start, stop in zip(np.flatnonzero(edges > 0), np.flatnonzero(edges < 0) + 1, strict=True):
        for chunk in (zp[start:stop], zn[start:stop]):
            chunk[...] = chunk[np.lexsort([np.abs(chunk.imag)])]
    return (zp + zn.conj()) / 2, zr


def _nearest(fro: ComplexArray, to: complex, which: str) -> int:
    order = np.argsort(np.abs(fro - to))
    if which == "any":
        return int(order[0])
    real = np.isreal(fro[order])
    return int(order[np.flatnonzero(real if which == "real" else ~real)[0]])


def _section(z: list[complex], p: list[complex]) -> FloatArray:
    sec = np.zeros(6)
    b, a = np.real(np.poly(z)) if z else np.ones(1), np.real(np.poly(p))
    sec[3 - b.size : 3], sec[6 - a.size : 6] = b, a
    return sec


def _zpk2sos(z: ComplexArray, p: ComplexArray, k: float) -> FloatArray:
    """``scipy.signal.zpk2sos(z, p, k)`` (pairing "nearest", digital) for equal root counts."""
    if p.size % 2:
        p, z = np.append(p, 0.0), np.append(z, 0.0)
    n_sections = p.size // 2
    zs: ComplexArray = np.concatenate(_cplxreal(z)).astype(np.complex128)
    ps: ComplexArray = np.concatenate(_cplxreal(p)).astype(np.complex128)
    sos = np.zeros((n_sections, 6))

    def worst(x: ComplexArray) -> int:  # the pole closest to the unit circle
        return int(np.argmin(np.abs(1 - np.abs(x))))

    for si in range(n_sections - 1, -1, -1):
        i = worst(ps)
        p1, ps = ps[i], np.delete(ps, i)
        if np.isreal(p1) and np.isreal(ps).sum() == 0:  # last real pole: a first-order section
            j = _nearest(zs, p1, "real")
            sos[si], zs = _section([zs[j], 0], [p1, 0]), np.delete(zs, j)
            continue
        if ps.size + 1 == zs.size and not np.isreal(p1) and np.isreal(ps).sum() == 1 == np.isreal(zs).sum():
            j = _nearest(zs, p1, "complex")  # keep the one real zero for the real pole
            sos[si], zs = _section([zs[j], zs[j].conj()], [p1, p1.conj()]), np.delete(zs, j)
            continue
        if np.isreal(p1):
            real = np.flatnonzero(np.isreal(ps))
            i = int(real[worst(ps[real])])
            p2, ps = ps[i], np.delete(ps, i)
        else:
            p2 = p1.conj()
        if zs.size == 0:
            sos[si] = _section([], [p1, p2])
            continue
        j = _nearest(zs, p1, "any")
        z1, zs = zs[j], np.delete(zs, j)
        if not np.isreal(z1):
            sos[si] = _section([z1, z1.conj()], [p1, p2])
        elif zs.size:
            j = _nearest(zs, p1, "real")
            sos[si], zs = _section([z1, zs[j]], [p1, p2]), np.delete(zs, j)
        else:
            sos[si] = _section([z1], [p1, p2])
    sos[0, :3] *= k
    return sos


# --- filtering ------------------------------------------------------------------------------


def _state_space(sos: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """The cascade of sections (each in sosfilt's transposed direct form II) as one system."""
    a = np.zeros((0, 0))
    b, c, d = np.zeros(0), np.zeros(0), 1.0
    for b0, b1, b2, _, a1, a2 in sos:
        a_s = np.array([[-a1, 1.0], [-a2, 0.0]])
        b_s = np.array([b1 - a1 * b0, b2 - a2 * b0])
        n = a.shape[0]
        grown = np.zeros((n + 2, n + 2))
        grown[:n, :n], grown[n:, :n], grown[n:, n:] = a, np.outer(b_s, c), a_s
        a, b = grown, np.concatenate((b, b_s * d))
        c, d = np.concatenate((b0 * c, [1.0, 0.0])), b0 * d
    return a, b, c, d


@dataclass(frozen=True)
class ZeroPhaseDesign:
    """A Butterworth design with everything forward-backward filtering needs, computed once."""

    sos: FloatArray  # (sections, 6), scipy's; never handed out (callers get a copy)
    edge: int  # samples of odd extension at each end (sosfiltfilt's default padlen)
    min_samples: int  # shorter inputs are returned unfiltered
    dc_gain: float  # the response to a constant input, per unit
    forced: FloatArray  # (BLOCK, BLOCK): T', the impulse response as a Toeplitz matrix
    gain: FloatArray  # (BLOCK, states): G', the state a block's input leaves at its end
    zero_input: FloatArray  # (states, BLOCK): O', a block's response to its starting state
    powers: tuple[FloatArray, ...]  # (A^BLOCK)^(2^k)', transposed, for the block-state scan


def _blocked(
    a: FloatArray, b: FloatArray, c: FloatArray, d: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    n = a.shape[0]
    pw = np.empty((BLOCK + 1, n, n))  # A^0 .. A^BLOCK
    pw[0] = np.eye(n)
    for i in range(BLOCK):
        pw[i + 1] = a @ pw[i]
    h = np.concatenate(([d], c @ (pw[: BLOCK - 1] @ b).T))  # impulse response h[0..BLOCK-1]
    lag = np.arange(BLOCK)[:, None] - np.arange(BLOCK)[None, :]
    toeplitz = np.where(lag >= 0, h[np.clip(lag, 0, None)], 0.0)  # y = T x
    gain = (pw[BLOCK - 1 :: -1][:BLOCK] @ b).T  # (n, BLOCK): A^(L-1-k) B, state after the block
    zero_input = np.ascontiguousarray((c @ pw[:BLOCK]).T)  # (n, BLOCK): C A^i
    return np.ascontiguousarray(toeplitz.T), np.ascontiguousarray(gain.T), zero_input, pw[BLOCK]


@lru_cache(maxsize=128)
def design(kind: Kind, cutoff_hz: Cutoff, fs: float, order: int = 2) -> ZeroPhaseDesign:
    """Sections, steady state, block matrices and padding of a Butterworth design."""
    cut = _clip(cutoff_hz, fs)
    sos = _zpk2sos(*_butter_zpk(order, kind, cut, fs))
    n_sections = sos.shape[0]
    ntaps = 2 * n_sections + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    a, b, c, d = _state_space(sos)
    forced, gain, zero_input, phi = _blocked(a, b, c, d)
    dc_gain = float(np.prod((sos[:, 0] + sos[:, 1] + sos[:, 2]) / (sos[:, 3] + sos[:, 4] + sos[:, 5])))
    powers = [np.ascontiguousarray(phi.T)]
    while np.any(powers[-1]) and len(powers) < 48:  # until the state has died out (or 2^48 blocks)
        nxt = powers[-1] @ powers[-1]
        nxt[np.abs(nxt) < TINY] = 0.0  # no subnormal numbers: they are slow and far below precision
        powers.append(nxt)
    return ZeroPhaseDesign(
        sos, 3 * ntaps, 3 * (2 * n_sections + 1) + 1, dc_gain, forced, gain, zero_input, tuple(powers)
    )


def butter_sos(kind: Kind, cutoff_hz: Cutoff, fs: float, order: int = 2) -> FloatArray:
    """Second-order sections of a Butterworth design (cut-off clipped below Nyquist)."""
    return design(kind, cutoff_hz, fs, order).sos.copy()


def _pass(d: ZeroPhaseDesign, x: FloatArray) -> FloatArray:
    """Filter each row of ``x`` (channels, blocks x BLOCK; padded at the end with anything)
    from the steady state of its first sample; same shape back.

    Started in the steady state of ``x0``, the system answers a constant ``x0`` with the
    constant ``dc_gain x0``, so by linearity the rest is the zero-state response to ``x - x0``.
    That avoids the steady state itself, whose internal states are huge (and lose precision
    against each other) when the poles are close to 1.
    """
    ch, nb = x.shape[0], x.shape[1] // BLOCK
    x0 = x[:, :1].copy()
    u = x - x0
    blocks = u.reshape(ch * nb, BLOCK)
    y = blocks @ d.forced  # each block's response to its own input
    w = (blocks @ d.gain).reshape(ch, nb, -1)  # the state that input leaves at the block's end
    step = 1
    for p in d.powers:  # log-step scan: w[j] = sum over i <= j of (A^L)^(j-i) w[i]
        if step >= nb or not p.any():
            break
        w[:, step:] += w[:, :-step] @ p
        step *= 2
    y = y.reshape(ch, nb, BLOCK)
    y[:, 1:] += w[:, :-1] @ d.zero_input  # plus the response to the state it starts in
    y = y.reshape(ch, nb * BLOCK)
    y += d.dc_gain * x0
    return y


def zero_phase(x: FloatArray, fs: float, kind: Kind, cutoff_hz: Cutoff, *, order: int = 2) -> FloatArray:
    """Forward-backward filter along axis 0 (``sosfiltfilt``'s result); inputs of at most
    3 x (2 x sections + 1) samples come back unfiltered."""
    d = design(kind, cutoff_hz, fs, order)
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if n < d.min_samples:
        return np.array(x, dtype=np.float64)
    e = d.edge
    cols = x.reshape(n, -1).T  # (channels, n)
    m = n + 2 * e
    buf = np.zeros((cols.shape[0], -(-m // BLOCK) * BLOCK))
    buf[:, :e] = 2 * cols[:, :1] - cols[:, e:0:-1]
    buf[:, e : e + n] = cols
    buf[:, e + n : m] = 2 * cols[:, -1:] - cols[:, -2 : -(e + 2) : -1]
    y = _pass(d, buf)
    back = np.zeros_like(buf)
    back[:, :m] = y[:, m - 1 :: -1]
    y = _pass(d, back)
    return np.ascontiguousarray(y[:, m - e - 1 : e - 1 : -1].T).reshape(x.shape)


def bandpass(x: FloatArray, fs: float, lo_hz: float, hi_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase band-pass (IMU: removes gravity/posture drift below and noise above)."""
    return zero_phase(x, fs, "band", (lo_hz, hi_hz), order=order)


def lowpass(x: FloatArray, fs: float, cutoff_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase low-pass (pose keypoints, IMU envelopes)."""
    return zero_phase(x, fs, "low", cutoff_hz, order=order)


def highpass(x: FloatArray, fs: float, cutoff_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase high-pass (removes gravity and slow drift)."""
    return zero_phase(x, fs, "high", cutoff_hz, order=order)
