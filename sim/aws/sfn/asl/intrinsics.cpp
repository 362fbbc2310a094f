#include "sim/aws/sfn/asl/intrinsics.hpp"

#include <openssl/evp.h>

#include <cctype>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

namespace sim::aws::sfn::asl {

using core::Error;
using core::Fail;
using core::Result;

struct IntrinsicNode {
    enum class Kind { kLiteral, kPath, kCall };
    Kind kind = Kind::kLiteral;
    Json literal;
    std::string raw;  // the escaped source text of a string literal (States.Format needs it)
    std::optional<JsonPath> path;
    std::string function;
    std::vector<IntrinsicNode> args;
};

namespace {

constexpr std::size_t kMaxNesting = 10;
constexpr std::size_t kMaxStringLength = 10000;
constexpr std::int64_t kMaxRangeItems = 1000;

struct FunctionSpec {
    std::string_view name;
    std::size_t min_args;
    std::size_t max_args;
};

constexpr std::size_t kMany = std::numeric_limits<std::size_t>::max();
constexpr FunctionSpec kFunctions[] = {
    {"States.Format", 1, kMany},     {"States.StringToJson", 1, 1}, {"States.JsonToString", 1, 1},
    {"States.Array", 0, kMany},      {"States.ArrayPartition", 2, 2}, {"States.ArrayContains", 2, 2},
    {"States.ArrayRange", 3, 3},     {"States.ArrayGetItem", 2, 2}, {"States.ArrayLength", 1, 1},
    {"States.ArrayUnique", 1, 1},    {"States.Base64Encode", 1, 1}, {"States.Base64Decode", 1, 1},
    {"States.Hash", 2, 2},           {"States.JsonMerge", 3, 3},    {"States.MathRandom", 2, 3},
    {"States.MathAdd", 2, 2},        {"States.StringSplit", 2, 2},  {"States.UUID", 0, 0},
};

const FunctionSpec* FindFunction(std::string_view name) {
    for (const auto& f : kFunctions) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

class CallParser {
public:
    explicit CallParser(std::string_view s) : s_(s) {}

    Result<IntrinsicNode> ParseAll() {
        auto node = ParseCall(0);
        if (!node) return node;
        Skip();
        if (p_ != s_.size()) return Fail(Error::InvalidArgument("unexpected text after the call"));
        return node;
    }

private:
    void Skip() {
        while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
    }

    Result<IntrinsicNode> ParseCall(std::size_t depth) {
        if (depth >= kMaxNesting) return Fail(Error::InvalidArgument("more than 10 nested intrinsic functions"));
        Skip();
        std::size_t begin = p_;
        while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.')) ++p_;
        std::string name(s_.substr(begin, p_ - begin));
        const FunctionSpec* spec = FindFunction(name);
        if (!spec) return Fail(Error::InvalidArgument("unknown intrinsic function '" + name + "'"));
        Skip();
        if (p_ >= s_.size() || s_[p_] != '(') return Fail(Error::InvalidArgument("expected '(' after " + name));
        ++p_;
        IntrinsicNode node;
        node.kind = IntrinsicNode::Kind::kCall;
        node.function = name;
        Skip();
        if (p_ < s_.size() && s_[p_] == ')') {
            ++p_;
        } else {
            while (true) {
                auto arg = ParseArg(depth);
                if (!arg) return arg;
                node.args.push_back(std::move(*arg));
                Skip();
                if (p_ < s_.size() && s_[p_] == ',') {
                    ++p_;
                    continue;
                }
                if (p_ < s_.size() && s_[p_] == ')') {
                    ++p_;
                    break;
                }
                return Fail(Error::InvalidArgument("expected ',' or ')' in " + name));
            }
        }
        if (node.args.size() < spec->min_args || node.args.size() > spec->max_args) {
            return Fail(Error::InvalidArgument(name + " takes " +
                                               (spec->min_args == spec->max_args
                                                    ? std::to_string(spec->min_args)
                                                    : spec->max_args == kMany
                                                          ? "at least " + std::to_string(spec->min_args)
                                                          : std::to_string(spec->min_args) + " to " +
                                                                std::to_string(spec->max_args)) +
                                               " argument(s), got " + std::to_string(node.args.size())));
        }
        return node;
    }

    Result<IntrinsicNode> ParseArg(std::size_t depth) {
        Skip();
        if (p_ >= s_.size()) return Fail(Error::InvalidArgument("missing argument"));
        char c = s_[p_];
        IntrinsicNode node;
        if (c == '\'') {
            ++p_;
            std::string value;
            std::size_t begin = p_;
            while (true) {
                if (p_ >= s_.size()) return Fail(Error::InvalidArgument("unterminated string literal"));
                char d = s_[p_];
                if (d == '\\') {
                    if (p_ + 1 >= s_.size()) return Fail(Error::InvalidArgument("open escape '\\'"));
                    char e = s_[p_ + 1];
                    if (e != '\'' && e != '{' && e != '}' && e != '\\') {
                        return Fail(Error::InvalidArgument(std::string("invalid escape '\\") + e + "'"));
                    }
                    value.push_back(e);
                    p_ += 2;
                    continue;
                }
                if (d == '\'') break;
                value.push_back(d);
                ++p_;
            }
            node.raw = std::string(s_.substr(begin, p_ - begin));
            ++p_;
            node.literal = value;
            return node;
        }
        if (c == '$') {
            std::size_t begin = p_;
            int depth_brackets = 0;
            char quote = 0;
            while (p_ < s_.size()) {
                char d = s_[p_];
                if (quote) {
                    if (d == quote) quote = 0;
                } else if (d == '\'' || d == '"') {
                    if (depth_brackets == 0) break;
                    quote = d;
                } else if (d == '[' || d == '(') {
                    ++depth_brackets;
                } else if (d == ']' || d == ')') {
                    if (depth_brackets == 0) break;
                    --depth_brackets;
                } else if (depth_brackets == 0 && (d == ',' || std::isspace(static_cast<unsigned char>(d)))) {
                    break;
                }
                ++p_;
            }
            auto path = JsonPath::Parse(s_.substr(begin, p_ - begin));
            if (!path) return Fail(Error::InvalidArgument("invalid path argument: " + path.error().message));
            node.kind = IntrinsicNode::Kind::kPath;
            node.path = std::move(*path);
            return node;
        }
        if (std::isalpha(static_cast<unsigned char>(c))) {
            for (auto [word, value] : {std::pair<std::string_view, Json>{"true", Json(true)},
                                       std::pair<std::string_view, Json>{"false", Json(false)},
                                       std::pair<std::string_view, Json>{"null", Json(nullptr)}}) {
                if (s_.substr(p_, word.size()) == word &&
                    (p_ + word.size() == s_.size() || !std::isalnum(static_cast<unsigned char>(s_[p_ + word.size()])))) {
                    p_ += word.size();
                    node.literal = value;
                    return node;
                }
            }
            return ParseCall(depth + 1);
        }
        std::size_t begin = p_;
        while (p_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '-' ||
                                  s_[p_] == '.' || s_[p_] == 'e' || s_[p_] == 'E' || s_[p_] == '+')) {
            ++p_;
        }
        auto number = Json::parse(s_.substr(begin, p_ - begin), nullptr, false);
        if (begin == p_ || number.is_discarded() || !number.is_number()) {
            return Fail(Error::InvalidArgument("invalid argument at '" + std::string(s_.substr(begin, 10)) + "'"));
        }
        node.literal = std::move(number);
        return node;
    }

    std::string_view s_;
    std::size_t p_ = 0;
};

// --- evaluation helpers ----------------------------------------------------------------------

RuntimeError Failure(std::string cause) { return {std::string(errors::kIntrinsicFailure), std::move(cause)}; }

std::string TypeName(const Json& j) {
    switch (j.type()) {
        case Json::value_t::null: return "null";
        case Json::value_t::boolean: return "boolean";
        case Json::value_t::string: return "string";
        case Json::value_t::array: return "array";
        case Json::value_t::object: return "object";
        default: return "number";
    }
}

std::optional<std::int64_t> AsInteger(const Json& j) {
    if (j.is_number_integer()) return j.get<std::int64_t>();
    if (j.is_number_float()) {
        double d = j.get<double>();
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

std::string ArgError(const std::string& fn, std::size_t index, const std::string& expected, const Json& got) {
    return "The value of the argument at index " + std::to_string(index) + " of " + fn + " must be " + expected +
           ", but was " + TypeName(got) + " (" + got.dump() + ")";
}

/// Text inserted by States.Format: strings as they are, anything else as JSON.
std::string FormatValue(const Json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

Result<Json, RuntimeError> Format(const IntrinsicNode& node, const std::vector<Json>& args) {
    const std::string fn = "States.Format";
    if (!args[0].is_string()) return Fail(Failure(ArgError(fn, 0, "a string", args[0])));
    // A literal template keeps its escapes: `\{` is a brace, `{}` a placeholder. A template read
    // from a path has no escapes.
    const IntrinsicNode& first = node.args[0];
    bool literal = first.kind == IntrinsicNode::Kind::kLiteral;
    std::string_view tmpl = literal ? std::string_view(first.raw) : args[0].get_ref<const std::string&>();
    std::string out;
    std::size_t next_arg = 1;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        char c = tmpl[i];
        if (literal && c == '\\' && i + 1 < tmpl.size()) {
            out.push_back(tmpl[++i]);
            continue;
        }
        if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
            if (next_arg >= args.size()) {
                return Fail(Failure("Number of arguments in States.Format do not match the occurrences of {}"));
            }
            const Json& v = args[next_arg++];
            if (v.is_object() || v.is_array()) {
                return Fail(Failure(ArgError(fn, next_arg - 1, "a string, number, boolean or null", v)));
            }
            out += FormatValue(v);
            ++i;
            continue;
        }
        out.push_back(c);
    }
    if (next_arg != args.size()) {
        return Fail(Failure("Number of arguments in States.Format do not match the occurrences of {}"));
    }
    return Json(out);
}

Result<Json, RuntimeError> Call(const IntrinsicNode& node, const std::vector<Json>& args, const EvalEnv& env) {
    const std::string& fn = node.function;
    auto need_string = [&](std::size_t i) -> std::optional<RuntimeError> {
        if (!args[i].is_string()) return Failure(ArgError(fn, i, "a string", args[i]));
        return std::nullopt;
    };
    auto need_array = [&](std::size_t i) -> std::optional<RuntimeError> {
        if (!args[i].is_array()) return Failure(ArgError(fn, i, "an array", args[i]));
        return std::nullopt;
    };
    auto need_int = [&](std::size_t i) -> Result<std::int64_t, RuntimeError> {
        auto v = AsInteger(args[i]);
        if (!v) return Fail(Failure(ArgError(fn, i, "an integer", args[i])));
        return *v;
    };

    if (fn == "States.Format") return Format(node, args);
    if (fn == "States.StringToJson") {
        if (auto e = need_string(0)) return Fail(*e);
        auto parsed = Json::parse(args[0].get<std::string>(), nullptr, false);
        if (parsed.is_discarded()) return Fail(Failure("States.StringToJson: the argument is not valid JSON text"));
        return parsed;
    }
    if (fn == "States.JsonToString") return Json(args[0].dump());
    if (fn == "States.Array") {
        Json out = Json::array();
        for (const auto& a : args) out.push_back(a);
        return out;
    }
    if (fn == "States.ArrayPartition") {
        if (auto e = need_array(0)) return Fail(*e);
        auto size = need_int(1);
        if (!size) return Fail(size.error());
        if (*size <= 0) return Fail(Failure("States.ArrayPartition: the chunk size must be greater than 0"));
        Json out = Json::array();
        Json chunk = Json::array();
        for (const auto& item : args[0]) {
            chunk.push_back(item);
            if (static_cast<std::int64_t>(chunk.size()) == *size) {
                out.push_back(std::move(chunk));
                chunk = Json::array();
            }
        }
        if (!chunk.empty()) out.push_back(std::move(chunk));
        return out;
    }
    if (fn == "States.ArrayContains") {
        if (auto e = need_array(0)) return Fail(*e);
        for (const auto& item : args[0]) {
            if (item == args[1]) return Json(true);
        }
        return Json(false);
    }
    if (fn == "States.ArrayRange") {
        auto first = need_int(0);
        if (!first) return Fail(first.error());
        auto last = need_int(1);
        if (!last) return Fail(last.error());
        auto step = need_int(2);
        if (!step) return Fail(step.error());
        if (*step == 0) return Fail(Failure("States.ArrayRange: the step must not be 0"));
        std::int64_t count = (*last - *first) / *step + 1;
        if (count < 0) count = 0;
        if (count > kMaxRangeItems) {
            return Fail(Failure("States.ArrayRange: the result would have " + std::to_string(count) +
                                " items, more than the limit of 1000"));
        }
        Json out = Json::array();
        for (std::int64_t i = 0; i < count; ++i) out.push_back(*first + i * *step);
        return out;
    }
    if (fn == "States.ArrayGetItem") {
        if (auto e = need_array(0)) return Fail(*e);
        auto index = need_int(1);
        if (!index) return Fail(index.error());
        if (*index < 0 || *index >= static_cast<std::int64_t>(args[0].size())) {
            return Fail(Failure("States.ArrayGetItem: index " + std::to_string(*index) + " is out of bounds for an "
                                "array of " + std::to_string(args[0].size()) + " items"));
        }
        return args[0][static_cast<std::size_t>(*index)];
    }
    if (fn == "States.ArrayLength") {
        if (auto e = need_array(0)) return Fail(*e);
        return Json(args[0].size());
    }
    if (fn == "States.ArrayUnique") {
        if (auto e = need_array(0)) return Fail(*e);
        Json out = Json::array();
        for (const auto& item : args[0]) {
            bool seen = false;
            for (const auto& kept : out) seen = seen || kept == item;
            if (!seen) out.push_back(item);
        }
        return out;
    }
    if (fn == "States.Base64Encode" || fn == "States.Base64Decode") {
        if (auto e = need_string(0)) return Fail(*e);
        const auto& s = args[0].get_ref<const std::string&>();
        if (s.size() > kMaxStringLength) return Fail(Failure(fn + ": the input is longer than 10000 characters"));
        if (fn == "States.Base64Encode") return Json(Base64Encode(s));
        auto decoded = Base64Decode(s);
        if (!decoded) return Fail(Failure("States.Base64Decode: the input is not valid base64"));
        return Json(*decoded);
    }
    if (fn == "States.Hash") {
        if (args[0].is_null()) return Fail(Failure(ArgError(fn, 0, "a non-null value", args[0])));
        if (auto e = need_string(1)) return Fail(*e);
        std::string data = args[0].is_string() ? args[0].get<std::string>() : args[0].dump();
        if (data.size() > kMaxStringLength) return Fail(Failure("States.Hash: the input is longer than 10000 characters"));
        auto digest = HashHex(data, args[1].get<std::string>());
        if (!digest) {
            return Fail(Failure("States.Hash: unsupported algorithm '" + args[1].get<std::string>() +
                                "'; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"));
        }
        return Json(*digest);
    }
    if (fn == "States.JsonMerge") {
        if (!args[0].is_object()) return Fail(Failure(ArgError(fn, 0, "an object", args[0])));
        if (!args[1].is_object()) return Fail(Failure(ArgError(fn, 1, "an object", args[1])));
        if (!args[2].is_boolean()) return Fail(Failure(ArgError(fn, 2, "a boolean", args[2])));
        if (args[2].get<bool>()) {
            return Fail(Failure("States.JsonMerge: deep merge is not supported; the third argument must be false"));
        }
        Json out = args[0];
        for (auto it = args[1].begin(); it != args[1].end(); ++it) out[it.key()] = it.value();
        return out;
    }
    if (fn == "States.MathRandom") {
        auto lo = need_int(0);
        if (!lo) return Fail(lo.error());
        auto hi = need_int(1);
        if (!hi) return Fail(hi.error());
        if (*lo >= *hi) return Fail(Failure("States.MathRandom: the start must be less than the end"));
        // The range is [start, end): start inclusive, end exclusive.
        if (args.size() == 3) {
            auto seed = need_int(2);
            if (!seed) return Fail(seed.error());
            core::Random seeded(static_cast<std::uint64_t>(*seed));
            return Json(seeded.Between(*lo, *hi - 1));
        }
        if (!env.random) return Fail(Failure("States.MathRandom: no random generator"));
        return Json(env.random->Between(*lo, *hi - 1));
    }
    if (fn == "States.MathAdd") {
        auto a = need_int(0);
        if (!a) return Fail(a.error());
        auto b = need_int(1);
        if (!b) return Fail(b.error());
        std::int64_t sum = 0;
        if (__builtin_add_overflow(*a, *b, &sum)) {
            return Fail(Failure("States.MathAdd: the sum of " + std::to_string(*a) + " and " + std::to_string(*b) +
                                " is outside the 64-bit integer range"));
        }
        return Json(sum);
    }
    if (fn == "States.StringSplit") {
        if (auto e = need_string(0)) return Fail(*e);
        if (auto e = need_string(1)) return Fail(*e);
        const auto& s = args[0].get_ref<const std::string&>();
        const auto& delims = args[1].get_ref<const std::string&>();
        Json out = Json::array();
        std::string token;
        for (char c : s) {
            if (delims.find(c) != std::string::npos) {
                if (!token.empty()) out.push_back(token);
                token.clear();
            } else {
                token.push_back(c);
            }
        }
        if (!token.empty()) out.push_back(token);
        return out;
    }
    if (fn == "States.UUID") {
        if (!env.random) return Fail(Failure("States.UUID: no random generator"));
        static constexpr char kHex[] = "0123456789abcdef";
        std::uint64_t hi = env.random->NextU64();
        std::uint64_t lo = env.random->NextU64();
        hi = (hi & ~0xF000ull) | 0x4000ull;                          // version 4
        lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
        std::string out;
        for (int i = 0; i < 32; ++i) {
            std::uint64_t word = i < 16 ? hi : lo;
            int shift = (15 - (i % 16)) * 4;
            out.push_back(kHex[(word >> shift) & 0xF]);
            if (i == 7 || i == 11 || i == 15 || i == 19) out.push_back('-');
        }
        return Json(out);
    }
    return Fail(Failure("unknown intrinsic function " + fn));
}

Result<Json, RuntimeError> EvaluateNode(const IntrinsicNode& node, const EvalEnv& env) {
    switch (node.kind) {
        case IntrinsicNode::Kind::kLiteral:
            return node.literal;
        case IntrinsicNode::Kind::kPath: {
            auto v = node.path->Evaluate(env.scope);
            if (!v) {
                return Fail(RuntimeError{std::string(errors::kIntrinsicFailure),
                                         "The JSONPath '" + node.path->text() +
                                             "' in the intrinsic function could not be found in the input"});
            }
            return std::move(*v);
        }
        case IntrinsicNode::Kind::kCall: {
            std::vector<Json> args;
            args.reserve(node.args.size());
            for (const auto& a : node.args) {
                auto v = EvaluateNode(a, env);
                if (!v) return v;
                args.push_back(std::move(*v));
            }
            return Call(node, args, env);
        }
    }
    return Json();
}

}  // namespace

bool Intrinsic::LooksLikeCall(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    return text.substr(i, 7) == "States." && text.find('(') != std::string_view::npos;
}

Result<Intrinsic> Intrinsic::Parse(std::string_view text) {
    CallParser parser(text);
    auto node = parser.ParseAll();
    if (!node) return Fail(node.error());
    Intrinsic out;
    out.text_ = std::string(text);
    out.root_ = std::make_shared<const IntrinsicNode>(std::move(*node));
    return out;
}

Result<Json, RuntimeError> Intrinsic::Evaluate(const EvalEnv& env) const {
    try {
        return EvaluateNode(*root_, env);
    } catch (const std::exception& e) {
        // nlohmann throws on invalid UTF-8 in dump(); that is bad input, not a broken invariant.
        return Fail(Failure(std::string("intrinsic function failed: ") + e.what()));
    }
}

Result<std::string> HashHex(std::string_view data, std::string_view algorithm) {
    const EVP_MD* md = nullptr;
    if (algorithm == "MD5") md = EVP_md5();
    else if (algorithm == "SHA-1") md = EVP_sha1();
    else if (algorithm == "SHA-256") md = EVP_sha256();
    else if (algorithm == "SHA-384") md = EVP_sha384();
    else if (algorithm == "SHA-512") md = EVP_sha512();
    if (!md) return Fail(Error::InvalidArgument("unsupported hash algorithm"));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr) != 1) {
        return Fail(Error{core::ErrorKind::kInternal, "EVP_Digest failed"});
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0xF]);
    }
    return out;
}

std::string Base64Encode(std::string_view data) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        std::uint32_t v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                          static_cast<unsigned char>(data[i + 2]);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(kAlphabet[(v >> 6) & 63]);
        out.push_back(kAlphabet[v & 63]);
    }
    if (i < data.size()) {
        std::uint32_t v = static_cast<unsigned char>(data[i]) << 16;
        if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

Result<std::string> Base64Decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (text.size() % 4 != 0) return Fail(Error::InvalidArgument("base64 length is not a multiple of 4"));
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text[i + k];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[k] = 0;
                ++pad;
            } else {
                if (pad) return Fail(Error::InvalidArgument("misplaced padding"));
                v[k] = value(c);
                if (v[k] < 0) return Fail(Error::InvalidArgument("invalid base64 character"));
            }
        }
        std::uint32_t w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
        out.push_back(static_cast<char>((w >> 16) & 0xFF));
        if (pad < 2) out.push_back(static_cast<char>((w >> 8) & 0xFF));
        if (pad < 1) out.push_back(static_cast<char>(w & 0xFF));
    }
    return out;
}

}  // namespace sim::aws::sfn::asl
