// Symmetric eigendecomposition on the CPU: LAPACK dsyevd (divide and conquer). Row-major n×n data is its column-major
// transpose, so our upper triangle is LAPACK's lower one, and the column-major eigenvector matrix it writes (column i
// = eigenvector i) reads row-major as one eigenvector per row: no transposing copies.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>
#include "backend.h"
#include "lapack.h"

namespace loraga {

void CpuBackend::symmetricEigen(const View& c, double* w) {
  const int n = int(c.rows), ld = std::max(n, 1);
  if (n == 0) return;
  int info = 0, lwork = -1, liwork = -1, iq = 0;
  double wq = 0;
  dsyevd_("V", "L", &n, c.as<double>(), &ld, w, &wq, &lwork, &iq, &liwork, &info, 1, 1);
  if (info == 0) {
    lwork = int(wq) + 1;
    liwork = std::max(iq, 1);
    std::unique_ptr<double[]> work(new double[size_t(lwork)]);
    std::vector<int> iwork(static_cast<size_t>(liwork));
    dsyevd_("V", "L", &n, c.as<double>(), &ld, w, work.get(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  }
  if (info > 0)
    fail(ErrorCode::Value, "symmetric eigen: LAPACK dsyevd did not converge (info " + std::to_string(info) + ")");
  if (info < 0) fail(ErrorCode::Internal, "symmetric eigen: LAPACK argument " + std::to_string(-info) + " rejected");
}

}  // namespace loraga
