// libFuzzer target: SQS's two wire protocols (sim/aws/sqs/api) over an in-memory engine. The first
// byte picks the protocol (even: JSON 1.0 with the X-Amz-Target picked by the second byte; odd:
// the query protocol, form body) and the rest is the request body. The engine (renewed every 256
// inputs) starts with a standard queue "q" and a FIFO queue "f.fifo" holding a few messages, so
// operations reach real queues (http://localhost/000000000000/q). Every request must be answered.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "sim/aws/sqs/api/sqs_api.hpp"
#include "sim/aws/sqs/engine/engine.hpp"
#include "sim/clock/virtual_clock.hpp"
#include "sim/core/log.hpp"
#include "sim/core/manual_loop.hpp"
#include "sim/core/time.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace {

using sim::core::Request;
using sim::core::Response;

constexpr const char* kTargets[] = {
    "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
    "ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "CreateQueue", "DeleteQueue", "GetQueueUrl",
    "GetQueueAttributes", "SetQueueAttributes", "ListQueues", "PurgeQueue", "TagQueue", "UntagQueue",
    "ListQueueTags", "ListDeadLetterSourceQueues", "StartMessageMoveTask", "CancelMessageMoveTask",
    "ListMessageMoveTasks", "AddPermission", "RemovePermission", "NoSuchOperation"};

struct World {
    sim::core::ManualLoop loop;
    sim::clock::VirtualClock clock{loop, sim::core::ParseIso8601("2027-01-01T00:00:00Z").value()};
    std::unique_ptr<sim::store::Database> db = sim::store::Database::Open(":memory:").value();
    sim::store::GroupCommit group{loop};
    std::unique_ptr<sim::aws::sqs::SqsEngine> engine;
    std::unique_ptr<sim::aws::sqs::SqsApi> api;

    World() {
        group.Attach(*db);
        engine = std::make_unique<sim::aws::sqs::SqsEngine>(clock, *db, group);
        api = std::make_unique<sim::aws::sqs::SqsApi>(*engine, 1, 256 * 1024);
        Json("CreateQueue", R"({"QueueName":"q"})");
        Json("CreateQueue", R"({"QueueName":"f.fifo","Attributes":{"FifoQueue":"true"}})");
        Json("SendMessage", R"({"QueueUrl":"http://localhost/000000000000/q","MessageBody":"m1"})");
        Json("SendMessage", R"({"QueueUrl":"http://localhost/000000000000/f.fifo","MessageBody":"m2",)"
                            R"("MessageGroupId":"g","MessageDeduplicationId":"d"})");
    }
    ~World() { group.Detach(*db); }

    /// Runs the loop until nothing is ready.
    void Settle() {
        while (loop.RunReady() > 0) {
        }
    }

    bool Json(const std::string& target, std::string body) {
        Request r;
        r.method = "POST";
        r.target = "/";
        r.headers.Set("Host", "localhost");
        r.headers.Set("X-Amz-Target", "AmazonSQS." + target);
        r.headers.Set("Content-Type", "application/x-amz-json-1.0");
        r.body = std::move(body);
        return Call(std::move(r), /*json=*/true);
    }

    bool Query(std::string body) {
        Request r;
        r.method = "POST";
        r.target = "/";
        r.headers.Set("Host", "localhost");
        r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
        r.body = std::move(body);
        return Call(std::move(r), /*json=*/false);
    }

    std::shared_ptr<std::optional<Response>> last = std::make_shared<std::optional<Response>>();

    bool Call(Request r, bool json) {
        auto answered = last = std::make_shared<std::optional<Response>>();
        auto respond = [answered](Response response) { *answered = std::move(response); };
        if (json) api->HandleJson(std::move(r), respond);
        else api->HandleQuery(std::move(r), respond);
        Settle();
        return answered->has_value();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static bool logging = (sim::core::InitLogging(sim::core::LogLevel::kOff), true);
    (void)logging;
    if (size < 2) return 0;
    // One world for a few hundred inputs (a fresh one each time costs more than the request), then a
    // new one, so what fuzzed requests created stays bounded.
    static std::unique_ptr<World> shared;
    static int uses = 0;
    if (!shared || ++uses % 256 == 0) {
        shared.reset();
        shared = std::make_unique<World>();
    }
    World& world = *shared;
    std::string body(reinterpret_cast<const char*>(data) + 2, size - 2);
    bool answered;
    if (data[0] % 2 == 0) {
        answered = world.Json(kTargets[data[1] % (sizeof kTargets / sizeof kTargets[0])], std::move(body));
    } else {
        answered = world.Query(std::move(body));
    }
    // A long poll (WaitTimeSeconds) waits on the virtual clock: let it run out, then it must answer.
    if (!answered) {
        world.clock.Advance(std::chrono::seconds(30));
        world.Settle();
        if (!world.last->has_value()) std::abort();  // a request that is never answered
    }
    return 0;
}
