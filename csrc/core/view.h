// A 2-D row-major matrix view: the only shape the kernels see. Vectors are n×1.
#pragma once
#include <cstdint>
#include <string>
#include "dtype.h"

namespace loraga {

enum class Device : int { Host = 0, Cuda = 1 };

struct View {
  void* data = nullptr;
  DType dtype = DType::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  Device device = Device::Host;

  int64_t numel() const { return rows * cols; }
  size_t bytes() const { return size_t(numel()) * dtypeSize(dtype); }
  bool empty() const { return data == nullptr; }
  // Rows [r0, r0 + n) of this row-major matrix: contiguous, so a View of its own.
  View rowBlock(int64_t r0, int64_t n) const {
    View v = *this;
    v.data = static_cast<char*>(data) + size_t(r0 * cols) * dtypeSize(dtype);
    v.rows = n;
    return v;
  }
  std::string shapeStr() const { return "[" + std::to_string(rows) + ", " + std::to_string(cols) + "]"; }
  template <class T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

}  // namespace loraga
