#pragma once
// Input rules of SQS (names, ids, message contents and sizes), as the AWS API reference states them.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/aws/sqs/engine/types.hpp"

namespace sim::aws::sqs {

/// Queue name: 1-80 of [A-Za-z0-9_-], FIFO names end in ".fifo" (counted in the 80). Without
/// `name_rules` (relaxed limits) any 1-255 characters except '/', whitespace and control characters.
SqsStatus ValidateQueueName(const std::string& name, bool fifo, bool name_rules);
/// Batch entry ids and permission labels: 1-80 of [A-Za-z0-9_-].
bool IsValidBatchId(std::string_view id);
/// MessageGroupId / MessageDeduplicationId / ReceiveRequestAttemptId: 1-128 alphanumeric or punctuation.
bool IsValidDedupId(std::string_view id);
/// True when every character is in SQS's allowed set (#x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD
/// #x10000-#x10FFFF) and `text` is valid UTF-8.
bool HasOnlyAllowedCharacters(std::string_view text);
/// Body plus attribute names, types and values, as counted against MaximumMessageSize.
std::uint64_t MessageSize(const SendRequest& request);
/// Everything about a message that does not depend on the queue's state.
SqsStatus ValidateMessage(const SendRequest& request, bool fifo, std::uint64_t max_size, const Limits& limits);
/// Batch-level rules: not empty, not over the limit, ids well-formed and distinct.
SqsStatus ValidateBatchIds(const std::vector<std::string>& ids, std::string_view entry_name, const Limits& limits);
/// Tag keys/values and the 50-tags-per-queue limit (`existing` tags already on the queue).
SqsStatus ValidateTags(const std::map<std::string, std::string>& tags, std::size_t existing);

}  // namespace sim::aws::sqs
