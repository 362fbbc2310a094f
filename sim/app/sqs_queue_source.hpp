#pragma once
// The QueueSource Lambda's event source mappings use (owned by sim/aws/lambda), over the SQS
// engine: receives without waiting, deletes, and turns the engine's "messages available"
// notification into per-mapping wake-ups. Composition-root glue: only sim/app (and tests) know both.

#include <map>
#include <string>

#include "sim/aws/lambda/engine/event_source_mappings.hpp"
#include "sim/aws/sqs/engine/engine.hpp"

namespace sim::app {

class SqsQueueSource final : public aws::lambda::QueueSource {
public:
    explicit SqsQueueSource(aws::sqs::SqsEngine& engine) : engine_(engine) {
        engine_.SetAvailabilityListener([this](const std::string& queue) {
            auto it = watchers_.find(queue);
            if (it == watchers_.end()) return;
            auto copy = it->second;  // a notification may unwatch
            for (auto& [key, notify] : copy) notify();
        });
    }
    ~SqsQueueSource() override { engine_.SetAvailabilityListener(nullptr); }

    bool Exists(const std::string& arn) override {
        auto name = engine_.NameFromArn(arn);
        return name && engine_.QueueExists(*name);
    }

    void Receive(const std::string& arn, int max, std::function<void(std::vector<Message>)> done) override {
        auto name = engine_.NameFromArn(arn);
        if (!name) return done({});
        aws::sqs::ReceiveRequest r;
        r.max_messages = max;
        r.wait_seconds = 0;
        r.system_attribute_names = {"All"};
        r.message_attribute_names = {"All"};
        engine_.ReceiveMessage(*name, r, [done = std::move(done)](aws::sqs::SqsResult<std::vector<aws::sqs::ReceivedMessage>> got) {
            std::vector<Message> out;
            if (got)
                for (auto& m : got.value()) {
                    Message x;
                    x.message_id = m.message_id;
                    x.receipt_handle = m.receipt_handle;
                    x.body = m.body;
                    x.md5_of_body = m.md5_of_body;
                    x.attributes = m.attributes;
                    for (const auto& [k, v] : m.message_attributes) {
                        aws::lambda::Json a = {{"dataType", v.data_type}, {"stringListValues", aws::lambda::Json::array()},
                                               {"binaryListValues", aws::lambda::Json::array()}};
                        if (v.is_binary) a["binaryValue"] = Base64(v.binary);
                        else a["stringValue"] = v.text;
                        x.message_attributes[k] = a;
                    }
                    out.push_back(std::move(x));
                }
            done(std::move(out));
        });
    }

    void Delete(const std::string& arn, const std::vector<std::string>& handles) override {
        auto name = engine_.NameFromArn(arn);
        if (!name) return;
        for (const auto& h : handles) (void)engine_.DeleteMessage(*name, h);
    }

    void Watch(const std::string& arn, const std::string& key, std::function<void()> notify) override {
        auto name = engine_.NameFromArn(arn);
        if (!name) return;
        watchers_[*name][key] = std::move(notify);
        (void)engine_.WatchQueue(*name, true);
    }

    void Unwatch(const std::string& arn, const std::string& key) override {
        auto name = engine_.NameFromArn(arn);
        if (!name) return;
        auto it = watchers_.find(*name);
        if (it == watchers_.end()) return;
        it->second.erase(key);
        if (it->second.empty()) {
            watchers_.erase(it);
            (void)engine_.WatchQueue(*name, false);
        }
    }

private:
    static std::string Base64(const std::string& in) {
        static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string out;
        std::size_t i = 0;
        for (; i + 2 < in.size(); i += 3) {
            unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                         static_cast<unsigned char>(in[i + 2]);
            out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
        }
        if (i + 1 == in.size()) {
            unsigned v = static_cast<unsigned char>(in[i]) << 16;
            out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
        } else if (i + 2 == in.size()) {
            unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
            out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
        }
        return out;
    }

    aws::sqs::SqsEngine& engine_;
    std::map<std::string, std::map<std::string, std::function<void()>>> watchers_;
};

}  // namespace sim::app
