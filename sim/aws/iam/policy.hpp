#pragma once
// IAM identity policies: parsing of the policy JSON grammar and evaluation of one request against
// the policies attached to a principal, with AWS's logic for a single account and identity
// policies only: an explicit Deny wins, then any Allow, else the implicit (default) deny.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
//
// Supported: Effect, Action / NotAction and Resource / NotResource with `*` and `?` wildcards
// (actions case-insensitive, resources case-sensitive), Sid, and Condition with the operators
// StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
// StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike and Bool, each optionally with the
// `IfExists` suffix; values are ORed within a key, keys and operators ANDed.
// Limitations: no Principal (resource policies), no policy variables (${aws:username}), no
// numeric/date/IP operators, no ForAnyValue/ForAllValues set operators (unknown operators make the
// policy invalid rather than silently never matching).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/result.hpp"

namespace sim::aws::iam {

enum class Effect { kAllow, kDeny };

/// One `"Operator": {"key": [values]}` entry of a Condition block.
struct ConditionClause {
    std::string op;  ///< the operator without IfExists, e.g. "StringLike"
    bool if_exists = false;
    std::string key;  ///< condition key as written, e.g. "aws:RequestedRegion" (compared case-insensitively)
    std::vector<std::string> values;
};

struct Statement {
    std::string sid;  ///< empty when the statement has none
    Effect effect = Effect::kAllow;
    bool not_action = false;
    std::vector<std::string> actions;  ///< Action or NotAction patterns
    bool not_resource = false;
    std::vector<std::string> resources;  ///< Resource or NotResource patterns
    std::vector<ConditionClause> conditions;
};

struct Policy {
    std::string name;
    std::vector<Statement> statements;
};

/// Parses an IAM policy document (`{"Version": ..., "Statement": [...] | {...}}`).
/// Errors (InvalidArgument) name the statement and the field at fault.
core::Result<Policy> ParsePolicy(std::string name, const nlohmann::json& document);

/// What is asked: `action` ("sqs:SendMessage") on `resource` (an ARN or "*"), with the request's
/// condition keys ("aws:RequestedRegion" -> "us-east-1", "aws:SecureTransport" -> "false", ...).
struct RequestContext {
    std::string action;
    std::string resource;
    std::map<std::string, std::string> keys;  ///< keys are matched case-insensitively
};

enum class Decision { kAllow, kExplicitDeny, kImplicitDeny };

struct Evaluation {
    Decision decision = Decision::kImplicitDeny;
    std::string policy;     ///< name of the deciding policy (empty for an implicit deny)
    std::string statement;  ///< its Sid, or "#<index>" (0-based) when it has none
    std::string explanation;  ///< one sentence a developer can act on

    bool Allowed() const { return decision == Decision::kAllow; }
};

/// Evaluates `request` against every statement of every policy in `policies`.
Evaluation Evaluate(const std::vector<Policy>& policies, const RequestContext& request);

/// `*` matches any run of characters (also empty), `?` exactly one.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case = false);

}  // namespace sim::aws::iam
