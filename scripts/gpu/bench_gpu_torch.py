#!/usr/bin/env python3
"""PyTorch side of `npm run bench:gpu`: the same shapes as scripts/gpu/bench-gpu.js, timed on the same GPU in the same
command, written as JSON for the JS side to print next to its own rows.

Also computes the float64 reference spectra the accuracy columns need: the test matrices are drawn with a port of
the library's counter-based generator (csrc/core/rng.h), so JS and PyTorch factor bit-identical matrices.
"""
import argparse
import json
import math
import time

import torch

MASK64 = (1 << 64) - 1


def s64(c):
    """A uint64 constant as the int64 torch stores (two's complement)."""
    c &= MASK64
    return c - (1 << 64) if c >= (1 << 63) else c


def lshr(x, s):
    """Logical right shift of int64 (torch's >> is arithmetic)."""
    return (x >> s) & ((1 << (64 - s)) - 1)


def splitmix64(x):
    x = x + s64(0x9E3779B97F4A7C15)
    x = (x ^ lshr(x, 30)) * s64(0xBF58476D1CE4E5B9)
    x = (x ^ lshr(x, 27)) * s64(0x94D049BB133111EB)
    return x ^ lshr(x, 31)


def gaussian(seed, rows, cols, device="cuda"):
    """core/rng.h gaussianAt(seed, i) for i = 0 … rows·cols−1, row-major, float64 (int64 products wrap as uint64)."""
    base = s64(seed * 0x2545F4914F6CDD1D)
    i = torch.arange(rows * cols, dtype=torch.int64, device=device)
    a = splitmix64(base + 2 * i)
    b = splitmix64(base + 2 * i + 1)
    u1 = (lshr(a, 11) + 1).double() * (1.0 / 9007199254740992.0)
    u2 = lshr(b, 11).double() * (1.0 / 9007199254740992.0)
    del a, b, i
    return (torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(6.283185307179586 * u2)).reshape(rows, cols)


