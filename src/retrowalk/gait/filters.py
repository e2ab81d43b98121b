"""Zero-phase Butterworth filters shared by the IMU and pose engines, in NumPy only.

Why hand-written: ``import scipy.signal`` alone takes about 0.9 s (its package imports every
submodule, ``scipy.stats`` included), three times the 0.3 s start-up budget of
``retrowalk gait imu`` (issue #19). So the design and the filtering are re-done here and checked
against ``scipy.signal`` (``butter``, ``sosfiltfilt``) by property tests; scipy stays a
dependency of the rest of the project.

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
matrices depend only on the design and are cached, so a pass is a few matrix products over all
blocks at once; on long recordings that is as fast as ``scipy.signal``'s C loop, on short ones
NumPy's per-call cost makes it somewhat slower.
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
TINY = 1e-18  # entries of the block-transition powers below this are zero
REAL_TOL = 100 * np.finfo(np.float64).eps  # scipy's test for a real root / a conjugate pair
# OpenBLAS runs a product of m x n x k multiply-adds above 4 x 65536 on several threads; on a
# loaded machine waking them cost more than the product (a median 17 ms instead of 7 ms for
# the nine Mobilise-D recordings with another job on the second core). So the block rows go
# to BLAS in stacks of at most this many multiply-adds each: one thread, as everywhere else.
BLAS_ONE_THREAD_MNK = 4 * 65536


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
    toeplitz: FloatArray  # (BLOCK, BLOCK): T, a block's response to its own input (y = T x)
    gain: FloatArray  # (states, BLOCK): G, the state a block's input leaves at its end
    zero_input: FloatArray  # (BLOCK, states): O, a block's response to its starting state
    powers: tuple[FloatArray, ...]  # (A^BLOCK)^(2^k), until they die out: the block-state scan


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
    toeplitz = np.where(lag >= 0, h[np.clip(lag, 0, None)], 0.0)
    gain = (pw[BLOCK - 1 :: -1][:BLOCK] @ b).T  # column k: A^(L-1-k) B
    return toeplitz, gain, c @ pw[:BLOCK], pw[BLOCK]  # row i of O: C A^i


@lru_cache(maxsize=128)
def design(kind: Kind, cutoff_hz: Cutoff, fs: float, order: int = 2) -> ZeroPhaseDesign:
    """Sections, block matrices and padding of a Butterworth design."""
    cut = _clip(cutoff_hz, fs)
    sos = _zpk2sos(*_butter_zpk(order, kind, cut, fs))
    n_sections = sos.shape[0]
    ntaps = 2 * n_sections + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    toeplitz, gain, zero_input, phi = _blocked(*_state_space(sos))
    dc_gain = float(np.prod((sos[:, 0] + sos[:, 1] + sos[:, 2]) / (sos[:, 3] + sos[:, 4] + sos[:, 5])))
    powers = [phi]
    while len(powers) < 48:  # until the state has died out (2^48 blocks: any recording)
        nxt = powers[-1] @ powers[-1]
        nxt[np.abs(nxt) < TINY] = 0.0  # far below precision; and no slow subnormal numbers
        if not nxt.any():
            break
        powers.append(nxt)
    return ZeroPhaseDesign(
        sos, 3 * ntaps, 3 * (2 * n_sections + 1) + 1, dc_gain, toeplitz, gain, zero_input, tuple(powers)
    )


def butter_sos(kind: Kind, cutoff_hz: Cutoff, fs: float, order: int = 2) -> FloatArray:
    """Second-order sections of a Butterworth design (cut-off clipped below Nyquist)."""
    return design(kind, cutoff_hz, fs, order).sos.copy()


def _diag(blocks: list[FloatArray]) -> FloatArray:
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


@dataclass(frozen=True)
class _Bank:
    """Several designs of one kind and order run side by side on one input. Matrices are
    right-multiplied (a row is a block); a pass is ``[input | starting state] @ [T; O]`` once
    the states are known from ``input @ G`` and the scan. Forward, the designs share the input,
    so their matrices are side by side (one product for all). Backward, each filters its own
    forward output: the designs are a leading (batch) axis of the arrays and of the stacked
    matrices, so one call serves them all. The backward pass is the forward one with time
    reversed in each block (``J T J``, ``J G``, ``O J``), the scan run from the end. For one
    channel the backward scan runs the designs side by side with the forward pass's
    block-diagonal powers (a 2-D product per step costs less than a batched one; the zeros
    change the rounding of the states in the last bits only).
    """

    edge: int
    min_samples: int
    states: int  # per design
    rows: int  # block rows per BLAS product (see BLAS_ONE_THREAD_MNK)
    dc: FloatArray  # (designs, 1): each design's gain at DC
    fwd_gain: FloatArray  # (BLOCK, designs x states)
    # Axes (designs, channels, row stacks, ...), the middle two broadcast:
    fwd: FloatArray  # (designs, 1, 1, BLOCK + designs x states, BLOCK): [T; O] of each design
    powers: tuple[FloatArray, ...]  # block-diagonal (A^BLOCK)^(2^k)', forward pass
    # The same per design, (designs, 1, states, states): the backward scan of several channels.
    bwd_powers: tuple[FloatArray, ...]
    bwd_gain: FloatArray  # (designs, 1, 1, BLOCK, states)
    bwd: FloatArray  # (designs, 1, 1, BLOCK + states, BLOCK)


@lru_cache(maxsize=64)
def _bank(specs: tuple[tuple[Kind, Cutoff], ...], fs: float, order: int) -> _Bank:
    ds = [design(kind, cut, fs, order) for kind, cut in specs]
    if len({(d.edge, d.min_samples, d.gain.shape[0]) for d in ds}) != 1:
        raise ValueError("designs filtered together need the same kind and order")
    forced = [d.toeplitz.T for d in ds]
    gain = [d.gain.T for d in ds]
    zero = [d.zero_input.T for d in ds]
    powers = [
        [d.powers[k].T if k < len(d.powers) else np.zeros_like(d.powers[0]) for d in ds]
        for k in range(max(len(d.powers) for d in ds))
    ]
    fwd = np.vstack((np.concatenate(forced, axis=1), _diag(zero)))
    cols = fwd.shape[1] // len(ds)
    bwd = [np.vstack((f[::-1, ::-1], z[:, ::-1])) for f, z in zip(forced, zero, strict=True)]
    return _Bank(
        ds[0].edge,
        ds[0].min_samples,
        ds[0].gain.shape[0],
        max(BLAS_ONE_THREAD_MNK // (fwd.shape[0] * BLOCK), 1),  # the largest product's rows
        np.array([[d.dc_gain] for d in ds]),
        np.ascontiguousarray(np.concatenate(gain, axis=1)),
        np.stack([fwd[:, f * cols : (f + 1) * cols] for f in range(len(ds))])[:, None, None],
        tuple(_diag(p) for p in powers),
        tuple(np.stack(p)[:, None] for p in powers),
        np.stack([g[::-1] for g in gain])[:, None, None],
        np.stack(bwd)[:, None, None],
    )


def _scan(w: FloatArray, powers: tuple[FloatArray, ...], *, backward: bool) -> None:
    """In place, along the blocks (axis -2): ``w[j] = sum over i <= j of (A^L)^(j-i) w[i]``
    (``i >= j`` backward), in log2(blocks) steps: the states at the block boundaries."""
    nb, step = w.shape[-2], 1
    if w.ndim == 2:  # np.dot: less per-call cost than matmul on these small 2-D products
        for p in powers:
            if step >= nb:
                break
            if backward:
                w[:-step] += np.dot(w[step:], p)
            else:
                w[step:] += np.dot(w[:-step], p)
            step *= 2
        return
    for p in powers:
        if step >= nb:
            break
        if backward:
            w[..., :-step, :] += w[..., step:, :] @ p
        else:
            w[..., step:, :] += w[..., :-step, :] @ p
        step *= 2


@dataclass(frozen=True)
class _Layout:
    """Where an input of ``n`` samples and its odd extension sit in the blocks, worked out once
    per length (see :func:`zero_phase_bank`): the arithmetic and the edge samples' sources."""

    head: int  # blocks before the signal's first sample
    whole: int  # the signal's whole blocks, written in place
    used: int  # blocks up to the extension's last sample
    rows: int  # blocks per BLAS product
    stacks: int
    last: int  # the extension's last sample within block used - 1
    at: int  # where the signal starts
    # The edge blocks (the head ones, then used - head - whole from the signal's last part) as
    # ``x[source] * sign + offset[kind]``, kinds: 0 nothing, 1 front, 2 signal, 3 back.
    source: NDArray[np.intp]  # then 0, e and n - 1: the samples the offsets come from
    sign: FloatArray
    kind: NDArray[np.intp]


