#pragma once
// Result<T, E>: the return type for failures a caller is expected to handle (unknown queue, bad
// duration, invalid definition). Unexpected failures throw instead (see CONVENTIONS, "Principles").

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace sim::core {

/// Broad kinds of expected failure; each api layer maps them (or its own richer error) to wire codes.
enum class ErrorKind {
    kInvalidArgument,
    kNotFound,
    kAlreadyExists,
    kConflict,
    kFailedPrecondition,
    kPermissionDenied,
    kResourceExhausted,
    kUnavailable,
    kInternal,
};

/// The default error: a kind and a message meant for a human.
struct Error {
    ErrorKind kind = ErrorKind::kInternal;
    std::string message;

    static Error InvalidArgument(std::string m) { return {ErrorKind::kInvalidArgument, std::move(m)}; }
    static Error NotFound(std::string m) { return {ErrorKind::kNotFound, std::move(m)}; }
    static Error Conflict(std::string m) { return {ErrorKind::kConflict, std::move(m)}; }
    static Error FailedPrecondition(std::string m) { return {ErrorKind::kFailedPrecondition, std::move(m)}; }
};

/// Wraps an error value so `return Fail(e);` converts to any Result<T, E>.
template <typename E>
struct Failure {
    E error;
};
template <typename E>
Failure<std::decay_t<E>> Fail(E&& e) {
    return {std::forward<E>(e)};
}

/// Either a value of T or an error of E. Accessing the wrong alternative is a bug (asserts).
template <typename T, typename E = Error>
class [[nodiscard]] Result {
public:
    Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    template <typename F>
    Result(Failure<F> f) : data_(std::in_place_index<1>, E(std::move(f.error))) {}  // NOLINT

    bool ok() const { return data_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(data_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(data_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(data_));
    }
    const E& error() const {
        assert(!ok());
        return std::get<1>(data_);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, E> data_;
};

/// Result of an operation that has no value on success.
struct Unit {};
template <typename E = Error>
using Status = Result<Unit, E>;
inline Status<> Ok() { return Unit{}; }

}  // namespace sim::core
