#pragma once
// Reading JSON request bodies field by field, and the problem body that names the bad field
// (the fakes' and the platform's "Bad input" answer: a 4xx with {"type","title","status","detail",
// "field","reason"}, RFC 9457 plus two members). Shared by fakes/common and sim/platform.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/message.hpp"
#include "sim/core/result.hpp"

namespace sim::core {

/// An expected failure about one input field: what kind, which field (may be empty) and why.
struct FieldError {
    ErrorKind kind = ErrorKind::kInvalidArgument;
    std::string field;
    std::string reason;

    static FieldError Invalid(std::string field, std::string reason) {
        return {ErrorKind::kInvalidArgument, std::move(field), std::move(reason)};
    }
    static FieldError NotFound(std::string field, std::string reason) {
        return {ErrorKind::kNotFound, std::move(field), std::move(reason)};
    }
    static FieldError Conflict(std::string field, std::string reason) {
        return {ErrorKind::kConflict, std::move(field), std::move(reason)};
    }
};

/// The HTTP status of an error kind: invalid 400, not found 404, conflict/already exists 409,
/// failed precondition 422, permission 403, exhausted 429, unavailable 503, internal 500.
int StatusOf(ErrorKind kind);

/// {"type":"about:blank","title","status","detail","field","reason"}, Content-Type
/// application/problem+json. Invalid UTF-8 in `field`/`reason` is replaced (U+FFFD).
Response FieldProblem(int status, std::string_view field, std::string_view reason);
/// FieldProblem with the status from StatusOf(error.kind).
Response ToResponse(const FieldError& error);

/// `text` with every invalid UTF-8 sequence replaced by U+FFFD (JSON output must be valid UTF-8).
std::string ValidUtf8(std::string_view text);

/// Reads a JSON request body field by field, remembering the first problem; the api checks
/// `problem()` once after reading every field, so nothing is applied when any field is bad.
///
///     JsonFields in(request);
///     std::string card = in.String("card");
///     std::int64_t amount = in.Int("amount");
///     if (in.failed()) return in.problem();
class JsonFields {
public:
    /// Parses `body`; an empty body reads as {} (every required field is then missing).
    explicit JsonFields(std::string_view body);
    explicit JsonFields(const Request& request) : JsonFields(std::string_view(request.body)) {}
    /// Reads fields of an already-parsed object; `prefix` is put before field names ("delivery.").
    JsonFields(const nlohmann::json& object, std::string prefix);

    bool failed() const { return error_.has_value(); }
    Response problem() const;
    const std::optional<FieldError>& error() const { return error_; }
    const nlohmann::json& json() const { return json_; }
    bool Has(std::string_view field) const;

    /// A required (or, with `required` false, optional: "" when absent) string of at most
    /// `max_length` bytes; required strings must not be empty.
    std::string String(std::string_view field, bool required = true, std::size_t max_length = 1024);
    /// A required integer (JSON number without fraction) within [min, max].
    std::int64_t Int(std::string_view field, std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
    /// An optional integer within [min, max].
    std::optional<std::int64_t> OptInt(std::string_view field, std::int64_t min = INT64_MIN,
                                       std::int64_t max = INT64_MAX);
    /// A required string among `choices` (optional when `fallback` is given: absent gives fallback).
    std::string Enum(std::string_view field, const std::vector<std::string>& choices,
                     std::optional<std::string> fallback = std::nullopt);
    /// An optional object ({} when absent).
    nlohmann::json Object(std::string_view field, bool required = false);
    /// An optional array ([] when absent).
    nlohmann::json Array(std::string_view field, bool required = false);
    /// A "YYYY-MM-DD" date string (validated calendar date).
    std::string Date(std::string_view field, bool required = true);
    /// Records a problem found by the caller (keeps the first one).
    void Reject(std::string_view field, std::string reason);
    /// Records a problem of another kind (404, 409, ...) found by the caller (keeps the first one).
    void Fail(FieldError error) {
        if (!error_) error_ = std::move(error);
    }
    /// The field name as reported (with the prefix).
    std::string Name(std::string_view field) const { return prefix_ + std::string(field); }

private:
    const nlohmann::json* Find(std::string_view field, bool required);

    nlohmann::json json_;
    std::string prefix_;
    std::optional<FieldError> error_;
};

/// True when `text` is a valid "YYYY-MM-DD" calendar date.
bool IsDate(std::string_view text);

}  // namespace sim::core
