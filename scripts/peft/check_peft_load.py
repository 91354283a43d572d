#!/usr/bin/env python3
"""Proves that Hugging Face PEFT loads an adapter directory written by `loraga init` (or writePeftAdapter).

Needs python3 with torch, safetensors and peft (0.21 was the reference). Not run in CI (no torch there): run it on a
machine that has them, e.g.

    node dist/cli/index.js init --weights ../shared/reference/peft-small/base.safetensors \
        --grads ../shared/reference/peft-small/grads.safetensors --rank 4 --alpha 8 --out /tmp/ad
    python3 scripts/peft/check_peft_load.py --adapter /tmp/ad --base ../shared/reference/peft-small/base.safetensors

What it checks, per target module:
  1. PeftModel.from_pretrained(model_with_W', DIR) succeeds and every target became a LoRA layer.
  2. The loaded lora_A / lora_B equal the file's tensors exactly (so every key was used: an unmatched key would
     leave PEFT's kaiming/zero init in place), and PEFT's scaling equals alpha/r (alpha/sqrt(r) with use_rslora).
  3. The adapted layer reproduces the ORIGINAL layer at step 0: for random x, ||peft(x) - x W^T|| / ||x W^T|| is
     within a tolerance set by the stored weights' dtype (W' is rounded once to it: 1e-4 for fp32, 2e-3 for fp16,
     1.6e-2 for bf16, i.e. 8 units of the dtype's rounding; --tol overrides), i.e. the LoRA-GA offset is consistent
     with how PEFT applies the adapter. Conv1D adapters (fan_in_fan_out: true, W stored [in, out], GPT-2) are
     rebuilt as transformers' Conv1D layers.
Exit status 0 when all pass, 1 otherwise.
"""
import argparse
import json
import math
import os
import sys

import torch
from safetensors.torch import load_file


# 8 units of rounding (2^-p for p stored mantissa bits + 1) of the dtype W' was rounded to.
DTYPE_TOL = {torch.float32: 1e-4, torch.float64: 1e-4, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}


def build_model(weights, conv1d=False):
    """An nn.Module tree whose Linear (or Conv1D: W [in, out]) layers carry the given names and weights."""
    root = torch.nn.Module()
    for name, w in weights.items():
        parent = root
        parts = name.split(".")
        for p in parts[:-1]:
            if not hasattr(parent, p):
                parent.add_module(p, torch.nn.Module())
            parent = getattr(parent, p)
        if conv1d:
            from transformers.pytorch_utils import Conv1D
            lin = Conv1D(w.shape[1], w.shape[0])  # nf = out, nx = in; weight [in, out]
            with torch.no_grad():
                lin.weight.copy_(w)
                lin.bias.zero_()
        else:
            lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
            with torch.no_grad():
                lin.weight.copy_(w)
        parent.add_module(parts[-1], lin)
    return root


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--adapter", required=True, help="directory with adapter_model.safetensors, adapter_config.json, base_offset.safetensors")
    ap.add_argument("--base", required=True, help="the ORIGINAL base weights, keys <module>.weight")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--tol", type=float, default=None, help="default: by the stored weights' dtype (see above)")
    args = ap.parse_args()

    import peft
    from peft import PeftModel

    cfg = json.load(open(os.path.join(args.adapter, "adapter_config.json")))
    adapter = load_file(os.path.join(args.adapter, "adapter_model.safetensors"))
    offset_path = os.path.join(args.adapter, "base_offset.safetensors")
    offset = load_file(offset_path) if os.path.exists(offset_path) else {}
    original = load_file(args.base)

    modules = sorted({k.split(".lora_")[0].removeprefix("base_model.model.") for k in adapter})
    print(f"peft {peft.__version__}, torch {torch.__version__}, device {args.device}; {len(modules)} module(s), r = {cfg['r']}, alpha = {cfg['lora_alpha']}")
    # The model PEFT wraps carries W' (the offset base) where we wrote one, else W.
    stored = {m: offset.get(f"{m}.weight", original[f"{m}.weight"]) for m in modules}
    tol = args.tol if args.tol is not None else max(DTYPE_TOL.get(w.dtype, 1e-4) for w in stored.values())
    conv1d = bool(cfg.get("fan_in_fan_out"))
    weights = {m: w.float() for m, w in stored.items()}
    model = build_model(weights, conv1d).to(args.device)
    # The bare module tree is no *ForCausalLM: load the config without its task_type so PEFT wraps it plainly.
    from peft import LoraConfig
    lcfg = LoraConfig.from_pretrained(args.adapter)
    lcfg.task_type = None
    pm = PeftModel.from_pretrained(model, args.adapter, config=lcfg, is_trainable=False).to(args.device)

    ok = True
    r = cfg["r"]
    s_expected = cfg["lora_alpha"] / (math.sqrt(r) if cfg.get("use_rslora") else r)
    named = dict(pm.base_model.model.named_modules())
    prefix = "base_model.model." if any(k.startswith("base_model.model.") for k in adapter) else ""
    for m in modules:
        layer = named.get(m)
        if layer is None or not hasattr(layer, "lora_A") or "default" not in layer.lora_A:
            print(f"FAIL {m}: not a LoRA layer after loading")
            ok = False
            continue
        A = layer.lora_A["default"].weight.detach().cpu()
        B = layer.lora_B["default"].weight.detach().cpu()
        fa, fb = adapter[f"{prefix}{m}.lora_A.weight"], adapter[f"{prefix}{m}.lora_B.weight"]
        same = torch.equal(A, fa.to(A.dtype)) and torch.equal(B, fb.to(B.dtype))
        s = layer.scaling["default"]
        x = torch.randn(64, A.shape[1], generator=torch.Generator().manual_seed(0)).to(args.device)
        with torch.no_grad():
            y = layer(x).float().cpu()
            W0 = original[f"{m}.weight"].float()
            y_ref = x.cpu().float() @ (W0 if conv1d else W0.T)
        rel = (torch.linalg.norm(y - y_ref) / torch.linalg.norm(y_ref)).item()
        good = same and abs(s - s_expected) <= 1e-12 * s_expected and rel <= tol
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {m}: A/B loaded exactly: {same}; scaling {s:.6g} (expected {s_expected:.6g}); "
              f"step-0 output vs original layer: rel err {rel:.2e} (tol {tol:g})")
    print("PASS: PEFT loads the adapter and the offset base reproduces the original model" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