@lru_cache(maxsize=32)
def _layout(n: int, e: int, max_rows: int) -> _Layout:
    # `off` samples of nothing, the extension (e before, the signal, e after), nothing. `off`
    # puts the signal's first sample at a block start, so its whole blocks are written in place;
    # "nothing" is an input equal to the first (last) sample: it leaves the state at 0.
    off = -e % BLOCK
    head = (off + e) // BLOCK
    whole = n // BLOCK
    m = off + n + 2 * e  # samples up to the extension's last one
    used = -(-m // BLOCK)
    rows = min(max_rows, used)
    rest = n - whole * BLOCK
    tail = (used - head - whole) * BLOCK
    reps = tail - rest - e  # the last extension sample repeated to the end of its block
    source = np.concatenate(
        (
            np.zeros(off, np.intp),
            np.arange(e, 0, -1),  # front: 2 x[0] - x[e], ..., 2 x[0] - x[1]
            np.arange(whole * BLOCK, n),
            np.arange(n - 2, n - 2 - e, -1),  # back: 2 x[n-1] - x[n-2], ...
            np.full(reps, n - 1 - e),
            [0, e, n - 1],
        )
    ).astype(np.intp)
    kind = np.repeat(np.arange(4), [off, e, rest, e + reps]).astype(np.intp)
    sign = np.array([0.0, -1.0, 1.0, -1.0])[kind]
    return _Layout(head, whole, used, rows, -(-used // rows), (m - 1) % BLOCK, off + e, source, sign, kind)


def zero_phase_bank(
    x: FloatArray, fs: float, specs: tuple[tuple[Kind, Cutoff], ...], *, order: int = 2
) -> list[FloatArray]:
    """Forward-backward filter along axis 0 with each design in ``specs`` (``sosfiltfilt``'s
    results, in order); inputs of at most 3 x (2 x sections + 1) samples come back unfiltered.

    The input is odd-extended once and laid out in blocks; each pass starts in the steady state
    of its first sample. Started there, the system answers a constant ``x0`` with a constant
    ``dc_gain x0``, so the rest is the zero-state response to ``x - x0``; that avoids the steady
    state itself, whose internal states are huge (and lose precision against each other) when
    the poles are close to 1. The backward pass runs on the same blocks, from the end: the
    samples after the last one are set to it, so they leave the state at zero. A short input
    costs NumPy's per-call overhead more than arithmetic, hence the cached layout and the few
    calls for the edges.
    """
    bank = _bank(specs, fs, order)
    x = np.asarray(x, dtype=np.float64)
    n, nf, k = x.shape[0], len(specs), bank.states
    if n < bank.min_samples:
        return [np.array(x, dtype=np.float64) for _ in specs]
    lay = _layout(n, bank.edge, bank.rows)
    head, whole, used, rows = lay.head, lay.whole, lay.used, lay.rows
    cols = x.reshape(n, -1).T  # (channels, n)
    ch = cols.shape[0]
    # Blocks go to BLAS in stacks of `rows`; the blocks after the used ones (`pad`) stay out of
    # the result: forward, nothing before them depends on them; backward, their input is 0.
    nb = lay.stacks * rows
    pad = nb - used
    picked = cols[:, lay.source]
    # Per channel: nothing, front, -x0, back and x0 (the extension's first sample), from
    # x[0], x[e] and x[n - 1] in Python floats: NumPy's float64 operations, without its calls.
    rows_of_offsets = []
    for a, b, c in picked[:, -3:].tolist():
        x0 = 2.0 * a - b
        rows_of_offsets.append([0.0, 2.0 * a - x0, -x0, 2.0 * c - x0, x0])
    offsets = np.array(rows_of_offsets)
    edges = picked[:, :-3] * lay.sign
    edges += offsets[:, lay.kind]  # c - x is -x + c exactly; x - x0 is x + (-x0)
    # Forward: [x - x0 | start states] in one array.
    cat5 = np.empty((ch, lay.stacks, rows, BLOCK + nf * k))
    cat = cat5.reshape(ch, nb, -1)
    u = cat[..., :BLOCK]
    np.add(
        cols[:, : whole * BLOCK].reshape(ch, whole, BLOCK),
        offsets[:, 2, None, None],
        out=u[:, head : head + whole],
    )
    u[:, :head] = edges[:, : head * BLOCK].reshape(ch, head, BLOCK)
    u[:, head + whole : used] = edges[:, head * BLOCK :].reshape(ch, -1, BLOCK)
    if pad:
        u[:, used:] = 0.0
    state = (cat5[..., :BLOCK] @ bank.fwd_gain).reshape(ch, nb, -1)
    _scan(state[0] if ch == 1 else state, bank.powers, backward=False)  # 2-D products: cheaper
    cat[:, 1:, BLOCK:], cat[:, 0, BLOCK:] = state[:, :-1], 0.0
    # Backward, all designs at once (a leading axis): [y - y_end | start states], run from
    # the end; y is the forward output's zero-state part (its dc x0 cancels in y - y_end).
    bcat5 = np.empty((nf, ch, lay.stacks, rows, BLOCK + k))
    bcat = bcat5.reshape(nf, ch, nb, -1)
    u = bcat[..., :BLOCK]
    np.matmul(cat5, bank.fwd, out=bcat5[..., :BLOCK])
    last = lay.last
    end = u[:, :, used - 1, last].copy()  # (designs, channels)
    u -= end[:, :, None, None]
    if last + 1 < BLOCK:
        u[:, :, used - 1, last + 1 :] = 0.0  # after the last sample: no input
    if pad:
        u[:, :, used:] = 0.0
    w = (bcat5[..., :BLOCK] @ bank.bwd_gain).reshape(nf, ch, nb, -1)
    if ch == 1:  # the designs side by side, as forward: one 2-D product per step, not a batch
        joint = w[:, 0].transpose(1, 0, 2).reshape(nb, nf * k)
        _scan(joint, bank.powers, backward=True)
        bcat[:, 0, :-1, BLOCK:] = joint[1:].reshape(nb - 1, nf, k).transpose(1, 0, 2)
    else:
        _scan(w, bank.bwd_powers, backward=True)
        bcat[:, :, :-1, BLOCK:] = w[:, :, 1:]
    bcat[:, :, -1, BLOCK:] = 0.0
    z = (bcat5 @ bank.bwd).reshape(nf, ch, nb * BLOCK)
    start = (end + offsets[:, 4] * bank.dc) * bank.dc  # the backward pass's first output, at DC
    zf = z[:, :, lay.at : lay.at + n]
    zf += start[:, :, None]  # in place: the results are views of z, no copy
    if ch == 1:
        return [f.reshape(x.shape) for f in zf]
    return [np.ascontiguousarray(f.T).reshape(x.shape) for f in zf]


def zero_phase(x: FloatArray, fs: float, kind: Kind, cutoff_hz: Cutoff, *, order: int = 2) -> FloatArray:
    """Forward-backward filter along axis 0 (``sosfiltfilt``'s result); inputs of at most
    3 x (2 x sections + 1) samples come back unfiltered."""
    return zero_phase_bank(x, fs, ((kind, cutoff_hz),), order=order)[0]


def bandpasses(
    x: FloatArray, fs: float, bands: tuple[tuple[float, float], ...], *, order: int = 2
) -> list[FloatArray]:
    """Zero-phase band-passes of one signal, computed together (cheaper than one by one)."""
    return zero_phase_bank(x, fs, tuple(("band", b) for b in bands), order=order)


def bandpass(x: FloatArray, fs: float, lo_hz: float, hi_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase band-pass (IMU: removes gravity/posture drift below and noise above)."""
    return zero_phase(x, fs, "band", (lo_hz, hi_hz), order=order)


def lowpass(x: FloatArray, fs: float, cutoff_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase low-pass (pose keypoints, IMU envelopes)."""
    return zero_phase(x, fs, "low", cutoff_hz, order=order)


def highpass(x: FloatArray, fs: float, cutoff_hz: float, *, order: int = 2) -> FloatArray:
    """Zero-phase high-pass (removes gravity and slow drift)."""
    return zero_phase(x, fs, "high", cutoff_hz, order=order)
