// One exception type for everything the core rejects; the binding maps `code` to a typed JS error class.
#pragma once
#include <stdexcept>
#include <string>

namespace loraga {

enum class ErrorCode { Shape, DType, Value, Backend, OutOfMemory, Layout, Disposed, Internal };

inline const char* errorCodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::Shape: return "LORA_SHAPE";
    case ErrorCode::DType: return "LORA_DTYPE";
    case ErrorCode::Value: return "LORA_VALUE";
    case ErrorCode::Backend: return "LORA_BACKEND";
    case ErrorCode::OutOfMemory: return "LORA_OOM";
    case ErrorCode::Layout: return "LORA_LAYOUT";
    case ErrorCode::Disposed: return "LORA_DISPOSED";
    default: return "LORA_INTERNAL";
  }
}

struct Error : std::runtime_error {
  ErrorCode code;
  Error(ErrorCode c, const std::string& msg) : std::runtime_error(msg), code(c) {}
};

[[noreturn]] inline void fail(ErrorCode c, const std::string& msg) { throw Error(c, msg); }

}  // namespace loraga
