#include "sim/core/json_path.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>

namespace sim::core {

using Json = OrderedJson;

namespace {

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct Operand {
    enum class Kind { kLiteral, kCurrent, kRoot };
    Kind kind = Kind::kLiteral;
    Json literal;
    std::optional<JsonPath> path;  // for kCurrent the path is written as if rooted at `$`
};

struct FilterExpr {
    enum class Kind { kOr, kAnd, kNot, kExists, kCompare };
    Kind kind = Kind::kExists;
    std::vector<FilterExpr> children;
    Operand lhs;
    Operand rhs;
    CompareOp op = CompareOp::kEq;
};

}  // namespace

struct PathSegment {
    enum class Kind { kFields, kIndices, kWildcard, kSlice, kFilter };
    Kind kind = Kind::kFields;
    bool descent = false;  // `..`: apply to the node and every descendant
    std::vector<std::string> names;
    std::vector<std::int64_t> indices;
    std::optional<std::int64_t> start;
    std::optional<std::int64_t> end;
    std::int64_t step = 1;
    std::shared_ptr<FilterExpr> filter;
};

namespace {

bool IsNameStop(char c) { return c == '.' || c == '['; }

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Result<std::vector<PathSegment>> ParseSegments(std::size_t start) {
        pos_ = start;
        std::vector<PathSegment> out;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '.') {
                ++pos_;
                bool descent = false;
                if (Peek('.')) {
                    descent = true;
                    ++pos_;
                }
                if (Peek('[')) {
                    if (!descent) return Fail(Error::InvalidArgument("'.' followed by '['"));
                    auto seg = ParseBracket();
                    if (!seg) return Fail(seg.error());
                    seg->descent = true;
                    out.push_back(std::move(*seg));
                    continue;
                }
                if (Peek('*')) {
                    ++pos_;
                    PathSegment seg;
                    seg.kind = PathSegment::Kind::kWildcard;
                    seg.descent = descent;
                    out.push_back(std::move(seg));
                    continue;
                }
                std::size_t begin = pos_;
                while (pos_ < text_.size() && !IsNameStop(text_[pos_])) ++pos_;
                if (pos_ == begin) return Fail(Error::InvalidArgument("empty field name"));
                std::string name(text_.substr(begin, pos_ - begin));
                for (char n : name) {
                    if (std::isspace(static_cast<unsigned char>(n)) || n == '\'' || n == '"' || n == ']' ||
                        n == '(' || n == ')') {
                        return Fail(Error::InvalidArgument("invalid character in field name '" + name + "'"));
                    }
                }
                PathSegment seg;
                seg.kind = PathSegment::Kind::kFields;
                seg.descent = descent;
                seg.names.push_back(std::move(name));
                out.push_back(std::move(seg));
            } else if (c == '[') {
                auto seg = ParseBracket();
                if (!seg) return Fail(seg.error());
                out.push_back(std::move(*seg));
            } else {
                return Fail(Error::InvalidArgument(std::string("unexpected character '") + c + "'"));
            }
        }
        return out;
    }

