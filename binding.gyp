{
  "variables": {
    "loraga_static_blas%": "<!(node -p \"process.env.LORAGA_STATIC_BLAS === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "loraga",
      "sources": [
        "csrc/addon.cc",
        "csrc/backend_registry.cc",
        "csrc/composite.cc",
        "csrc/binding/args.cc",
        "csrc/binding/linalg.cc",
        "csrc/binding/lora.cc",
        "csrc/binding/optim.cc",
        "csrc/binding/tensor.cc",
        "csrc/cpu/cpu_backend.cc",
        "csrc/cpu/convert.cc",
        "csrc/cpu/gemm.cc",
        "csrc/cpu/optim.cc",
        "csrc/cpu/qr.cc",
        "csrc/cpu/solve.cc",
        "csrc/cpu/svd.cc",
        "csrc/cuda/cuda_backend_stub.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "csrc",
        "/usr/include/x86_64-linux-gnu/openblas-pthread",
        "/usr/include/openblas"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fvisibility=hidden"],
      "conditions": [
        ["loraga_static_blas==1", {
          "sources": ["csrc/static/gfortran_shim.cc"],
          "libraries": ["-l:libopenblas.a", "-lpthread", "-lm"],
          "ldflags": ["-Wl,--exclude-libs,ALL"]
        }, {
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}
