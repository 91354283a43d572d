// a·x = b by LU with partial pivoting (LAPACK gesv). LAPACK is column-major and our views are row-major, so a and b
// are transposed into column-major scratch, solved there, and the solution transposed into b. a is never written
// and b only once the solve succeeded (a singular a leaves both as they were). Copies are n² + n·m elements:
// negligible next to the O(n³) factorisation.
#include <algorithm>
#include <vector>
#include "backend.h"
#include "lapack.h"

namespace loraga {

namespace {
template <class T>
void solveTyped(const View& a, const View& b) {
  const int64_t n = a.rows, m = b.cols;
  std::vector<T> ac(size_t(n * n));  // column-major n×n
  const T* ap = a.as<T>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) ac[size_t(j * n + i)] = ap[i * n + j];
  std::vector<T> bc(size_t(n * m));  // column-major n×m
  const T* bp = b.as<T>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) bc[size_t(j * n + i)] = bp[i * m + j];
  std::vector<int> ipiv(size_t(std::max<int64_t>(n, 1)));
  const int N = int(n), NRHS = int(m), LD = int(std::max<int64_t>(n, 1));
  int info = 0;
  lapack::gesv(&N, &NRHS, ac.data(), &LD, ipiv.data(), bc.data(), &LD, &info);
  if (info > 0)
    fail(ErrorCode::Value, "solve: matrix " + a.shapeStr() + " is singular (U[" + std::to_string(info - 1) + ", " +
                               std::to_string(info - 1) + "] = 0 in its LU factorisation)");
  if (info < 0) fail(ErrorCode::Internal, "solve: gesv argument " + std::to_string(-info) + " is invalid");
  T* out = b.as<T>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) out[i * m + j] = bc[size_t(j * n + i)];
}
}  // namespace

void CpuBackend::solve(const View& a, const View& b) {
  if (a.rows == 0 || b.cols == 0) return;
  if (a.dtype == DType::F64)
    solveTyped<double>(a, b);
  else
    solveTyped<float>(a, b);
}

}  // namespace loraga
