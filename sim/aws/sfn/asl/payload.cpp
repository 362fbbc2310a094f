#include "sim/aws/sfn/asl/payload.hpp"

#include <optional>

namespace sim::aws::sfn::asl {

using core::Fail;
using core::Result;

struct TemplateMember;

struct TemplateNode {
    enum class Kind { kLiteral, kPath, kIntrinsic, kObject, kArray };
    Kind kind = Kind::kLiteral;
    Json literal;
    std::optional<JsonPath> path;
    std::optional<Intrinsic> intrinsic;
    std::string field;  // the "key.$" this value came from, for error messages
    // Not std::pair<std::string, TemplateNode>: a pair of an incomplete type is undefined (clang refuses it).
    std::vector<TemplateMember> members;
    std::vector<TemplateNode> items;
};

struct TemplateMember {
    std::string key;
    TemplateNode value;
};

namespace {

std::string EscapePointer(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out.push_back(c);
    }
    return out;
}

bool NeedsCompiling(const Json& j) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (it.key().size() >= 2 && it.key().ends_with(".$")) return true;
            if (NeedsCompiling(it.value())) return true;
        }
    } else if (j.is_array()) {
        for (const auto& item : j) {
            if (NeedsCompiling(item)) return true;
        }
    }
    return false;
}

TemplateNode CompileNode(const Json& j, const std::string& location, std::vector<ValidationError>& problems) {
    TemplateNode node;
    if (!NeedsCompiling(j)) {
        node.literal = j;
        return node;
    }
    if (j.is_array()) {
        node.kind = TemplateNode::Kind::kArray;
        std::size_t i = 0;
        for (const auto& item : j) node.items.push_back(CompileNode(item, location + "/" + std::to_string(i++), problems));
        return node;
    }
    node.kind = TemplateNode::Kind::kObject;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& key = it.key();
        std::string where = location + "/" + EscapePointer(key);
        if (key.size() >= 2 && key.ends_with(".$")) {
            std::string name = key.substr(0, key.size() - 2);
            TemplateNode value;
            value.field = key;
            if (!it.value().is_string()) {
                problems.push_back({"SCHEMA_VALIDATION_FAILED",
                                    "The value for the field '" + key + "' must be a STRING that contains a JSONPath "
                                    "or an intrinsic function",
                                    where});
            } else {
                const std::string& text = it.value().get_ref<const std::string&>();
                if (Intrinsic::LooksLikeCall(text)) {
                    auto call = Intrinsic::Parse(text);
                    if (!call) {
                        problems.push_back({"SCHEMA_VALIDATION_FAILED",
                                            "The value for the field '" + key +
                                                "' must be a valid intrinsic function call: " + call.error().message,
                                            where});
                    } else {
                        value.kind = TemplateNode::Kind::kIntrinsic;
                        value.intrinsic = std::move(*call);
                    }
                } else {
                    auto path = JsonPath::Parse(text);
                    if (!path) {
                        problems.push_back({"SCHEMA_VALIDATION_FAILED",
                                            "The value for the field '" + key + "' must be a valid JSONPath: " +
                                                path.error().message,
                                            where});
                    } else {
                        value.kind = TemplateNode::Kind::kPath;
                        value.path = std::move(*path);
                    }
                }
            }
            node.members.push_back(TemplateMember{std::move(name), std::move(value)});
        } else {
            node.members.push_back(TemplateMember{key, CompileNode(it.value(), where, problems)});
        }
    }
    return node;
}

Result<Json, RuntimeError> EvaluateNode(const TemplateNode& node, const EvalEnv& env, std::string_view path_error) {
    switch (node.kind) {
        case TemplateNode::Kind::kLiteral:
            return node.literal;
        case TemplateNode::Kind::kPath: {
            auto v = node.path->Evaluate(env.scope);
            if (!v) {
                static const Json kNull;
                const Json* source = env.scope.input ? env.scope.input : &kNull;
                if (node.path->root() == PathRoot::kContext && env.scope.context) source = env.scope.context;
                return Fail(RuntimeError{std::string(path_error), PathNotFoundCause(node.path->text(), node.field, *source)});
            }
            return std::move(*v);
        }
        case TemplateNode::Kind::kIntrinsic:
            return node.intrinsic->Evaluate(env);
        case TemplateNode::Kind::kObject: {
            Json out = Json::object();
            for (const auto& [key, member] : node.members) {
                auto v = EvaluateNode(member, env, path_error);
                if (!v) return v;
                out[key] = std::move(*v);
            }
            return out;
        }
        case TemplateNode::Kind::kArray: {
            Json out = Json::array();
            for (const auto& item : node.items) {
                auto v = EvaluateNode(item, env, path_error);
                if (!v) return v;
                out.push_back(std::move(*v));
            }
            return out;
        }
    }
    return Json();
}

}  // namespace

PayloadTemplate PayloadTemplate::Compile(const Json& source, const std::string& location,
                                         std::vector<ValidationError>& problems) {
    PayloadTemplate out;
    out.root_ = std::make_shared<const TemplateNode>(CompileNode(source, location, problems));
    return out;
}

Result<Json, RuntimeError> PayloadTemplate::Evaluate(const EvalEnv& env, std::string_view path_error) const {
    return EvaluateNode(*root_, env, path_error);
}

std::string PathNotFoundCause(const std::string& path, const std::string& field, const Json& input) {
    std::string out = "The JSONPath '" + path + "' specified for the field '" + field +
                      "' could not be found in the input '" + input.dump() + "'";
    return out;
}

}  // namespace sim::aws::sfn::asl
