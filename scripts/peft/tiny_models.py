#!/usr/bin/env python3
"""Tiny randomly initialised Hugging Face models for checking `loraga init` against real PEFT (no network).

    tiny_models.py make  --arch gpt2|llama --out DIR [--seed N] [--dtype float32|bfloat16]
        DIR/model/        save_pretrained of a tiny GPT2LMHeadModel (Conv1D layers, W stored [in, out]) or
                          LlamaForCausalLM (nn.Linear, W [out, in]) built from a config in this file
        DIR/grads.safetensors    <module>.weight: mean over 3 batches of weight.grad, in the weight's own layout
        DIR/batches.safetensors  <module>.x.<i> [tokens, in], <module>.dy.<i> [tokens, out]
    tiny_models.py check --adapter DIR --original MODEL_DIR
        Loads DIR with AutoPeftModelForCausalLM (the base comes from adapter_config's base_model_name_or_path) and
        prints JSON: logits vs the original model's (rel = ||y - y0|| / ||y0||, max_abs), the same with the adapter
        disabled (how much the offset alone changes them: the check is not vacuous when this is large), and whether
        PEFT's lora_A / lora_B are the file's tensors bit for bit.
    tiny_models.py train --adapter DIR --out TRAINED [--peft-convert CONVERTED]
        Loads DIR as trainable, moves every lora_A / lora_B by a seeded random step (a stand-in for training),
        saves TRAINED (plain save_pretrained) and, with --peft-convert, also PEFT's own rank-2r conversion
        (save_pretrained(path_initial_model_for_weight_conversion=<copy of DIR>)); prints the trained logits' file.
    tiny_models.py logits --adapter DIR [--base MODEL_DIR] --out FILE
        Logits of base (default: base_model_name_or_path) + adapter on the fixed tokens, saved to FILE.
"""
import argparse
import json
import os
import shutil
import sys

import torch
from safetensors.torch import load_file, save_file

TOKENS = dict(vocab=96, batch=4, seq=16, batches=3)


def tiny(arch, seed, dtype):
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    if arch == "gpt2":
        cfg = GPT2Config(vocab_size=TOKENS["vocab"], n_positions=32, n_embd=48, n_layer=2, n_head=4,
                         resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
        model = GPT2LMHeadModel(cfg)
    elif arch == "llama":
        cfg = LlamaConfig(vocab_size=TOKENS["vocab"], hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                          tie_word_embeddings=False)
        model = LlamaForCausalLM(cfg)
    else:
        raise SystemExit(f"unknown arch {arch}")
    # Larger than the default 0.02 init so gradients and the LoRA-GA offset are far from rounding noise.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0.0, 0.2)
    return model.to(dtype)


def fixed_ids(seed=1234):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, TOKENS["vocab"], (2, TOKENS["seq"]), generator=g)


def linear_like(model):
    from transformers.pytorch_utils import Conv1D

    return {n: m for n, m in model.named_modules() if isinstance(m, (torch.nn.Linear, Conv1D)) and not n.endswith("lm_head")}


def cmd_make(a):
    dtype = getattr(torch, a.dtype)
    model = tiny(a.arch, a.seed, dtype)
    os.makedirs(a.out, exist_ok=True)
    model.save_pretrained(os.path.join(a.out, "model"))
    mods = linear_like(model)
    xs, dys = {}, {}

    def hook(name):
        def f(mod, inp, out):
            x = inp[0].detach()
            xs.setdefault(name, []).append(x.reshape(-1, x.shape[-1]).float().clone())
            out.register_hook(lambda g: dys.setdefault(name, []).append(g.reshape(-1, g.shape[-1]).float().clone()))
        return f

    hs = [m.register_forward_hook(hook(n)) for n, m in mods.items()]
    g = torch.Generator().manual_seed(a.seed + 1)
    model.train()
    model.zero_grad()
    for _ in range(TOKENS["batches"]):
        ids = torch.randint(0, TOKENS["vocab"], (TOKENS["batch"], TOKENS["seq"]), generator=g)
        model(input_ids=ids, labels=ids).loss.backward()
    for h in hs:
        h.remove()
    grads = {f"{n}.weight": (m.weight.grad.float() / TOKENS["batches"]).contiguous() for n, m in mods.items()}
    batches = {}
    for n in mods:
        for i, (x, dy) in enumerate(zip(xs[n], dys[n])):
            batches[f"{n}.x.{i}"] = x.contiguous()
            batches[f"{n}.dy.{i}"] = dy.contiguous()
    save_file(grads, os.path.join(a.out, "grads.safetensors"))
    save_file(batches, os.path.join(a.out, "batches.safetensors"))
    print(json.dumps({"modules": sorted(mods), "layout": {n: list(m.weight.shape) for n, m in mods.items()}}))