private:
    bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
    void SkipSpaces() {
        while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    }

    Result<std::string> ParseQuoted() {
        char quote = text_[pos_++];
        std::string out;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
            out.push_back(text_[pos_++]);
        }
        if (pos_ >= text_.size()) return Fail(Error::InvalidArgument("unterminated string"));
        ++pos_;
        return out;
    }

    Result<std::int64_t> ParseInt() {
        SkipSpaces();
        std::size_t begin = pos_;
        if (Peek('-')) ++pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        if (pos_ == begin || (pos_ == begin + 1 && text_[begin] == '-')) {
            return Fail(Error::InvalidArgument("expected an integer"));
        }
        // from_chars, not stoll: an index beyond int64 is a parse error, not an exception (found by fuzzing).
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(text_.data() + begin, text_.data() + pos_, v);
        if (ec != std::errc() || end != text_.data() + pos_) {
            return Fail(Error::InvalidArgument("integer out of range: " + std::string(text_.substr(begin, pos_ - begin))));
        }
        SkipSpaces();
        return v;
    }

    Result<PathSegment> ParseBracket() {
        ++pos_;  // '['
        SkipSpaces();
        PathSegment seg;
        if (Peek('*')) {
            ++pos_;
            SkipSpaces();
            seg.kind = PathSegment::Kind::kWildcard;
        } else if (Peek('?')) {
            ++pos_;
            SkipSpaces();
            if (!Peek('(')) return Fail(Error::InvalidArgument("expected '(' after '?'"));
            // Find the matching ')' honoring quotes, then parse the expression inside.
            std::size_t depth = 0;
            std::size_t i = pos_;
            char quote = 0;
            for (; i < text_.size(); ++i) {
                char c = text_[i];
                if (quote) {
                    if (c == '\\') ++i;
                    else if (c == quote) quote = 0;
                } else if (c == '\'' || c == '"') {
                    quote = c;
                } else if (c == '(') {
                    ++depth;
                } else if (c == ')') {
                    if (--depth == 0) break;
                }
            }
            if (i >= text_.size()) return Fail(Error::InvalidArgument("unterminated filter"));
            auto expr = ParseFilter(text_.substr(pos_ + 1, i - pos_ - 1));
            if (!expr) return Fail(expr.error());
            seg.kind = PathSegment::Kind::kFilter;
            seg.filter = std::make_shared<FilterExpr>(std::move(*expr));
            pos_ = i + 1;
            SkipSpaces();
        } else if (Peek('\'') || Peek('"')) {
            seg.kind = PathSegment::Kind::kFields;
            while (true) {
                SkipSpaces();
                if (!(Peek('\'') || Peek('"'))) return Fail(Error::InvalidArgument("expected a quoted name"));
                auto name = ParseQuoted();
                if (!name) return Fail(name.error());
                seg.names.push_back(std::move(*name));
                SkipSpaces();
                if (Peek(',')) {
                    ++pos_;
                    continue;
                }
                break;
            }
        } else {
            // indices, union of indices, or slice
            std::optional<std::int64_t> first;
            if (!Peek(':')) {
                auto v = ParseInt();
                if (!v) return Fail(v.error());
                first = *v;
            }
            if (Peek(':')) {
                seg.kind = PathSegment::Kind::kSlice;
                seg.start = first;
                ++pos_;
                SkipSpaces();
                if (!Peek(':') && !Peek(']')) {
                    auto v = ParseInt();
                    if (!v) return Fail(v.error());
                    seg.end = *v;
                }
                if (Peek(':')) {
                    ++pos_;
                    SkipSpaces();
                    if (!Peek(']')) {
                        auto v = ParseInt();
                        if (!v) return Fail(v.error());
                        if (*v <= 0) return Fail(Error::InvalidArgument("slice step must be positive"));
                        seg.step = *v;
                    }
                }
            } else {
                seg.kind = PathSegment::Kind::kIndices;
                seg.indices.push_back(*first);
                while (Peek(',')) {
                    ++pos_;
                    auto v = ParseInt();
                    if (!v) return Fail(v.error());
                    seg.indices.push_back(*v);
                }
            }
        }
        SkipSpaces();
        if (!Peek(']')) return Fail(Error::InvalidArgument("expected ']'"));
        ++pos_;
        return seg;
    }

    // --- filter expressions -------------------------------------------------------------------
    struct FilterLexer {
        std::string_view s;
        std::size_t p = 0;
        void Skip() {
            while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
        }
        bool Eat(std::string_view tok) {
            Skip();
            if (s.substr(p, tok.size()) == tok) {
                p += tok.size();
                return true;
            }
            return false;
        }
    };

    static Result<FilterExpr> ParseFilter(std::string_view s) {
        FilterLexer lx{s};
        auto e = ParseOr(lx);
        if (!e) return e;
        lx.Skip();
        if (lx.p != s.size()) return Fail(Error::InvalidArgument("unexpected text in filter"));
        return e;
    }
    static Result<FilterExpr> ParseOr(FilterLexer& lx) {
        auto first = ParseAnd(lx);
        if (!first) return first;
        FilterExpr out;
        out.kind = FilterExpr::Kind::kOr;
        out.children.push_back(std::move(*first));
        while (lx.Eat("||")) {
            auto next = ParseAnd(lx);
            if (!next) return next;
            out.children.push_back(std::move(*next));
        }
        if (out.children.size() == 1) return std::move(out.children[0]);
        return out;
    }
    static Result<FilterExpr> ParseAnd(FilterLexer& lx) {
        auto first = ParseUnary(lx);
        if (!first) return first;
        FilterExpr out;
        out.kind = FilterExpr::Kind::kAnd;
        out.children.push_back(std::move(*first));
        while (lx.Eat("&&")) {
            auto next = ParseUnary(lx);
            if (!next) return next;
            out.children.push_back(std::move(*next));
        }
        if (out.children.size() == 1) return std::move(out.children[0]);
        return out;
    }
    static Result<FilterExpr> ParseUnary(FilterLexer& lx) {
        lx.Skip();
        if (lx.p < lx.s.size() && lx.s[lx.p] == '!' && lx.s.substr(lx.p, 2) != "!=") {
            ++lx.p;
            auto inner = ParseUnary(lx);
            if (!inner) return inner;
            FilterExpr out;
            out.kind = FilterExpr::Kind::kNot;
            out.children.push_back(std::move(*inner));
            return out;
        }
        if (lx.Eat("(")) {
            auto inner = ParseOr(lx);
            if (!inner) return inner;
            if (!lx.Eat(")")) return Fail(Error::InvalidArgument("expected ')' in filter"));
            return inner;
        }
        auto lhs = ParseOperand(lx);
        if (!lhs) return Fail(lhs.error());
        static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
            {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<=", CompareOp::kLe},
            {">=", CompareOp::kGe}, {"<", CompareOp::kLt},  {">", CompareOp::kGt},
        };
        for (const auto& [tok, op] : kOps) {
            if (lx.Eat(tok)) {
                auto rhs = ParseOperand(lx);
                if (!rhs) return Fail(rhs.error());
                FilterExpr out;
                out.kind = FilterExpr::Kind::kCompare;
                out.op = op;
                out.lhs = std::move(*lhs);
                out.rhs = std::move(*rhs);
                return out;
            }
        }
        if (lhs->kind == Operand::Kind::kLiteral) return Fail(Error::InvalidArgument("a filter needs a comparison"));
        FilterExpr out;
        out.kind = FilterExpr::Kind::kExists;
        out.lhs = std::move(*lhs);
        return out;
    }
    static Result<Operand> ParseOperand(FilterLexer& lx) {
        lx.Skip();
        if (lx.p >= lx.s.size()) return Fail(Error::InvalidArgument("missing operand in filter"));
        char c = lx.s[lx.p];
        Operand out;
        if (c == '@' || c == '$') {
            std::size_t begin = lx.p;
            ++lx.p;
            int depth = 0;
            char quote = 0;
            while (lx.p < lx.s.size()) {
                char d = lx.s[lx.p];
                if (quote) {
                    if (d == quote) quote = 0;
                } else if (d == '\'' || d == '"') {
                    quote = d;
                } else if (d == '[') {
                    ++depth;
                } else if (d == ']') {
                    --depth;
                } else if (depth == 0 && (std::isspace(static_cast<unsigned char>(d)) || d == ')' || d == '=' ||
                                          d == '!' || d == '<' || d == '>' || d == '&' || d == '|')) {
                    break;
                }
                ++lx.p;
            }
            std::string text(lx.s.substr(begin, lx.p - begin));
            if (c == '@') text[0] = '$';
            auto path = JsonPath::Parse(text);
            if (!path) return Fail(path.error());
            out.kind = c == '@' ? Operand::Kind::kCurrent : Operand::Kind::kRoot;
            out.path = std::move(*path);
            return out;
        }
        if (c == '\'' || c == '"') {
            std::string str;
            ++lx.p;
            while (lx.p < lx.s.size() && lx.s[lx.p] != c) {
                if (lx.s[lx.p] == '\\' && lx.p + 1 < lx.s.size()) ++lx.p;
                str.push_back(lx.s[lx.p++]);
            }
            if (lx.p >= lx.s.size()) return Fail(Error::InvalidArgument("unterminated string in filter"));
            ++lx.p;
            out.literal = str;
            return out;
        }
        for (auto [word, value] : {std::pair<std::string_view, Json>{"true", Json(true)},
                                   std::pair<std::string_view, Json>{"false", Json(false)},
                                   std::pair<std::string_view, Json>{"null", Json(nullptr)}}) {
            if (lx.s.substr(lx.p, word.size()) == word) {
                lx.p += word.size();
                out.literal = value;
                return out;
            }
        }
        std::size_t begin = lx.p;
        while (lx.p < lx.s.size() && (std::isdigit(static_cast<unsigned char>(lx.s[lx.p])) || lx.s[lx.p] == '-' ||
                                      lx.s[lx.p] == '.' || lx.s[lx.p] == 'e' || lx.s[lx.p] == 'E' ||
                                      lx.s[lx.p] == '+')) {
            ++lx.p;
        }
        if (begin == lx.p) return Fail(Error::InvalidArgument("invalid operand in filter"));
        auto number = Json::parse(lx.s.substr(begin, lx.p - begin), nullptr, false);
        if (number.is_discarded() || !number.is_number()) {
            return Fail(Error::InvalidArgument("invalid number in filter"));
        }
        out.literal = std::move(number);
        return out;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

bool SegmentIsDefinite(const PathSegment& s) {
    if (s.descent) return false;
    switch (s.kind) {
        case PathSegment::Kind::kFields:
            return s.names.size() == 1;
        case PathSegment::Kind::kIndices:
            return s.indices.size() == 1;
        default:
            return false;
    }
}

// --- evaluation -----------------------------------------------------------------------------

std::optional<Json> OperandValue(const Operand& o, const Json& current, const Json& root) {
    switch (o.kind) {
        case Operand::Kind::kLiteral:
            return o.literal;
        case Operand::Kind::kCurrent:
            return o.path->Evaluate(current);
        case Operand::Kind::kRoot:
            return o.path->Evaluate(root);
    }
    return std::nullopt;
}

bool Compare(const std::optional<Json>& a, CompareOp op, const std::optional<Json>& b) {
    if (!a || !b) return op == CompareOp::kNe && (a.has_value() != b.has_value());
    if (op == CompareOp::kEq) return *a == *b;
    if (op == CompareOp::kNe) return *a != *b;
    bool numbers = a->is_number() && b->is_number();
    bool strings = a->is_string() && b->is_string();
    if (!numbers && !strings) return false;
    int cmp;
    if (numbers) {
        double x = a->get<double>(), y = b->get<double>();
        cmp = x < y ? -1 : (x > y ? 1 : 0);
    } else {
        cmp = a->get_ref<const std::string&>().compare(b->get_ref<const std::string&>());
        cmp = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
    }
    switch (op) {
        case CompareOp::kLt: return cmp < 0;
        case CompareOp::kLe: return cmp <= 0;
        case CompareOp::kGt: return cmp > 0;
        case CompareOp::kGe: return cmp >= 0;
        default: return false;
    }
}

bool Test(const FilterExpr& e, const Json& current, const Json& root) {
    switch (e.kind) {
        case FilterExpr::Kind::kOr:
            for (const auto& c : e.children) {
                if (Test(c, current, root)) return true;
            }
            return false;
        case FilterExpr::Kind::kAnd:
            for (const auto& c : e.children) {
                if (!Test(c, current, root)) return false;
            }
            return true;
        case FilterExpr::Kind::kNot:
            return !Test(e.children[0], current, root);
        case FilterExpr::Kind::kExists: {
            if (e.lhs.path->definite()) return OperandValue(e.lhs, current, root).has_value();
            const Json& base = e.lhs.kind == Operand::Kind::kCurrent ? current : root;
            return !e.lhs.path->Select(PathScope{&base, nullptr, nullptr}).empty();
        }
        case FilterExpr::Kind::kCompare:
            return Compare(OperandValue(e.lhs, current, root), e.op, OperandValue(e.rhs, current, root));
    }
    return false;
}

void ApplyOne(const PathSegment& s, const Json& node, const Json& root, std::vector<const Json*>& out) {
    switch (s.kind) {
        case PathSegment::Kind::kFields:
            if (node.is_object()) {
                for (const auto& name : s.names) {
                    auto it = node.find(name);
                    if (it != node.end()) out.push_back(&*it);
                }
            }
            break;
        case PathSegment::Kind::kIndices:
            if (node.is_array()) {
                auto size = static_cast<std::int64_t>(node.size());
                for (auto i : s.indices) {
                    auto idx = i < 0 ? size + i : i;
                    if (idx >= 0 && idx < size) out.push_back(&node[static_cast<std::size_t>(idx)]);
                }
            }
            break;
        case PathSegment::Kind::kWildcard:
            if (node.is_array() || node.is_object()) {
                for (const auto& child : node) out.push_back(&child);
            }
            break;
        case PathSegment::Kind::kSlice:
            if (node.is_array()) {
                auto size = static_cast<std::int64_t>(node.size());
                auto norm = [size](std::int64_t v) { return std::clamp(v < 0 ? size + v : v, std::int64_t{0}, size); };
                std::int64_t b = s.start ? norm(*s.start) : 0;
                std::int64_t e = s.end ? norm(*s.end) : size;
                for (auto i = b; i < e; i += s.step) out.push_back(&node[static_cast<std::size_t>(i)]);
            }
            break;
        case PathSegment::Kind::kFilter:
            if (node.is_array()) {
                for (const auto& child : node) {
                    if (Test(*s.filter, child, root)) out.push_back(&child);
                }
            } else if (node.is_object() && !s.descent) {
                if (Test(*s.filter, node, root)) out.push_back(&node);
            }
            break;
    }
}

void ApplyDescent(const PathSegment& s, const Json& node, const Json& root, std::vector<const Json*>& out) {
    ApplyOne(s, node, root, out);
    if (node.is_array() || node.is_object()) {
        for (const auto& child : node) ApplyDescent(s, child, root, out);
    }
}

}  // namespace

