// gradAccumulate as a composite: one matmul accumulating into g (fp32, or f64 for an f64 g) from inputs of any
// dtype, which the matmul primitive widens on the way in. No backend needs more than this.
#include "../backend.h"

namespace loraga {

void Backend::gradAccumulate(const View& g, const View& dy, const View& x, double scale) {
  matmul(true, false, scale, dy, x, 1.0, g);  // g += scale·dyᵀ·x
}

}  // namespace loraga
