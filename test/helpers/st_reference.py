"""The reference safetensors implementation (the `safetensors` package, Rust core) as one batch process for the
differential test (test/safetensors-reference.test.ts): one python start for a whole corpus.

  st_reference.py load JOB.json    JOB: {"files": [path, ...]}; prints a JSON list, per file:
      {"ok": true, "tensors": [{"name", "dtype", "shape": [str], "data": hex}], "metadata": {..} | null,
       "dup_keys": bool}  or  {"ok": false, "error": str, "dup_keys": bool}
      shape entries are strings (dimensions may exceed 2^53); dup_keys: the header, read by python's json module,
      has an object with a repeated key (the reference keeps the last for tensor names and metadata keys).
  st_reference.py write JOB.json   JOB: {"files": [{"path", "tensors": [{"name", "dtype", "shape", "data": hex}],
      "metadata": {..} | null}]}; writes each with safetensors.serialize; prints a JSON list of null or the error.
"""
import ctypes
import json
import struct
import sys

import safetensors

# TensorSpec (safetensors >= 0.8) names dtypes as torch does; older versions take {"dtype": "F32", ...} dicts.
SPEC_NAMES = {"F32": "float32", "F64": "float64", "F16": "float16", "BF16": "bfloat16"}


def has_dup_keys(raw):
    try:
        n = struct.unpack("<Q", raw[:8])[0]
        text = raw[8 : 8 + n].decode("utf-8")
    except Exception:
        return False
    dup = [False]

    def hook(pairs):
        if len({k for k, _ in pairs}) != len(pairs):
            dup[0] = True
        return dict(pairs)

    try:
        json.loads(text, object_pairs_hook=hook)
    except Exception:
        return False
    return dup[0]


def metadata_of(path):
    try:
        with safetensors.safe_open(path, framework="np") as f:
            return f.metadata()
    except Exception:
        return None


def load(job):
    out = []
    for path in job["files"]:
        with open(path, "rb") as fh:
            raw = fh.read()
        rec = {"dup_keys": has_dup_keys(raw)}
        try:
            items = safetensors.deserialize(raw)
        except Exception as e:  # the reference's refusal (SafetensorError)
            rec.update(ok=False, error=f"{type(e).__name__}: {e}")
        else:
            tensors = [
                {"name": k, "dtype": v["dtype"], "shape": [str(d) for d in v["shape"]], "data": bytes(v["data"]).hex()}
                for k, v in items
            ]
            rec.update(ok=True, tensors=tensors, metadata=metadata_of(path))
        out.append(rec)
    return out


def serialize(tensors, metadata):
    if hasattr(safetensors, "TensorSpec"):
        keep = []
        specs = {}
        for t in tensors:
            raw = bytes.fromhex(t["data"])
            buf = ctypes.create_string_buffer(raw, max(len(raw), 1))
            keep.append(buf)
            specs[t["name"]] = safetensors.TensorSpec(
                dtype=SPEC_NAMES[t["dtype"]], shape=t["shape"], data_ptr=ctypes.addressof(buf), data_len=len(raw)
            )
        return bytes(safetensors.serialize(specs, metadata=metadata))
    dicts = {t["name"]: {"dtype": t["dtype"], "shape": t["shape"], "data": bytes.fromhex(t["data"])} for t in tensors}
    return bytes(safetensors.serialize(dicts, metadata=metadata))


def write(job):
    out = []
    for f in job["files"]:
        try:
            with open(f["path"], "wb") as fh:
                fh.write(serialize(f["tensors"], f.get("metadata")))
            out.append(None)
        except Exception as e:
            out.append(f"{type(e).__name__}: {e}")
    return out


if __name__ == "__main__":
    mode, job_path = sys.argv[1], sys.argv[2]
    with open(job_path) as fh:
        job = json.load(fh)
    result = load(job) if mode == "load" else write(job)
    sys.stdout.write(json.dumps(result))