Result<JsonPath> JsonPath::Parse(std::string_view text) {
    if (text.empty() || text[0] != '$') return Fail(Error::InvalidArgument("a path must start with '$'"));
    JsonPath out;
    out.text_ = std::string(text);
    std::size_t start = 1;
    if (text.size() > 1 && text[1] == '$') {
        out.root_ = PathRoot::kContext;
        start = 2;
    } else if (text.size() > 1 && text[1] != '.' && text[1] != '[') {
        std::size_t end = 1;
        while (end < text.size() && !IsNameStop(text[end])) ++end;
        std::string name(text.substr(1, end - 1));
        for (char c : name) {
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
                return Fail(Error::InvalidArgument("invalid variable name '" + name + "'"));
            }
        }
        out.root_ = PathRoot::kVariable;
        out.variable_ = std::move(name);
        start = end;
    }
    Parser parser(text);
    auto segments = parser.ParseSegments(start);
    if (!segments) return Fail(segments.error());
    for (const auto& s : *segments) out.definite_ = out.definite_ && SegmentIsDefinite(s);
    out.segments_ = std::make_shared<const std::vector<PathSegment>>(std::move(*segments));
    return out;
}

Result<JsonPath> JsonPath::ParseReference(std::string_view text) {
    auto path = Parse(text);
    if (!path) return path;
    if (!path->definite()) {
        return Fail(Error::InvalidArgument("a reference path may not contain wildcards, filters or '..'"));
    }
    return path;
}

