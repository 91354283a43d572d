// What an op holds on to while it runs: the ownership rules of the native boundary (README "Memory and ownership").
//
// - Device memory belongs to a DeviceTensor, which the JS tensor's handle (an External) owns. Every op pins the
//   DeviceTensors it uses from argument parsing until it is done; deviceFree (Tensor.dispose()) of a pinned one only
//   asks for the free, which happens when the last op unpins it. So no op ever runs on freed device memory.
// - Host memory belongs to JS (ArrayBuffers). A synchronous op reads and writes it in place; no JS runs while it
//   does, and Call::run first re-checks that no argument's buffer was detached or resized while the arguments were
//   read (a getter can run JS). An asynchronous op works on private copies made when it is called and writes its
//   outputs back when its Promise settles, on the main thread: JS may change, transfer, resize or drop the buffers
//   meanwhile without harm (an output whose buffer is gone by then rejects the Promise with LoraDisposedError).
#pragma once
#include <napi.h>
#include <memory>
#include <string>
#include <vector>
#include "../backend.h"
#include "../cpu/backend.h"

namespace loraga::binding {

// Device memory behind a JS handle, freed when asked and no op uses it (all on the main thread: no atomics).
struct DeviceTensor {
  BufferPtr buf;
  int pins = 0;
  bool freeAsked = false;  // dispose() came while pinned (or already freed): the tensor reads as disposed

  bool live() const { return !freeAsked && buf && buf->view.data; }
  void askFree() {
    freeAsked = true;
    if (pins == 0 && buf) buf->release();
  }
  void unpin() {
    if (--pins == 0 && freeAsked && buf) buf->release();
  }
};

// Pins, private copies and pending write-backs of one op call. Created and destroyed on the main thread.
class Hold {
 public:
  Hold() = default;
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  ~Hold();

  // Pins `t` (held through `handle` so that its finalizer cannot run) until this Hold is destroyed.
  void pin(const Napi::Value& handle, DeviceTensor* t);
  // A private copy of `bytes` at `src` (async ops); if `writeBack`, copied back into `array` by writeBack().
  void* snapshot(const Napi::TypedArray& array, const void* src, size_t bytes, bool writeBack, std::string what);
  // Copies async results into their JS buffers (main thread). Returns "" or what could not be written.
  std::string writeBack();

 private:
  // Private copies come from hostAlloc: one of 32 MiB or more is a huge-page mapping, so copying a 100 MB weight
  // into it costs one page fault per 2 MiB instead of 25,600 of 4 KiB. Smaller ones are malloc'd: glibc maps a
  // block afresh only above its mmap threshold (which rises to 32 MiB as blocks are freed) and otherwise reuses
  // freed heap memory, already faulted in; a new mapping each time measured slower there.
  static constexpr size_t kMapFrom = size_t(32) << 20;
  struct HostFree {
    size_t bytes;
    void operator()(uint8_t* p) const { hostFree(p, bytes, kMapFrom); }
  };
  struct Copy {
    std::unique_ptr<uint8_t, HostFree> mem;
    size_t bytes;
    Napi::Reference<Napi::Value> array;  // set only for outputs
    std::string what;
  };
  std::vector<std::pair<Napi::Reference<Napi::Value>, DeviceTensor*>> pins_;
  std::vector<Copy> copies_;
};

}  // namespace loraga::binding
