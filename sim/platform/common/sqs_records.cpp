#include "sim/platform/common/sqs_records.hpp"

#include <memory>

#include <spdlog/spdlog.h>

namespace sim::platform {

namespace {
struct Batch {
    Json records;
    std::size_t next = 0;
    Json failures = Json::array();
    RecordHandler handle;
    FunctionDone done;
};

void Step(std::shared_ptr<Batch> b) {
    if (b->next >= b->records.size()) {
        auto done = std::move(b->done);
        return done(Json{{"batchItemFailures", b->failures}});
    }
    const Json& record = b->records[b->next++];
    std::string id = record.value("messageId", "");
    Json message = Json::parse(record.value("body", ""), nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
        spdlog::warn("[platform] message {} is not a JSON object; left for the dead-letter queue", id);
        b->failures.push_back({{"itemIdentifier", id}});
        return Step(std::move(b));
    }
    b->handle(message, [b, id](std::optional<std::string> error) {
        if (error) {
            spdlog::info("[platform] message {} failed: {}", id, *error);
            b->failures.push_back({{"itemIdentifier", id}});
        }
        Step(b);
    });
}
struct Sequence {
    std::size_t n = 0, i = 0;
    std::function<void(std::size_t, std::function<void()>)> step;
    std::function<void()> done;
};

void Advance(std::shared_ptr<Sequence> s) {
    if (s->i >= s->n) {
        auto done = std::move(s->done);
        return done();
    }
    std::size_t i = s->i++;
    s->step(i, [s] { Advance(s); });
}
}  // namespace

void Sequentially(std::size_t n, std::function<void(std::size_t, std::function<void()>)> step,
                  std::function<void()> done) {
    auto s = std::make_shared<Sequence>();
    s->n = n;
    s->step = std::move(step);
    s->done = std::move(done);
    Advance(std::move(s));
}

void ForEachRecord(const Json& event, RecordHandler handle, FunctionDone done) {
    auto b = std::make_shared<Batch>();
    b->records = event.is_object() && event.contains("Records") && event["Records"].is_array() ? event["Records"]
                                                                                                 : Json::array();
    b->handle = std::move(handle);
    b->done = std::move(done);
    Step(std::move(b));
}

}  // namespace sim::platform