bool JsonPath::is_root() const { return root_ == PathRoot::kInput && segments_->empty(); }

std::vector<Json> JsonPath::Select(const PathScope& scope) const {
    static const Json kNull;
    const Json* base = nullptr;
    switch (root_) {
        case PathRoot::kInput:
            base = scope.input;
            break;
        case PathRoot::kContext:
            base = scope.context;
            break;
        case PathRoot::kVariable:
            if (scope.variables && scope.variables->is_object()) {
                auto it = scope.variables->find(variable_);
                if (it != scope.variables->end()) base = &*it;
            }
            if (!base) return {};
            break;
    }
    if (!base) base = &kNull;
    std::vector<const Json*> current{base};
    std::vector<const Json*> next;
    for (const auto& seg : *segments_) {
        next.clear();
        for (const Json* node : current) {
            if (seg.descent) {
                ApplyDescent(seg, *node, *base, next);
            } else {
                ApplyOne(seg, *node, *base, next);
            }
        }
        std::swap(current, next);
        if (current.empty()) break;
    }
    std::vector<Json> out;
    out.reserve(current.size());
    for (const Json* j : current) out.push_back(*j);
    return out;
}

std::optional<Json> JsonPath::Evaluate(const PathScope& scope) const {
    auto values = Select(scope);
    if (definite_) {
        if (values.empty()) return std::nullopt;
        return std::move(values.front());
    }
    Json arr = Json::array();
    for (auto& v : values) arr.push_back(std::move(v));
    return arr;
}

std::optional<Json> JsonPath::Evaluate(const Json& input) const { return Evaluate(PathScope{&input, nullptr, nullptr}); }

Status<> JsonPath::Assign(Json& target, Json value) const {
    if (root_ != PathRoot::kInput || !definite_) {
        return Fail(Error::InvalidArgument("not a reference path into the input"));
    }
    Json* node = &target;
    for (const auto& seg : *segments_) {
        if (seg.kind == PathSegment::Kind::kFields) {
            if (node->is_null()) *node = Json::object();
            if (!node->is_object()) return Fail(Error::InvalidArgument("'" + seg.names[0] + "' is not in an object"));
            node = &(*node)[seg.names[0]];
        } else {
            if (!node->is_array()) return Fail(Error::InvalidArgument("an index is applied to a non-array"));
            auto size = static_cast<std::int64_t>(node->size());
            auto idx = seg.indices[0] < 0 ? size + seg.indices[0] : seg.indices[0];
            if (idx < 0 || idx >= size) return Fail(Error::InvalidArgument("index out of range"));
            node = &(*node)[static_cast<std::size_t>(idx)];
        }
    }
    *node = std::move(value);
    return Ok();
}

}  // namespace sim::core
