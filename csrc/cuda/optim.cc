// The fused optimizer steps on the GPU: one kernel pass each (optim.cu), the update rules from core/optim_rules.h.
#include "backend.h"
#include "kernels.h"

namespace loraga::cuda {

void CudaBackend::adamwStep(const View& p, const View& g, const View& m, const View& v, const View& out,
                            const AdamWParams& hp) {
  enter();
  check(launchAdamW(p.data, out.data, int(p.dtype), g.data, int(g.dtype), m.data, int(m.dtype), v.data, int(v.dtype),
                    p.numel(), adamwCoeffs(hp), stream_),
        "adamw kernel");
}

void CudaBackend::sgdStep(const View& p, const View& g, const View& buf, const SgdParams& hp) {
  enter();
  check(launchSgd(p.data, int(p.dtype), g.data, int(g.dtype), buf.empty() ? nullptr : buf.data, int(buf.dtype),
                  p.numel(), hp, stream_),
        "sgd kernel");
}

}  // namespace loraga::cuda
