#pragma once
// AWS error responses in each protocol's shape. The api layer of each service owns the table from
// its engine's errors to (status, code, message); these functions only render.

#include <string>
#include <string_view>

#include "sim/core/message.hpp"

namespace sim::aws::protocol {

/// JSON 1.0/1.1 protocols (SQS JSON, Step Functions, EventBridge):
/// `{"__type":"<prefix>#<code>","message":"..."}` with Content-Type application/x-amz-json-1.0.
/// `query_error`, when given ("AWS.SimpleQueueService.NonExistentQueue;Sender"), is sent as the
/// x-amzn-query-error header that query-compatible SDKs read.
core::Response JsonError(int status, std::string_view type, std::string_view message,
                         std::string_view request_id, std::string_view query_error = {},
                         std::string_view content_type = "application/x-amz-json-1.0");

/// Query protocol (SQS form-encoded): <ErrorResponse><Error><Type>Sender|Receiver</Type><Code/>
/// <Message/></Error><RequestId/></ErrorResponse>. Type is Receiver for 5xx.
core::Response QueryXmlError(int status, std::string_view code, std::string_view message,
                             std::string_view request_id, std::string_view xml_namespace = {});

/// REST-XML (S3): <Error><Code/><Message/><Resource/><RequestId/></Error>, with x-amz-request-id.
/// HEAD requests must not carry a body: pass `head = true` to drop it (S3 then only has the status).
core::Response RestXmlError(int status, std::string_view code, std::string_view message,
                            std::string_view resource, std::string_view request_id, bool head = false);

}  // namespace sim::aws::protocol
