#pragma once
// Domain types of the SQS engine: requests, results and errors in SQS's own vocabulary (queue and
// attribute names as the SQS developer guide defines them), no wire format.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/result.hpp"

namespace sim::aws::sqs {

/// Every failure the engine reports. The api layer owns the table to wire codes and HTTP statuses.
enum class ErrorCode {
    kInvalidParameterValue,
    kMissingParameter,
    kQueueDoesNotExist,
    kQueueNameExists,
    kReceiptHandleIsInvalid,
    kBatchEntryIdsNotDistinct,
    kTooManyEntriesInBatchRequest,
    kEmptyBatchRequest,
    kInvalidBatchEntryId,
    kBatchRequestTooLong,
    kInvalidMessageContents,
    kPurgeQueueInProgress,
    kInvalidAttributeName,
    kInvalidAttributeValue,
    kMessageNotInflight,
    kOverLimit,
    kUnsupportedOperation,
    kResourceNotFound,
};

struct SqsError {
    ErrorCode code = ErrorCode::kInvalidParameterValue;
    std::string message;
};

template <typename T>
using SqsResult = core::Result<T, SqsError>;
using SqsStatus = core::Result<core::Unit, SqsError>;

inline SqsStatus SqsOk() { return core::Unit{}; }

inline core::Failure<SqsError> SqsFail(ErrorCode code, std::string message) {
    return core::Fail(SqsError{code, std::move(message)});
}

/// Limits enforced by the engine. Strict is AWS's; relaxed lifts size/count limits for experiments.
struct Limits {
    bool strict = true;
    std::uint64_t max_message_size_cap = 1024 * 1024;  ///< highest accepted MaximumMessageSize
    std::size_t max_batch_entries = 10;
    std::size_t max_message_attributes = 10;
    bool name_rules = true;  ///< queue-name character/length rules

    static Limits Strict() { return {}; }
    static Limits Relaxed() { return {false, 64ull * 1024 * 1024, 1000, 100, false}; }
};

/// A message attribute value. `data_type` is "String", "Number" or "Binary", optionally with a
/// ".custom" suffix; `binary` holds raw bytes for Binary types, `text` the value otherwise.
struct AttributeValue {
    std::string data_type;
    std::string text;
    std::string binary;
    bool is_binary = false;
    bool operator==(const AttributeValue&) const = default;
};
/// Attributes by name, sorted (the MD5 of message attributes depends on that order).
using AttributeMap = std::map<std::string, AttributeValue>;

struct SendRequest {
    std::string body;
    std::optional<int> delay_seconds;
    AttributeMap message_attributes;
    AttributeMap system_attributes;  ///< only AWSTraceHeader is accepted
    std::optional<std::string> group_id;
    std::optional<std::string> deduplication_id;
    std::string sender_id;  ///< who sent it (the signer's access key); empty: the default sender
};

struct SendResult {
    std::string message_id;
    std::string md5_of_body;
    std::string md5_of_message_attributes;         ///< empty when there are none
    std::string md5_of_message_system_attributes;  ///< empty when there are none
    std::string sequence_number;                   ///< FIFO queues only
};

struct ReceiveRequest {
    int max_messages = 1;
    std::optional<int> visibility_timeout;
    std::optional<int> wait_seconds;
    /// System attributes to return: "All" or names such as "SentTimestamp".
    std::vector<std::string> system_attribute_names;
    /// Message attributes to return: "All", ".*", "prefix.*" or exact names.
    std::vector<std::string> message_attribute_names;
    std::optional<std::string> receive_request_attempt_id;
};

struct ReceivedMessage {
    std::string message_id;
    std::string receipt_handle;
    std::string md5_of_body;
    std::string body;
    std::map<std::string, std::string> attributes;  ///< system attributes asked for
    AttributeMap message_attributes;
    std::string md5_of_message_attributes;  ///< empty when no message attribute is returned
};
using ReceiveCallback = std::function<void(SqsResult<std::vector<ReceivedMessage>>)>;

/// Per-entry outcome of a batch call.
struct BatchEntryError {
    std::string id;
    ErrorCode code = ErrorCode::kInvalidParameterValue;
    std::string message;
    bool sender_fault = true;
};
template <typename T>
struct BatchResult {
    std::vector<std::pair<std::string, T>> successful;
    std::vector<BatchEntryError> failed;
};

struct VisibilityChange {
    std::string id;
    std::string receipt_handle;
    int visibility_timeout = 0;
};

struct QueuePage {
    std::vector<std::string> names;
    std::optional<std::string> next_token;
};

struct MoveTaskInfo {
    std::string task_handle;  ///< only while running
    std::string status;       ///< RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
    std::string source_arn;
    std::string destination_arn;  ///< empty: each message back to its source queue
    std::optional<int> max_per_second;
    std::int64_t moved = 0;
    std::int64_t to_move = 0;
    std::string failure_reason;
    std::int64_t started_ms = 0;
};

/// A message as the inspection endpoint shows it (visibility untouched).
struct InspectedMessage {
    std::string message_id;
    std::string body;
    std::map<std::string, std::string> attributes;
    AttributeMap message_attributes;
    std::string md5_of_body;
    std::string state;  ///< "available", "delayed" or "inflight"
};

}  // namespace sim::aws::sqs
