#!/usr/bin/env python3
"""PEFT's own reading of rank_pattern / alpha_pattern, for test/peft-patterns.test.ts.

  peft_patterns.py match CASES.json   [{"pattern": {key: value, ...}, "modules": [name, ...]}, ...] (the file's key
                                      order is the pattern's order) -> for each case, for each module, the key PEFT's
                                      get_pattern_key applies (null: none; "!error": the pattern is not a valid regex)
  peft_patterns.py load ADAPTER_DIR   builds a torch model with an nn.Linear at each module of the adapter (shapes from
                                      lora_A / lora_B), PeftModel.from_pretrained(model, DIR), and prints each LoRA
                                      layer's r and scaling as PEFT built it
The last line of stdout is the JSON answer.
"""
import json
import re
import sys


def match(path):
    from peft.utils.other import get_pattern_key
    with open(path) as f:
        cases = json.load(f)  # dicts keep the file's order, as PEFT's LoraConfig does
    out = []
    for case in cases:
        keys = list(case["pattern"].keys())
        res = {}
        for m in case["modules"]:
            try:
                k = get_pattern_key(keys, m)
                # get_pattern_key returns the module's own name when no key matches
                res[m] = k if k in case["pattern"] and re.match(rf"(.*\.)?({k})$", m) else None
            except re.error:
                res[m] = "!error"
        out.append(res)
    print(json.dumps(out))


def load(adapter_dir):
    import os
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    sd = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    prefix, shapes = "base_model.model.", {}
    for k, t in sd.items():
        name = k[len(prefix):] if k.startswith(prefix) else k
        if name.endswith(".lora_A.weight"):
            shapes.setdefault(name[: -len(".lora_A.weight")], {})["in"] = t.shape[1]
        elif name.endswith(".lora_B.weight"):
            shapes.setdefault(name[: -len(".lora_B.weight")], {})["out"] = t.shape[0]
    root = torch.nn.Module()
    for name, s in shapes.items():
        *parents, leaf = name.split(".")
        cur = root
        for p in parents:
            if not hasattr(cur, p):
                cur.add_module(p, torch.nn.Module())
            cur = getattr(cur, p)
        cur.add_module(leaf, torch.nn.Linear(s["in"], s["out"], bias=False))
    model = PeftModel.from_pretrained(root, adapter_dir)
    got = {}
    for name, mod in model.base_model.model.named_modules():
        if hasattr(mod, "lora_A") and "default" in getattr(mod, "r", {}):
            got[name] = {"r": mod.r["default"], "scaling": mod.scaling["default"],
                         "A": list(mod.lora_A["default"].weight.shape)}
    print(json.dumps(got))


if __name__ == "__main__":
    {"match": match, "load": load}[sys.argv[1]](sys.argv[2])
