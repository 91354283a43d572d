// matmul(a, b, out, transA, transB, alpha, beta, async): out = alpha·op(a)·op(b) + beta·out → Backend::matmul.
#include "call.h"
#include "ops.h"

namespace loraga::binding {

Napi::Value Matmul(const Napi::CallbackInfo& info) {
  Call call(info, "matmul", 7);
  const View a = call.tensor(0, "a"), b = call.tensor(1, "b"), c = call.tensor(2, "out", Access::ReadWrite);
  const bool ta = call.flag(3), tb = call.flag(4);
  const double alpha = call.numberOr(5, 1.0), beta = call.numberOr(6, 0.0);
  const int64_t m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, kb = tb ? b.cols : b.rows, n = tb ? b.rows : b.cols;
  if (k != kb)
    call.fail(ErrorCode::Shape, "inner dimensions differ: op(a) is [" + std::to_string(m) + ", " + std::to_string(k) +
                                    "], op(b) is [" + std::to_string(kb) + ", " + std::to_string(n) + "]");
  call.shape(c, "out", m, n);
  call.blasDims({a, b, c});
  return call.run([=](Backend& be) { be.matmul(ta, tb, alpha, a, b, beta, c); });
}

}  // namespace loraga::binding
