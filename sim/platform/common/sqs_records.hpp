#pragma once
// The body of a function fed by an SQS event source mapping with ReportBatchItemFailures: the
// records are handled one after the other, and the answer lists the ones that failed
// ({"batchItemFailures":[{"itemIdentifier":messageId}]}) so only those return to the queue (and
// reach the dead-letter queue after maxReceiveCount). A body that is not JSON fails (it belongs in
// the dead-letter queue).

#include <functional>
#include <optional>
#include <string>

#include "sim/platform/common/types.hpp"

namespace sim::platform {

/// `handle(message, done)`: `done(nullopt)` on success, `done(reason)` on failure.
using RecordHandler = std::function<void(const Json& message, std::function<void(std::optional<std::string>)> done)>;

void ForEachRecord(const Json& event, RecordHandler handle, FunctionDone done);

/// Runs `step(i, next)` for i = 0 … n−1, each after the previous one called `next`, then `done`.
void Sequentially(std::size_t n, std::function<void(std::size_t i, std::function<void()> next)> step,
                  std::function<void()> done);

}  // namespace sim::platform
