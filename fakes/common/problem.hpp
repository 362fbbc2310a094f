#pragma once
// Expected failures of the fakes' models and the one table that turns them into HTTP problems
// (issue 7, "Bad input": a 4xx with a JSON problem body naming the field and the reason).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/message.hpp"
#include "sim/core/result.hpp"

namespace sim::fakes::common {

/// A model's expected failure: what kind, which input field (may be empty) and why.
struct ModelError {
    core::ErrorKind kind = core::ErrorKind::kInvalidArgument;
    std::string field;
    std::string reason;

    static ModelError Invalid(std::string field, std::string reason) {
        return {core::ErrorKind::kInvalidArgument, std::move(field), std::move(reason)};
    }
    static ModelError NotFound(std::string field, std::string reason) {
        return {core::ErrorKind::kNotFound, std::move(field), std::move(reason)};
    }
    static ModelError Conflict(std::string field, std::string reason) {
        return {core::ErrorKind::kConflict, std::move(field), std::move(reason)};
    }
};

template <typename T>
using ModelResult = core::Result<T, ModelError>;

/// The HTTP status of an error kind: invalid 400, not found 404, conflict/already exists 409,
/// failed precondition 422, permission 403, exhausted 429, unavailable 503, internal 500.
int StatusOf(core::ErrorKind kind);

/// {"type":"about:blank","title","status","detail","field","reason"} (RFC 9457 plus two members).
core::Response FieldProblem(int status, std::string_view field, std::string_view reason);
/// FieldProblem with the status from StatusOf(error.kind).
core::Response ToResponse(const ModelError& error);

/// Reads a JSON request body field by field, remembering the first problem; the api checks
/// `problem()` once after reading every field, so nothing is applied when any field is bad.
///
///     JsonReader in(request);
///     std::string card = in.String("card");
///     std::int64_t amount = in.Int("amount");
///     if (in.failed()) return in.problem();
class JsonReader {
public:
    /// Parses `body`; an empty body reads as {} (every required field is then missing).
    explicit JsonReader(std::string_view body);
    explicit JsonReader(const core::Request& request) : JsonReader(std::string_view(request.body)) {}
    /// Reads fields of an already-parsed object; `prefix` is put before field names ("delivery.").
    JsonReader(const nlohmann::json& object, std::string prefix);

    bool failed() const { return error_.has_value(); }
    core::Response problem() const;
    const std::optional<ModelError>& error() const { return error_; }
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

private:
    const nlohmann::json* Find(std::string_view field, bool required);
    std::string Name(std::string_view field) const { return prefix_ + std::string(field); }

    nlohmann::json json_;
    std::string prefix_;
    std::optional<ModelError> error_;
};

/// True when `text` is a valid "YYYY-MM-DD" calendar date.
bool IsDate(std::string_view text);

}  // namespace sim::fakes::common
