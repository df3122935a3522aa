#pragma once
// Error values for expected failures (bad input, I/O, database). Cheap to copy; no
// exceptions cross module or storage interfaces.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace rampart::core {

class Status {
 public:
  enum class Code {
    kOk,
    kNotFound,
    kAlreadyExists,
    kInvalidArgument,
    kIoError,
    kUnavailable,
    kPermissionDenied,
    kFailedPrecondition,
  };

  Status() = default;
  static Status ok() { return Status(); }
  static Status notFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status alreadyExists(std::string msg) { return Status(Code::kAlreadyExists, std::move(msg)); }
  static Status invalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status ioError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status permissionDenied(std::string msg) {
    return Status(Code::kPermissionDenied, std::move(msg));
  }
  static Status failedPrecondition(std::string msg) {
    return Status(Code::kFailedPrecondition, std::move(msg));
  }

  bool isOk() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}    // NOLINT(google-explicit-constructor)
  bool isOk() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  Status status() const { return isOk() ? Status::ok() : std::get<Status>(v_); }
  T value_or(T fallback) const { return isOk() ? std::get<T>(v_) : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace rampart::core
