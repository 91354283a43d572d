// Hold: device pins, async private copies and their write-back (ownership rules in hold.h).
#include "hold.h"
#include <cstring>
#include <new>

namespace loraga::binding {

Hold::~Hold() {
  for (auto& p : pins_) p.second->unpin();
}

void Hold::pin(const Napi::Value& handle, DeviceTensor* t) {
  ++t->pins;
  pins_.emplace_back(Napi::Persistent(handle), t);
}

void* Hold::snapshot(const Napi::TypedArray& array, const void* src, size_t bytes, bool writeBack, std::string what) {
  // malloc'd or mapped memory is aligned for any element type.
  std::unique_ptr<uint8_t, HostFree> mem(static_cast<uint8_t*>(hostAlloc(bytes, false, kMapFrom)), HostFree{bytes});
  if (!mem) fail(ErrorCode::OutOfMemory, what + ": out of host memory for the async op's private copy");
  if (bytes) std::memcpy(mem.get(), src, bytes);
  void* p = mem.get();
  copies_.push_back(Copy{std::move(mem), bytes,
                         writeBack ? Napi::Persistent(Napi::Value(array)) : Napi::Reference<Napi::Value>(),
                         std::move(what)});
  return p;
}

std::string Hold::writeBack() {
  std::string lost;
  for (Copy& c : copies_) {
    if (c.array.IsEmpty()) continue;
    Napi::TypedArray ta = c.array.Value().As<Napi::TypedArray>();
    Napi::ArrayBuffer ab = ta.ArrayBuffer();
    if (ab.IsDetached() || ta.ByteLength() != c.bytes) {
      lost += (lost.empty() ? "" : ", ") + c.what;
      continue;
    }
    if (c.bytes) std::memcpy(static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset(), c.mem.get(), c.bytes);
  }
  return lost;
}

}  // namespace loraga::binding
