#pragma once
// Access control at the AWS edge (port 4566): who is calling (SigV4 / S3's SigV2 presigned URLs
// against configured credentials) and whether the principal's IAM policies allow the operation's
// action on its resource. The one place credentials are checked: the edge guard uses it for every
// service, and S3's api calls it (through S3ApiOptions::authenticate) when the edge does not.
//
// Modes
//   off (default, drop-in like LocalStack): no checks at the edge, any credentials accepted; S3 keeps
//     verifying the signatures it is given (unsigned requests are anonymous), as it always did.
//   enforce: every request from the network must be signed (Authorization header or presigned query)
//     by a known access key, within 15 minutes of the Clock; then the principal's policies decide.
//
// Limitations
//   The payload hash is taken from x-amz-content-sha256 as sent (UNSIGNED-PAYLOAD and STREAMING-*
//   accepted; S3 verifies the chunk signatures of signed streaming uploads through ChunkSigning).
//   In-process calls (Step Functions integrations, the fakes: Request::remote empty) are trusted.
//   Identity policies only (no resource policies, sessions, STS, MFA). Actions of REST services
//   (Lambda, Scheduler) are derived for the operations cardsim implements; anything unrecognised
//   is authorized as "<service>:<Method>" on "*".

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/aws/iam/policy.hpp"
#include "sim/aws/protocol/aws_request.hpp"
#include "sim/aws/protocol/sigv4.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/message.hpp"
#include "sim/core/result.hpp"

namespace sim::app {

enum class AuthMode { kOff, kEnforce };

struct AwsCredential {
    std::string secret;
    std::string principal;  ///< the role whose policies apply, e.g. "app-team"
};

struct AwsAuthOptions {
    AuthMode mode = AuthMode::kOff;
    /// Access key -> secret and principal.
    std::map<std::string, AwsCredential> credentials = DefaultCredentials();
    /// Principal -> its identity policies.
    std::map<std::string, std::vector<aws::iam::Policy>> policies = DefaultPolicies();
    std::string account_id = "000000000000";
    /// Largest distance between a header-signed request's X-Amz-Date and the Clock (AWS: 15 minutes).
    std::chrono::seconds max_skew{15 * 60};

    /// test/test = infra-team (LocalStack's habit), app-team/app-team-secret = app-team.
    static std::map<std::string, AwsCredential> DefaultCredentials();
    /// infra-team: everything. app-team: read everything; run its pipelines (send/receive/delete
    /// messages, start executions and update state machine definitions, read and write objects);
    /// never create or delete buckets, queues or rules, never change policies.
    static std::map<std::string, std::vector<aws::iam::Policy>> DefaultPolicies();
};

/// Parses "KEY" -> "PRINCIPAL:SECRET" entries (the --aws-credential flag / config key).
core::Result<std::map<std::string, AwsCredential>> ParseCredentials(const std::map<std::string, std::string>& entries);
/// Parses an --iam-policies document: {"<principal>": {"<policy name>": <IAM policy>, ...}, ...}.
core::Result<std::map<std::string, std::vector<aws::iam::Policy>>> ParsePolicies(const nlohmann::json& document);

/// What a request asks for, in IAM terms.
struct AwsOperation {
    aws::protocol::AwsService service = aws::protocol::AwsService::kUnknown;
    std::string action;    ///< "sqs:SendMessage"
    std::string resource;  ///< an ARN, or "*"
};

/// Derives the IAM action and resource ARN of `request` for `service` (region from the signature).
AwsOperation DescribeOperation(const core::Request& request, aws::protocol::AwsService service,
                               std::string_view account_id);

/// An authentication failure in AWS's terms (the caller renders it in its service's shape).
struct AuthFailure {
    int status = 403;
    std::string code;
    std::string message;
};

class AwsAuth {
public:
    AwsAuth(clock::Clock& clock, AwsAuthOptions options);

    /// The edge guard (core::Router::UseGuard): in enforce mode, authenticates and authorizes every
    /// request from the network (not /_sim/ or in-process ones) and answers failures in the
    /// service's error shape; nullopt lets the request through. Off mode: always nullopt.
    std::optional<core::Response> Check(core::Request& request) const;

    /// Verifies the signature of `request` (SigV4 header or query; for S3 also SigV2 presigned
    /// URLs, which need the virtual-hosted bucket, "" for path style). Unsigned requests fail
    /// only with `require_signature`. On success returns the access key ("" when unsigned).
    core::Result<std::string, AuthFailure> Authenticate(const core::Request& request, aws::protocol::AwsService service,
                                                        std::string_view virtual_bucket, bool require_signature) const;

    /// S3's check when the edge does not enforce: signatures verified when present (off mode).
    std::optional<AuthFailure> S3Authenticate(const core::Request& request, std::string_view virtual_bucket) const;

    /// The chunk-signing context of a header-signed streaming upload from a known access key (S3
    /// verifies the chunk signatures against it); nullopt otherwise.
    std::optional<aws::protocol::ChunkSigningContext> ChunkSigning(const core::Request& request) const;

    const AwsAuthOptions& options() const { return options_; }

private:
    std::optional<std::string> SecretOf(std::string_view access_key) const;

    clock::Clock& clock_;
    AwsAuthOptions options_;
    mutable std::uint64_t denials_ = 0;  ///< numbers the request ids of refusals
};

}  // namespace sim::app
