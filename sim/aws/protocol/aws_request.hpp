#pragma once
// What every AWS protocol layer needs to know about an incoming request before decoding it:
// which service it is for (DESIGN: port 4566 routes by X-Amz-Target, SigV4 credential scope, else
// S3), the signer's region and access key, and the form parameters of query-protocol requests.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/message.hpp"

namespace sim::aws::protocol {

enum class AwsService { kS3, kSqs, kStepFunctions, kEvents, kScheduler, kLambda, kUnknown };
std::string_view ToString(AwsService service);

/// The credential scope of a SigV4-signed request: `AKID/20270101/us-east-1/sqs/aws4_request`,
/// from the Authorization header or the X-Amz-Credential query parameter (presigned URLs).
struct CredentialScope {
    std::string access_key;
    std::string date;  ///< yyyymmdd
    std::string region;
    std::string service;
};
std::optional<CredentialScope> ParseCredentialScope(const core::Request& request);

/// The region a request is for: its credential scope's, else `fallback`.
std::string RegionOf(const core::Request& request, std::string_view fallback = "us-east-1");

/// Decides the service:
///  1. X-Amz-Target prefix: AmazonSQS. / AWSStepFunctions. / AWSEvents. (JSON protocols);
///  2. the SigV4 credential scope's service: sqs, s3, states, events, scheduler, lambda;
///  3. an unsigned form-encoded POST whose Action is an SQS action (query protocol);
///  4. otherwise S3 (REST, like LocalStack's edge).
AwsService DetectService(const core::Request& request);

/// Parses an application/x-www-form-urlencoded body (or query string). Later duplicates win.
std::map<std::string, std::string> ParseForm(std::string_view text);
/// Parses a query string into (name, value) pairs in order, percent-decoded ('+' stays '+', as
/// SigV4 canonicalisation and S3 keys need); duplicates are kept.
std::vector<std::pair<std::string, std::string>> ParseQueryPairs(std::string_view raw);

}  // namespace sim::aws::protocol