def timed(fn, iters, warmup=3):
    """Median milliseconds per call, CUDA events around each call."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


def energy(U, S_exact_sq_top, G, Vt_or_V, k, v_is_vt):
    """Captured energy ‖Uₖᵀ·G·Vₖ‖²_F / Σᵢ≤ₖ σᵢ² (1.0 = as good as the exact SVD)."""
    Uk = U[:, :k].double()
    Vk = (Vt_or_V[:k, :].T if v_is_vt else Vt_or_V[:, :k]).double()
    P = Uk.T @ G.double() @ Vk
    return float((P * P).sum() / S_exact_sq_top)


LLAMA_LAYER = [("q_proj", 4096, 4096), ("k_proj", 4096, 4096), ("v_proj", 4096, 4096), ("o_proj", 4096, 4096),
               ("gate_proj", 11008, 4096), ("up_proj", 11008, 4096), ("down_proj", 4096, 11008)]


def modules(n_layers):
    return [(f"layers.{l}.{name}", out, inf, 1000 + 10 * l + j)
            for l in range(n_layers) for j, (name, out, inf) in enumerate(LLAMA_LAYER)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    dev = "cuda"
    torch.backends.cuda.matmul.allow_tf32 = False
    iters = 5 if args.quick else 20
    res = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "lora": [], "grad": [], "rsvd": [],
           "init": [], "checksums": {}}

    # Fused LoRA forward: y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ, bf16, as PEFT's Linear computes it (unfused), vs the base GEMM.
    for out, inf in [(4096, 4096), (11008, 4096)]:
        W = torch.randn(out, inf, device=dev, dtype=torch.bfloat16)
        for r in [16, 64]:
            A = torch.randn(r, inf, device=dev, dtype=torch.bfloat16) / math.sqrt(inf)
            B = torch.randn(out, r, device=dev, dtype=torch.bfloat16)
            for T in [1, 16, 8192]:
                x = torch.randn(T, inf, device=dev, dtype=torch.bfloat16)
                base = timed(lambda: x @ W.T, iters)
                lora = timed(lambda: x @ W.T + 2.0 * ((x @ A.T) @ B.T), iters)
                res["lora"].append({"out": out, "in": inf, "r": r, "T": T, "base_ms": base, "lora_ms": lora})

    # gradAccumulate G += dYᵀ·X, bf16 inputs, fp32 G, T = 8192.
    T = 8192
    for out, inf in [(4096, 4096), (11008, 4096), (4096, 11008)]:
        dY = torch.randn(T, out, device=dev, dtype=torch.bfloat16)
        X = torch.randn(T, inf, device=dev, dtype=torch.bfloat16)
        G = torch.zeros(out, inf, device=dev, dtype=torch.float32)
        try:
            torch.mm(dY.T, X, out_dtype=torch.float32)
            fn = lambda: G.add_(torch.mm(dY.T, X, out_dtype=torch.float32))
            how = "mm(out_dtype=f32)"
        except (TypeError, RuntimeError):
            fn = lambda: G.add_(torch.mm(dY.T, X).float())
            how = "mm(bf16).float()"
        ms = timed(fn, iters)
        res["grad"].append({"out": out, "in": inf, "T": T, "ms": ms, "tflops": 2 * T * out * inf / ms / 1e9, "how": how})
        del dY, X, G

    # Randomized SVD of a 4096×4096 Gaussian (flat spectrum: the hard case), q = 4r, niter = 4, rank-2r energy.
    M = gaussian(7, 4096, 4096, dev)
    res["checksums"]["rsvd"] = float(M[:4].sum())
    sv = torch.linalg.svdvals(M)  # float64
    Mf = M.float()
    for r in [8, 32]:
        k = 2 * r
        top = float((sv[:k] ** 2).sum())
        ms = timed(lambda: torch.svd_lowrank(Mf, q=4 * r, niter=4), iters)
        U, S, V = torch.svd_lowrank(Mf, q=4 * r, niter=4)
        res["rsvd"].append({"m": 4096, "n": 4096, "r": r, "k": k, "q": 4 * r, "niter": 4, "ms": ms,
                            "energy": energy(U, top, M, V, k, False), "exact_top_energy": top})
    del M, Mf

    # LoRA-GA init of 28 Llama-7B-shaped modules (4 layers × 7), PEFT's math (ArB2r, stable γ = 16 scaling off):
    # U, S, V = svd_lowrank(G, q = 4r, niter = 4); A = Vᵀ[0:r]; B = U[:, r:2r]·diag(S[r:2r]); W −= s·B·A.
    mods = modules(1 if args.quick else 4)
    grads, weights, tops = [], [], []
    for name, out, inf, seed in mods:
        G = gaussian(seed, out, inf, dev)
        res["checksums"][name] = float(G[:4].sum())
        tops.append({r: None for r in [8, 32]})
        s = torch.linalg.svdvals(G)
        for r in [8, 32]:
            tops[-1][r] = float((s[:2 * r] ** 2).sum())
        grads.append(G.float())
        weights.append(torch.zeros(out, inf, device=dev, dtype=torch.float32))
        del G, s
    res["init_exact_top_energy"] = {str(r): [t[r] for t in tops] for r in [8, 32]}
    for r in [8, 32]:
        scale = 16.0 / r

        def init():
            outs = []
            for G, W in zip(grads, weights):
                U, S, V = torch.svd_lowrank(G, q=4 * r, niter=4)
                A = V[:, :r].T.contiguous()
                B = (U[:, r:2 * r] * S[r:2 * r]).contiguous()
                W.sub_(scale * (B @ A))
                outs.append((U, S, V))
            return outs

        init()  # warm-up
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        n = 1 if args.quick else 3
        for _ in range(n):
            outs = init()
        torch.cuda.synchronize()
        ms = (time.perf_counter() - t0) * 1000 / n
        en = [energy(U, tops[i][r], grads[i].double(), V, 2 * r, False) for i, (U, S, V) in enumerate(outs)]
        res["init"].append({"modules": len(mods), "r": r, "ms": ms, "energy_mean": sum(en) / len(en),
                            "energy_min": min(en)})
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