def rel(y, y0):
    return (torch.linalg.norm((y - y0).double()) / torch.linalg.norm(y0.double())).item()


def cmd_check(a):
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoModelForCausalLM

    ids = fixed_ids()
    base = AutoModelForCausalLM.from_pretrained(a.original, dtype=torch.float32).eval()
    pm = AutoPeftModelForCausalLM.from_pretrained(a.adapter, dtype=torch.float32).eval()
    with torch.no_grad():
        y0 = base(ids).logits
        y = pm(ids).logits
        with pm.disable_adapter():
            y_off = pm(ids).logits
    ad = load_file(os.path.join(a.adapter, "adapter_model.safetensors"))
    exact = True
    loaded = 0
    for n, m in pm.base_model.model.named_modules():
        if hasattr(m, "lora_A") and "default" in m.lora_A:
            key = f"base_model.model.{n}"
            exact &= torch.equal(m.lora_A["default"].weight.detach().float(), ad[f"{key}.lora_A.weight"].float())
            exact &= torch.equal(m.lora_B["default"].weight.detach().float(), ad[f"{key}.lora_B.weight"].float())
            loaded += 1
    cfg = pm.peft_config["default"]
    print(json.dumps({
        "rel": rel(y, y0), "max_abs": (y - y0).abs().max().item(),
        "rel_adapter_disabled": rel(y_off, y0), "lora_layers": loaded, "adapter_keys": len(ad) // 2,
        "ab_exact": bool(exact), "fan_in_fan_out": cfg.fan_in_fan_out, "task_type": str(cfg.task_type),
    }))


def cmd_logits(a):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    cfg = json.load(open(os.path.join(a.adapter, "adapter_config.json")))
    base = AutoModelForCausalLM.from_pretrained(a.base or cfg["base_model_name_or_path"], dtype=torch.float32)
    pm = PeftModel.from_pretrained(base, a.adapter).eval()
    with torch.no_grad():
        save_file({"logits": pm(fixed_ids()).logits.contiguous()}, a.out)


def cmd_train(a):
    from peft import AutoPeftModelForCausalLM

    pm = AutoPeftModelForCausalLM.from_pretrained(a.adapter, is_trainable=True, dtype=torch.float32)
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if "lora_" in n:
                p.add_(0.05 * p.abs().mean() * torch.randn(p.shape, generator=g))
        y = pm.eval()(fixed_ids()).logits
    pm.save_pretrained(a.out)
    save_file({"logits": y.contiguous()}, os.path.join(a.out, "trained_logits.safetensors"))
    if a.peft_convert:
        init_copy = os.path.join(os.path.dirname(os.path.abspath(a.peft_convert)), "initial-for-peft")
        shutil.rmtree(init_copy, ignore_errors=True)
        shutil.copytree(a.adapter, init_copy, ignore=shutil.ignore_patterns("base_model"))
        pm.save_pretrained(a.peft_convert, path_initial_model_for_weight_conversion=init_copy)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--arch", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--dtype", default="float32")
    c = sub.add_parser("check")
    c.add_argument("--adapter", required=True)
    c.add_argument("--original", required=True)
    lg = sub.add_parser("logits")
    lg.add_argument("--adapter", required=True)
    lg.add_argument("--base")
    lg.add_argument("--out", required=True)
    t = sub.add_parser("train")
    t.add_argument("--adapter", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--peft-convert")
    a = ap.parse_args()
    {"make": cmd_make, "check": cmd_check, "logits": cmd_logits, "train": cmd_train}[a.cmd](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
