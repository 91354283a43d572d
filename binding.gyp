{
  "variables": {
    "loraga_static_blas%": "<!(node -p \"process.env.LORAGA_STATIC_BLAS === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "loraga",
      "sources": [
        "<!@(ls csrc/*.cc csrc/binding/*.cc csrc/composite/*.cc csrc/cpu/*.cc)",
        "csrc/cuda/stub.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "csrc",
        "/usr/include/x86_64-linux-gnu/openblas-pthread",
        "/usr/include/openblas"
      ],
      "defines": [
        "NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED",
        "LORAGA_NO_CUDA_REASON=\"built by node-gyp: binding.gyp builds the CPU backend only\""
      ],
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
