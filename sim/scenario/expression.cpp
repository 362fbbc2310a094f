#include "sim/scenario/expression.hpp"

#include <cctype>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include "sim/scenario/local_time.hpp"

namespace sim::scenario {

using core::Error;
using core::Fail;
using core::Result;

namespace {

Error Bad(std::string message) { return Error::InvalidArgument(std::move(message)); }

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::size_t Utf8Length(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

Result<core::TimePoint> ToTime(const Json& v, std::string_view what) {
    if (!v.is_string()) return Fail(Bad(std::string(what) + " needs an ISO 8601 time, got " + v.dump()));
    auto t = core::ParseIso8601(v.get<std::string>());
    if (!t) return Fail(Bad(std::string(what) + ": " + t.error().message));
    return *t;
}

/// Recursive-descent parser that evaluates as it parses. `live == false` parses a branch that is
/// not taken (short-circuit, ternary) without looking anything up.
class Parser {
public:
    Parser(std::string_view text, const Scope& scope) : s_(text), scope_(scope) {}

    Result<Json> Run() {
        auto v = Ternary(true);
        if (!v) return v;
        Skip();
        if (p_ != s_.size()) return Fail(Bad("unexpected '" + std::string(s_.substr(p_)) + "'"));
        return v;
    }

private:
    void Skip() {
        while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
    }
    bool Eat(std::string_view token) {
        Skip();
        if (s_.substr(p_, token.size()) != token) return false;
        // "=" must not eat the first half of "==", "<" not of "<=", etc.
        p_ += token.size();
        return true;
    }
    bool Peek(std::string_view token) {
        Skip();
        return s_.substr(p_, token.size()) == token;
    }

    Result<Json> Ternary(bool live) {
        auto cond = Or(live);
        if (!cond) return cond;
        if (!Eat("?")) return cond;
        bool pick = live && Truthy(*cond);
        auto a = Ternary(live && pick);
        if (!a) return a;
        if (!Eat(":")) return Fail(Bad("expected ':' in a ? b : c"));
        auto b = Ternary(live && !pick);
        if (!b) return b;
        return pick ? *a : *b;
    }

    Result<Json> Or(bool live) {
        auto left = And(live);
        if (!left) return left;
        while (Eat("||")) {
            bool done = live && Truthy(*left);
            auto right = And(live && !done);
            if (!right) return right;
            if (!done) left = Json(Truthy(*right));
            else left = Json(true);
        }
        return left;
    }

    Result<Json> And(bool live) {
        auto left = Compare(live);
        if (!left) return left;
        while (Eat("&&")) {
            bool done = live && !Truthy(*left);
            auto right = Compare(live && !done);
            if (!right) return right;
            if (!done) left = Json(Truthy(*right));
            else left = Json(false);
        }
        return left;
    }

    Result<Json> Compare(bool live) {
        auto left = Add(live);
        if (!left) return left;
        static constexpr std::string_view kOps[] = {"==", "!=", "<=", ">=", "<", ">"};
        for (std::string_view op : kOps) {
            if (!Eat(op)) continue;
            auto right = Add(live);
            if (!right) return right;
            if (!live) return Json(false);
            const Json& a = *left;
            const Json& b = *right;
            if (op == "==") return Json(Equal(a, b));
            if (op == "!=") return Json(!Equal(a, b));
            int c = 0;
            if (a.is_number() && b.is_number()) {
                double x = a.get<double>(), y = b.get<double>();
                c = x < y ? -1 : (x > y ? 1 : 0);
            } else if (a.is_string() && b.is_string()) {
                c = a.get<std::string>().compare(b.get<std::string>());
            } else {
                return Fail(Bad("cannot order " + a.dump() + " and " + b.dump()));
            }
            if (op == "<") return Json(c < 0);
            if (op == "<=") return Json(c <= 0);
            if (op == ">") return Json(c > 0);
            return Json(c >= 0);
        }
        return left;
    }

    static bool Equal(const Json& a, const Json& b) {
        if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
        return a == b;
    }

    Result<Json> Add(bool live) {
        auto left = Mul(live);
        if (!left) return left;
        for (;;) {
            char op = 0;
            if (Eat("+")) op = '+';
            else if (Peek("-")) {
                Eat("-");
                op = '-';
            } else {
                return left;
            }
            auto right = Mul(live);
            if (!right) return right;
            if (!live) continue;
            auto r = Arith(op, *left, *right);
            if (!r) return r;
            left = std::move(r);
        }
    }

    Result<Json> Mul(bool live) {
        auto left = Unary(live);
        if (!left) return left;
        for (;;) {
            char op = 0;
            if (Eat("*")) op = '*';
            else if (Eat("/")) op = '/';
            else if (Eat("%")) op = '%';
            else return left;
            auto right = Unary(live);
            if (!right) return right;
            if (!live) continue;
            auto r = Arith(op, *left, *right);
            if (!r) return r;
            left = std::move(r);
        }
    }

    static Result<Json> Arith(char op, const Json& a, const Json& b) {
        if (op == '+' && (a.is_string() || b.is_string())) return Json(ToText(a) + ToText(b));
        if (!a.is_number() || !b.is_number())
            return Fail(Bad(std::string("'") + op + "' needs numbers, got " + a.dump() + " and " + b.dump()));
        if (a.is_number_integer() && b.is_number_integer()) {
            std::int64_t x = a.get<std::int64_t>(), y = b.get<std::int64_t>(), out = 0;
            bool overflow = false;
            switch (op) {
                case '+': overflow = __builtin_add_overflow(x, y, &out); break;
                case '-': overflow = __builtin_sub_overflow(x, y, &out); break;
                case '*': overflow = __builtin_mul_overflow(x, y, &out); break;
                default:
                    if (y == 0) return Fail(Bad("division by zero"));
                    overflow = x == std::numeric_limits<std::int64_t>::min() && y == -1;
                    if (!overflow) out = op == '/' ? x / y : x % y;
            }
            if (overflow)
                return Fail(Bad("integer overflow: " + a.dump() + " " + op + " " + b.dump() + " is beyond 64 bits"));
            return Json(out);
        }
        double x = a.get<double>(), y = b.get<double>();
        switch (op) {
            case '+': return Json(x + y);
            case '-': return Json(x - y);
            case '*': return Json(x * y);
            case '/':
                if (y == 0) return Fail(Bad("division by zero"));
                return Json(x / y);
            default: return Json(std::fmod(x, y));
        }
    }

    Result<Json> Unary(bool live) {
        if (Eat("!")) {
            if (Peek("=")) return Fail(Bad("unexpected '='"));
            auto v = Unary(live);
            if (!v) return v;
            return Json(!Truthy(*v));
        }
        if (Eat("-")) {
            auto v = Unary(live);
            if (!v) return v;
            if (!live) return v;
            if (v->is_number_integer()) {
                std::int64_t x = v->get<std::int64_t>();
                if (x == std::numeric_limits<std::int64_t>::min()) return Fail(Bad("integer overflow: -(" + v->dump() + ")"));
                return Json(-x);
            }
            if (v->is_number()) return Json(-v->get<double>());
            return Fail(Bad("unary '-' needs a number, got " + v->dump()));
        }
        return Postfix(live);
    }

    Result<Json> Postfix(bool live) {
        std::string name;  // for messages: what has been selected so far
        // A plain variable is walked in place, so reading one field of a 500-member array does not
        // copy the array; anything else (literal, call, parentheses) is evaluated into `holder`.
        const Json* variable = nullptr;
        auto holder = Primary(live, name, &variable);
        if (!holder) return holder;
        const Json* v = variable ? variable : &*holder;
        for (;;) {
            if (Peek(".") ) {
                Eat(".");
                Skip();
                std::size_t b = p_;
                while (p_ < s_.size() && IsIdentChar(s_[p_])) ++p_;
                if (b == p_) return Fail(Bad("expected a field name after '.'"));
                std::string field(s_.substr(b, p_ - b));
                if (live) {
                    auto r = Field(*v, field, name);
                    if (!r) return Fail(r.error());
                    v = *r;
                }
                name += "." + field;
            } else if (Eat("[")) {
                auto index = Ternary(live);
                if (!index) return index;
                if (!Eat("]")) return Fail(Bad("expected ']'"));
                if (live) {
                    Result<const Json*> r = static_cast<const Json*>(nullptr);
                    if (index->is_string()) r = Field(*v, index->get<std::string>(), name);
                    else if (index->is_number_integer()) r = Element(*v, index->get<std::int64_t>(), name);
                    else return Fail(Bad("an index must be an integer or a string, got " + index->dump()));
                    if (!r) return Fail(r.error());
                    v = *r;
                }
                name += "[" + (live ? index->dump() : std::string("?")) + "]";
            } else {
                return live ? Json(*v) : Json();
            }
        }
    }

    static Result<const Json*> Field(const Json& v, const std::string& field, const std::string& name) {
        if (!v.is_object()) return Fail(Bad("'" + name + "' is not an object (looking up '" + field + "')"));
        auto it = v.find(field);
        if (it == v.end()) return Fail(Bad("'" + name + "' has no field '" + field + "'"));
        return &*it;
    }
    static Result<const Json*> Element(const Json& v, std::int64_t i, const std::string& name) {
        if (!v.is_array()) return Fail(Bad("'" + name + "' is not an array"));
        std::int64_t n = static_cast<std::int64_t>(v.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Fail(Bad("'" + name + "' has no element " + std::to_string(i)));
        return &v[static_cast<std::size_t>(i)];
    }

    /// A literal, a call or a parenthesised expression is evaluated and returned; a variable is
    /// returned as null with `*variable` pointing at its value in scope (left null when not live).
    Result<Json> Primary(bool live, std::string& name, const Json** variable) {
        Skip();
        if (p_ >= s_.size()) return Fail(Bad("unexpected end of expression"));
        char c = s_[p_];
        if (c == '(') {
            ++p_;
            auto v = Ternary(live);
            if (!v) return v;
            if (!Eat(")")) return Fail(Bad("expected ')'"));
            return v;
        }
        if (c == '\'' || c == '"') {
            ++p_;
            std::string out;
            while (p_ < s_.size() && s_[p_] != c) {
                if (s_[p_] == '\\' && p_ + 1 < s_.size()) ++p_;
                out += s_[p_++];
            }
            if (p_ >= s_.size()) return Fail(Bad("unterminated string"));
            ++p_;
            return Json(out);
        }
        if (std::isdigit(static_cast<unsigned char>(c))) {
            std::size_t b = p_;
            bool real = false;
            while (p_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.')) {
                if (s_[p_] == '.') real = true;
                ++p_;
            }
            std::string digits(s_.substr(b, p_ - b));
            try {
                if (real) return Json(std::stod(digits));
                return Json(static_cast<std::int64_t>(std::stoll(digits)));
            } catch (const std::exception&) {
                return Fail(Bad("bad number '" + digits + "'"));
            }
        }
        if (!IsIdentStart(c)) return Fail(Bad(std::string("unexpected '") + c + "'"));
        std::size_t b = p_;
        while (p_ < s_.size() && IsIdentChar(s_[p_])) ++p_;
        std::string ident(s_.substr(b, p_ - b));
        if (ident == "true") return Json(true);
        if (ident == "false") return Json(false);
        if (ident == "null") return Json(nullptr);
        if (Eat("(")) {
            std::vector<Json> args;
            if (!Eat(")")) {
                for (;;) {
                    auto a = Ternary(live);
                    if (!a) return a;
                    args.push_back(std::move(*a));
                    if (Eat(")")) break;
                    if (!Eat(",")) return Fail(Bad("expected ',' or ')' in the arguments of " + ident));
                }
            }
            name = ident + "(...)";
            if (!live) return Json();
            return Call(ident, args);
        }
        name = ident;
        if (!live) return Json();
        const Json* vars = scope_.variables;
        if (!vars || !vars->is_object()) return Fail(Bad("unknown variable '" + ident + "'"));
        auto it = vars->find(ident);
        if (it == vars->end()) return Fail(Bad("unknown variable '" + ident + "'"));
        *variable = &*it;
        return Json();
    }

    static Result<Json> Call(const std::string& fn, const std::vector<Json>& a) {
        auto arity = [&](std::size_t lo, std::size_t hi) -> core::Status<> {
            if (a.size() < lo || a.size() > hi)
                return Fail(Bad(fn + "() takes " + (lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi)) +
                                " arguments, got " + std::to_string(a.size())));
            return core::Ok();
        };
#define SIM_ARITY(lo, hi) \
    if (auto s = arity(lo, hi); !s) return Fail(s.error())
        if (fn == "len") {
            SIM_ARITY(1, 1);
            if (a[0].is_string()) return Json(static_cast<std::int64_t>(Utf8Length(a[0].get<std::string>())));
            if (a[0].is_array() || a[0].is_object()) return Json(static_cast<std::int64_t>(a[0].size()));
            return Fail(Bad("len() needs a string, array or object, got " + a[0].dump()));
        }
        if (fn == "str") {
            SIM_ARITY(1, 1);
            return Json(ToText(a[0]));
        }
        if (fn == "int") {
            SIM_ARITY(1, 1);
            if (a[0].is_number()) return Json(static_cast<std::int64_t>(a[0].get<double>()));
            if (a[0].is_string()) {
                try {
                    std::size_t used = 0;
                    auto text = a[0].get<std::string>();
                    auto v = std::stoll(text, &used);
                    if (used == text.size()) return Json(static_cast<std::int64_t>(v));
                } catch (const std::exception&) {
                }
            }
            return Fail(Bad("int() cannot convert " + a[0].dump()));
        }
        if (fn == "range") {
            SIM_ARITY(1, 2);
            for (const auto& x : a)
                if (!x.is_number_integer()) return Fail(Bad("range() needs integers"));
            std::int64_t lo = a.size() == 2 ? a[0].get<std::int64_t>() : 0;
            std::int64_t hi = a.back().get<std::int64_t>();
            // The difference taken unsigned: hi - lo itself overflows for far-apart bounds.
            if (hi > lo && static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) > 1'000'000)
                return Fail(Bad("range() is limited to 1,000,000 elements"));
            Json out = Json::array();
            for (std::int64_t i = lo; i < hi; ++i) out.push_back(i);
            return out;
        }
        if (fn == "date" || fn == "time") {
            std::size_t base = fn == "time" ? 1 : 0;
            SIM_ARITY(1 + base, 2 + base);
            auto t = ToTime(a[0], fn + "()");
            if (!t) return Fail(t.error());
            std::string format = base ? (a[1].is_string() ? a[1].get<std::string>() : "") : "%Y-%m-%d";
            std::string zone = a.size() > 1 + base ? ToText(a[1 + base]) : "UTC";
            auto text = FormatLocalTime(*t, format, zone);
            if (!text) return Fail(text.error());
            return Json(*text);
        }
        if (fn == "add_time") {
            SIM_ARITY(2, 2);
            auto t = ToTime(a[0], "add_time()");
            if (!t) return Fail(t.error());
            std::string d = ToText(a[1]);
            bool negative = !d.empty() && d[0] == '-';
            auto dur = core::ParseDuration(negative ? d.substr(1) : d);
            if (!dur) return Fail(Bad("add_time(): " + dur.error().message));
            if (negative ? *t < core::TimePoint::min() + *dur : *t > core::TimePoint::max() - *dur)
                return Fail(Bad("add_time(): the result is beyond the times cardsim represents"));
            return Json(core::FormatIso8601(negative ? *t - *dur : *t + *dur));
        }
        if (fn == "pad") {
            SIM_ARITY(2, 2);
            if (!a[1].is_number_integer()) return Fail(Bad("pad() needs a width"));
            std::string text = ToText(a[0]);
            auto width = a[1].get<std::int64_t>();
            if (width > 1000) return Fail(Bad("pad() is limited to a width of 1,000"));
            if (static_cast<std::int64_t>(text.size()) < width)
                text.insert(0, static_cast<std::size_t>(width) - text.size(), '0');
            return Json(text);
        }
        if (fn == "lower" || fn == "upper") {
            SIM_ARITY(1, 1);
            std::string text = ToText(a[0]);
            for (char& c : text)
                c = static_cast<char>(fn == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                                    : std::toupper(static_cast<unsigned char>(c)));
            return Json(text);
        }
        if (fn == "contains") {
            SIM_ARITY(2, 2);
            if (a[0].is_string()) return Json(a[0].get<std::string>().find(ToText(a[1])) != std::string::npos);
            if (a[0].is_array()) {
                for (const auto& x : a[0])
                    if (Equal(x, a[1])) return Json(true);
                return Json(false);
            }
            if (a[0].is_object()) return Json(a[0].contains(ToText(a[1])));
            return Fail(Bad("contains() needs a string, array or object"));
        }
        if (fn == "keys") {
            SIM_ARITY(1, 1);
            if (!a[0].is_object()) return Fail(Bad("keys() needs an object"));
            Json out = Json::array();
            for (const auto& [k, v] : a[0].items()) out.push_back(k);
            return out;
        }
        if (fn == "append") {  // a new array: the elements of a[0], then a[1]
            SIM_ARITY(2, 2);
            if (!a[0].is_array()) return Fail(Bad("append() needs an array first, got " + a[0].dump()));
            Json out = a[0];
            out.push_back(a[1]);
            return out;
        }
        if (fn == "put") {  // a new object: a[0] with key a[1] set to a[2]
            SIM_ARITY(3, 3);
            if (!a[0].is_object()) return Fail(Bad("put() needs an object first, got " + a[0].dump()));
            Json out = a[0];
            out[ToText(a[1])] = a[2];
            return out;
        }
        if (fn == "min" || fn == "max") {
            SIM_ARITY(2, 2);
            if (!a[0].is_number() || !a[1].is_number()) return Fail(Bad(fn + "() needs numbers"));
            bool first = (a[0].get<double>() < a[1].get<double>()) == (fn == "min");
            return first ? a[0] : a[1];
        }
#undef SIM_ARITY
        return Fail(Bad("unknown function '" + fn +
                        "' (known: len, str, int, range, date, time, add_time, pad, lower, upper, contains, keys, "
                        "append, put, min, max)"));
    }

    std::string_view s_;
    const Scope& scope_;
    std::size_t p_ = 0;
};

}  // namespace

Result<Json> Evaluate(std::string_view expression, const Scope& scope) {
    auto v = Parser(expression, scope).Run();
    if (!v) return Fail(Bad("${" + std::string(expression) + "}: " + v.error().message));
    return v;
}

Result<Json> RenderString(std::string_view text, const Scope& scope) {
    if (text.find('$') == std::string_view::npos) return Json(std::string(text));
    // Exactly one ${...} spanning the whole string keeps the value's type.
    if (text.size() > 3 && text.substr(0, 2) == "${" && text.back() == '}' &&
        text.find("${", 2) == std::string_view::npos && text.find('}') == text.size() - 1)
        return Evaluate(text.substr(2, text.size() - 3), scope);
    std::string out;
    std::size_t p = 0;
    while (p < text.size()) {
        if (text.substr(p, 3) == "$${") {
            out += "${";
            p += 3;
            continue;
        }
        if (text.substr(p, 2) != "${") {
            out += text[p++];
            continue;
        }
        // Find the closing brace, skipping quoted strings inside the expression.
        std::size_t q = p + 2;
        char quote = 0;
        for (; q < text.size(); ++q) {
            if (quote) {
                if (text[q] == quote) quote = 0;
            } else if (text[q] == '\'' || text[q] == '"') {
                quote = text[q];
            } else if (text[q] == '}') {
                break;
            }
        }
        if (q >= text.size()) return Fail(Bad("unterminated ${ in \"" + std::string(text) + "\""));
        auto v = Evaluate(text.substr(p + 2, q - p - 2), scope);
        if (!v) return v;
        out += ToText(*v);
        p = q + 1;
    }
    return Json(out);
}

Result<Json> Render(const Json& value, const Scope& scope) {
    if (value.is_string()) return RenderString(value.get_ref<const std::string&>(), scope);
    if (value.is_array()) {
        Json out = Json::array();
        for (const auto& item : value) {
            auto r = Render(item, scope);
            if (!r) return r;
            out.push_back(std::move(*r));
        }
        return out;
    }
    if (value.is_object()) {
        Json out = Json::object();
        for (const auto& [key, item] : value.items()) {
            auto k = RenderString(key, scope);
            if (!k) return k;
            auto r = Render(item, scope);
            if (!r) return r;
            out[ToText(*k)] = std::move(*r);
        }
        return out;
    }
    return value;
}

bool Truthy(const Json& v) {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number()) return v.get<double>() != 0;
    if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
    return false;
}

std::string ToText(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

}  // namespace sim::scenario
