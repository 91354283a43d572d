// The update rules of the fused optimizer steps, written once. The CPU loop (cpu/optim.cc), the CUDA kernel
// (cuda/optim.cu) and the fake-CUDA stand-in (test/fake-cuda) call these element by element, in double whatever
// the storage dtype, so every backend rounds the same way (once per element per step, on the store).
#pragma once
#include <cmath>
#include <cstdint>
#include "hd.h"

namespace loraga {

// One AdamW step (decoupled weight decay; bias correction needs step >= 1).
struct AdamWParams {
  double lr, beta1, beta2, eps, weightDecay;
  int64_t step;
};

// What every element's update needs, computed once per step on the host.
struct AdamWCoeffs {
  double lr, beta1, beta2, eps, weightDecay;
  double biasCorr1, biasCorr2;  // 1 − β₁ᵗ, 1 − β₂ᵗ
};

inline AdamWCoeffs adamwCoeffs(const AdamWParams& hp) {
  return {hp.lr,
          hp.beta1,
          hp.beta2,
          hp.eps,
          hp.weightDecay,
          1 - std::pow(hp.beta1, double(hp.step)),
          1 - std::pow(hp.beta2, double(hp.step))};
}

// m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  p ← p − lr·(m̂/(√v̂ + ε) + wd·p)  with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
LORAGA_HD inline void adamwUpdate(double& p, double g, double& m, double& v, const AdamWCoeffs& c) {
  m = c.beta1 * m + (1 - c.beta1) * g;
  v = c.beta2 * v + (1 - c.beta2) * g * g;
  p -= c.lr * ((m / c.biasCorr1) / (sqrt(v / c.biasCorr2) + c.eps) + c.weightDecay * p);
}

// SGD with optional momentum and weight decay (PyTorch's semantics; the first step's buffer is g + wd·p).
struct SgdParams {
  double lr, momentum, weightDecay;
};

// d = g + wd·p;  with a momentum buffer: buf ← μ·buf + d, d = buf;  p ← p − lr·d.
LORAGA_HD inline void sgdUpdate(double& p, double g, double* buf, const SgdParams& c) {
  double d = g + c.weightDecay * p;
  if (buf) {
    d = c.momentum * *buf + d;
    *buf = d;
  }
  p -= c.lr * d;
}

}  // namespace loraga
