#include "sim/core/json_fields.hpp"

#include <chrono>

namespace sim::core {

std::string ValidUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = n > 0 && i + n <= text.size();
        char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; ok && k < n; ++k) {
            auto cc = static_cast<unsigned char>(text[i + k]);
            ok = (cc >> 6) == 0x2;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values above U+10FFFF are invalid too.
        if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                   (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
            ok = false;
        if (ok) {
            out.append(text.substr(i, n));
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

int StatusOf(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kInvalidArgument: return 400;
        case ErrorKind::kNotFound: return 404;
        case ErrorKind::kAlreadyExists:
        case ErrorKind::kConflict: return 409;
        case ErrorKind::kFailedPrecondition: return 422;
        case ErrorKind::kPermissionDenied: return 403;
        case ErrorKind::kResourceExhausted: return 429;
        case ErrorKind::kUnavailable: return 503;
        case ErrorKind::kInternal: return 500;
    }
    return 500;
}

Response FieldProblem(int status, std::string_view field, std::string_view reason) {
    std::string detail = ValidUtf8(field.empty() ? std::string(reason) : std::string(field) + ": " + std::string(reason));
    std::string title(ReasonPhrase(status));
    if (title.empty() || title == "Unknown") title = status >= 500 ? "Server Error" : "Client Error";
    if (status == 410) title = "Gone";
    nlohmann::json body = {{"type", "about:blank"},
                           {"title", title},
                           {"status", status},
                           {"detail", detail},
                           {"field", ValidUtf8(field)},
                           {"reason", ValidUtf8(reason)}};
    Response r = Response::Json(status, body);
    r.headers.Set("Content-Type", "application/problem+json");
    return r;
}

Response ToResponse(const FieldError& error) { return FieldProblem(StatusOf(error.kind), error.field, error.reason); }

JsonFields::JsonFields(std::string_view body) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        json_ = nlohmann::json::object();
        return;
    }
    json_ = nlohmann::json::parse(body, nullptr, false);
    if (json_.is_discarded()) {
        json_ = nlohmann::json::object();
        error_ = FieldError::Invalid("body", "is not valid JSON");
    } else if (!json_.is_object()) {
        json_ = nlohmann::json::object();
        error_ = FieldError::Invalid("body", "must be a JSON object");
    }
}

JsonFields::JsonFields(const nlohmann::json& object, std::string prefix) : prefix_(std::move(prefix)) {
    if (object.is_object()) {
        json_ = object;
    } else {
        json_ = nlohmann::json::object();
        std::string name = prefix_.empty() ? "body" : prefix_.substr(0, prefix_.size() - 1);
        error_ = FieldError::Invalid(name, "must be a JSON object");
    }
}

Response JsonFields::problem() const {
    return error_ ? ToResponse(*error_) : FieldProblem(400, "", "bad request");
}

bool JsonFields::Has(std::string_view field) const {
    auto it = json_.find(std::string(field));
    return it != json_.end() && !it->is_null();
}

void JsonFields::Reject(std::string_view field, std::string reason) {
    if (!error_) error_ = FieldError::Invalid(Name(field), std::move(reason));
}

const nlohmann::json* JsonFields::Find(std::string_view field, bool required) {
    auto it = json_.find(std::string(field));
    if (it == json_.end() || it->is_null()) {
        if (required) Reject(field, "is required");
        return nullptr;
    }
    return &*it;
}

std::string JsonFields::String(std::string_view field, bool required, std::size_t max_length) {
    const nlohmann::json* v = Find(field, required);
    if (!v) return {};
    if (!v->is_string()) {
        Reject(field, "must be a string");
        return {};
    }
    std::string s = v->get<std::string>();
    if (required && s.empty()) {
        Reject(field, "must not be empty");
        return {};
    }
    if (s.size() > max_length) {
        Reject(field, "must be at most " + std::to_string(max_length) + " bytes");
        return {};
    }
    return s;
}

std::optional<std::int64_t> JsonFields::OptInt(std::string_view field, std::int64_t min, std::int64_t max) {
    const nlohmann::json* v = Find(field, false);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) {
        Reject(field, "must be an integer");
        return std::nullopt;
    }
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        Reject(field, "is out of range");
        return std::nullopt;
    }
    std::int64_t n = v->get<std::int64_t>();
    if (n < min || n > max) {
        Reject(field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
        return std::nullopt;
    }
    return n;
}

std::int64_t JsonFields::Int(std::string_view field, std::int64_t min, std::int64_t max) {
    if (!Find(field, true)) return 0;
    return OptInt(field, min, max).value_or(0);
}

std::string JsonFields::Enum(std::string_view field, const std::vector<std::string>& choices,
                             std::optional<std::string> fallback) {
    bool required = !fallback.has_value();
    std::string s = String(field, required);
    if (failed()) return {};
    if (s.empty() && fallback) return *fallback;
    for (const auto& c : choices)
        if (c == s) return s;
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    Reject(field, "must be one of " + list);
    return {};
}

nlohmann::json JsonFields::Object(std::string_view field, bool required) {
    const nlohmann::json* v = Find(field, required);
    if (!v) return nlohmann::json::object();
    if (!v->is_object()) {
        Reject(field, "must be a JSON object");
        return nlohmann::json::object();
    }
    return *v;
}

nlohmann::json JsonFields::Array(std::string_view field, bool required) {
    const nlohmann::json* v = Find(field, required);
    if (!v) return nlohmann::json::array();
    if (!v->is_array()) {
        Reject(field, "must be a JSON array");
        return nlohmann::json::array();
    }
    return *v;
}

std::string JsonFields::Date(std::string_view field, bool required) {
    std::string s = String(field, required, 10);
    if (failed() || s.empty()) return s;
    if (!IsDate(s)) {
        Reject(field, "must be a date YYYY-MM-DD");
        return {};
    }
    return s;
}

bool IsDate(std::string_view t) {
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (t[i] < '0' || t[i] > '9') return false;
    int y = std::stoi(std::string(t.substr(0, 4)));
    int m = std::stoi(std::string(t.substr(5, 2)));
    int d = std::stoi(std::string(t.substr(8, 2)));
    if (m < 1 || m > 12 || d < 1) return false;
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                    std::chrono::day{static_cast<unsigned>(d)}};
    return ymd.ok();
}

}  // namespace sim::core
