"""PEFT's LoRA-GA init math (peft 0.21, tuners/lora/layer.py lora_ga_init) on the module set that
bench-init-peft.js wrote, timed per configuration, with the captured rank-2r energy of its svd_lowrank.

    python3 peft_init.py <work dir> <threads> <rounds> <energies: 0|1>

Reads spec.json and modules-<spectrum>.safetensors from the work dir; prints one JSON object on stdout. The
benchmark calls it once per round, alternating with its own rounds, so both sides see the same machine load."""
import json
import sys
import time

import torch
from safetensors.torch import load_file


def lora_ga_init(W, G, r, alpha, gamma=16.0):
    # What lora_ga_init does for direction 'ArB2r', scale 'stable', an f32 W: svd_lowrank(q = 4r, niter = 4),
    # A = Vᵀ[:r], B = U[:, r:2r]·diag(S[r:2r])·out^¼/√γ, W ← W − s·B·A.
    grad = G.to(torch.float32)
    U, S, V = torch.svd_lowrank(grad, q=min(4 * r, min(grad.shape)), niter=4)
    Vh = V.t()
    U, S, Vh = U[:, : 2 * r], S[: 2 * r], Vh[: 2 * r, :]
    A = Vh[:r, :]
    B = U[:, r : 2 * r] @ torch.diag(S[r : 2 * r])
    B = B * (W.shape[0] ** 0.25) / (gamma ** 0.5)
    s = alpha / r
    W2 = W - s * (B @ A)
    return A.contiguous(), B.contiguous(), W2, (U, Vh)


def main():
    work, threads, rounds, want_energy = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
    torch.set_num_threads(threads)
    spec = json.load(open(f"{work}/spec.json"))
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "runs": []}
    for spectrum in spec["spectra"]:
        t = load_file(f"{work}/modules-{spectrum}.safetensors")
        mods = [(m["name"], t[m["name"] + ".W"], t[m["name"] + ".G"]) for m in spec["modules"]]
        for r in spec["ranks"]:
            torch.manual_seed(0)
            for _, W, G in mods[:2]:  # warm-up
                lora_ga_init(W, G, r, 2 * r)
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                for _, W, G in mods:
                    lora_ga_init(W, G, r, 2 * r)
                times.append(time.perf_counter() - t0)
            # Captured energy ‖U₂ᵣᵀ·G·V₂ᵣ‖²_F / Σᵢ≤₂ᵣ σᵢ² (σ exact, float64, from spec), per module.
            energies = []
            for name, W, G in (mods if want_energy else []):
                _, _, _, (U, Vh) = lora_ga_init(W, G, r, 2 * r)
                P = U.double().t() @ G.double() @ Vh.double().t()
                exact = spec["sigma2"][spectrum][name][: 2 * r]
                energies.append(float((P ** 2).sum()) / sum(exact))
            out["runs"].append({"spectrum": spectrum, "rank": r, "seconds": min(times), "all": times,
                                "energyMin": min(energies) if energies else None,
                                "energyMean": sum(energies) / len(energies) if energies else None})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
