#include "sim/app/platform_infra.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

namespace sim::app {

const std::map<std::string, std::string>& BuiltInPlatformData();  // generated: platform_data.cpp

namespace {

using Json = nlohmann::json;

const std::set<std::string> kTypes = {"bucket", "queue", "function", "state_machine", "rule", "event_source_mapping"};
const std::set<std::string> kOwners = {"app-team", "infra-team"};

std::vector<std::string> DefinitionFiles(const Json& doc) {
    std::vector<std::string> out;
    if (!doc.is_object() || !doc.contains("resources") || !doc["resources"].is_array()) return out;
    for (const auto& r : doc["resources"])
        if (r.is_object() && r.value("type", "") == "state_machine" && r.contains("definition_file") &&
            r["definition_file"].is_string())
            out.push_back(r["definition_file"].get<std::string>());
    return out;
}

std::string Label(const Json& r) { return r.value("type", "?") + " " + r.value("name", "?"); }

Json Resources(const InfraFiles& files) {
    Json doc = Json::parse(files.infra_json, nullptr, false);
    if (!doc.is_object() || !doc.contains("resources") || !doc["resources"].is_array()) return Json::array();
    return doc["resources"];
}

core::Status<> Failed(const Json& r, const platform::AwsError& e) {
    return core::Fail(core::Error::FailedPrecondition("provisioning " + Label(r) + ": " + e.code + ": " + e.message));
}

}  // namespace

const InfraFiles& BuiltInInfra() {
    static const InfraFiles kInfra = [] {
        InfraFiles f;
        f.source = "built-in platform/infra.json";
        const auto& data = BuiltInPlatformData();
        f.infra_json = data.at("infra.json");
        for (const auto& [path, content] : data)
            if (path != "infra.json") f.files[path] = content;
        return f;
    }();
    return kInfra;
}

core::Result<InfraFiles> LoadInfra(const std::string& path) {
    auto read = [](const std::filesystem::path& p) -> std::optional<std::string> {
        std::ifstream in(p, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    };
    InfraFiles f;
    f.source = path;
    auto text = read(path);
    if (!text) return core::Fail(core::Error::NotFound("cannot read " + path));
    f.infra_json = std::move(*text);
    auto dir = std::filesystem::path(path).parent_path();
    for (const auto& def : DefinitionFiles(Json::parse(f.infra_json, nullptr, false)))
        if (auto content = read(dir / def)) f.files[def] = std::move(*content);
    return f;
}

std::set<std::string> DeclaredFunctions(const InfraFiles& files) {
    std::set<std::string> out;
    for (const auto& r : Resources(files))
        if (r.is_object() && r.value("type", "") == "function" && r.contains("name") && r["name"].is_string())
            out.insert(r["name"].get<std::string>());
    return out;
}

std::vector<InfraProblem> CheckInfra(const InfraFiles& files) {
    std::vector<InfraProblem> problems;
    auto add = [&](std::string resource, std::string problem) { problems.push_back({std::move(resource), std::move(problem)}); };
    Json doc = Json::parse(files.infra_json, nullptr, false);
    if (doc.is_discarded()) {
        add(files.source, "is not valid JSON");
        return problems;
    }
    if (!doc.is_object() || !doc.contains("resources") || !doc["resources"].is_array()) {
        add(files.source, "must be an object with a \"resources\" array");
        return problems;
    }
    // First pass: names and owners per (type, name).
    std::map<std::string, std::set<std::string>> names;            // type -> names
    std::map<std::string, std::set<std::string>> owners;           // "type name" -> owners
    std::map<std::string, int> declared;                           // "type name" -> times
    for (const auto& r : doc["resources"]) {
        if (!r.is_object()) {
            add("?", "a resource must be a JSON object");
            continue;
        }
        std::string type = r.value("type", "");
        std::string label = Label(r);
        if (!kTypes.count(type)) {
            add(label, "unknown type \"" + type + "\" (bucket, queue, function, state_machine, rule, event_source_mapping)");
            continue;
        }
        if (!r.contains("name") || !r["name"].is_string() || r["name"].get<std::string>().empty()) {
            add(label, "has no name");
            continue;
        }
        names[type].insert(r["name"].get<std::string>());
        if (++declared[label] == 2) add(label, "is declared more than once");
        auto& o = owners[label];
        if (!r.contains("owner") || r["owner"].is_null()) {
            o.insert("");
        } else if (r["owner"].is_string()) {
            o.insert(r["owner"].get<std::string>());
        } else if (r["owner"].is_array()) {
            if (r["owner"].empty()) o.insert("");
            for (const auto& x : r["owner"]) o.insert(x.is_string() ? x.get<std::string>() : x.dump());
        } else {
            o.insert(r["owner"].dump());
        }
    }
    for (const auto& [label, set] : owners) {
        std::set<std::string> real = set;
        bool none = real.erase("") > 0;
        if (real.empty() && none) {
            add(label, "has no owner (app-team or infra-team)");
            continue;
        }
        if (real.size() > 1) {
            std::string list;
            for (const auto& x : real) list += (list.empty() ? "" : ", ") + x;
            add(label, "has two owners (" + list + "); a resource has exactly one owning team");
        }
        for (const auto& x : real)
            if (!kOwners.count(x)) add(label, "owner \"" + x + "\" is not a team (app-team or infra-team)");
    }
    // Second pass: references.
    auto known = [&](const std::string& type, const Json& v) {
        return v.is_string() && names[type].count(v.get<std::string>()) > 0;
    };
    auto refname = [](const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    for (const auto& r : doc["resources"]) {
        if (!r.is_object() || !kTypes.count(r.value("type", ""))) continue;
        std::string type = r.value("type", "");
        std::string label = Label(r);
        if (type == "queue" && r.contains("dead_letter")) {
            const Json& dl = r["dead_letter"];
            if (!dl.is_object() || !known("queue", dl.value("queue", Json())))
                add(label, "dead_letter.queue " + (dl.is_object() ? refname(dl.value("queue", Json())) : dl.dump()) +
                               " is not a declared queue");
            else if (dl.value("queue", "") == r.value("name", ""))
                add(label, "is its own dead-letter queue");
            if (dl.is_object() && (!dl.contains("max_receive_count") || !dl["max_receive_count"].is_number_integer() ||
                                   dl["max_receive_count"].get<int>() < 1 || dl["max_receive_count"].get<int>() > 1000))
                add(label, "dead_letter.max_receive_count must be an integer 1-1000");
        }
        if (type == "state_machine") {
            std::string def = r.value("definition_file", "");
            if (def.empty()) {
                add(label, "has no definition_file");
            } else if (!files.files.count(def)) {
                add(label, "definition_file " + def + " cannot be read");
            } else {
                Json asl = Json::parse(files.files.at(def), nullptr, false);
                if (!asl.is_object() || !asl.contains("StartAt") || !asl.contains("States"))
                    add(label, "definition_file " + def + " is not an ASL definition (StartAt, States)");
            }
        }
        if (type == "rule") {
            if (!r.contains("schedule") && !r.contains("event_pattern")) add(label, "needs a schedule or an event_pattern");
            if (!r.contains("targets") || !r["targets"].is_array() || r["targets"].empty()) add(label, "has no targets");
            for (const auto& t : r.value("targets", Json::array())) {
                if (!t.is_object() || !t.contains("id")) {
                    add(label, "a target needs an id");
                    continue;
                }
                int kinds = 0;
                for (const char* k : {"function", "state_machine", "queue"}) {
                    if (!t.contains(k)) continue;
                    ++kinds;
                    if (!known(k, t[k])) add(label, std::string("target ") + refname(t["id"]) + ": " + k + " " + refname(t[k]) + " is not declared");
                }
                if (kinds != 1)
                    add(label, "target " + refname(t["id"]) + " needs exactly one of function, state_machine, queue");
            }
        }
        if (type == "event_source_mapping") {
            if (!known("queue", r.value("queue", Json())))
                add(label, "queue " + refname(r.value("queue", Json())) + " is not a declared queue");
            if (!known("function", r.value("function", Json())))
                add(label, "function " + refname(r.value("function", Json())) + " is not a declared function");
        }
    }
    return problems;
}

Provisioner::Provisioner(platform::AwsClient& aws, const InfraFiles& files, std::map<std::string, std::string>& queue_urls)
    : aws_(aws), files_(files), queue_urls_(queue_urls) {}

void Provisioner::Run(std::function<void(core::Status<>)> done) {
    done_ = std::move(done);
    Json resources = Resources(files_);
    auto of = [&](const std::string& type, auto&& pred) {
        for (const auto& r : resources)
            if (r.is_object() && r.value("type", "") == type && pred(r)) {
                if (type == "bucket")
                    steps_.push_back([this, r](auto next) {
                        aws_.CreateBucket(r.value("name", ""), [r, next](platform::AwsResult<core::Unit> res) {
                            if (!res && res.error().code != "BucketAlreadyOwnedByYou") return next(Failed(r, res.error()));
                            next(core::Ok());
                        });
                    });
                if (type == "queue") steps_.push_back([this, r](auto next) { Queue(r, std::move(next)); });
                if (type == "state_machine") steps_.push_back([this, r](auto next) { StateMachine(r, std::move(next)); });
                if (type == "rule") steps_.push_back([this, r](auto next) { Rule(r, std::move(next)); });
                if (type == "event_source_mapping") steps_.push_back([this, r](auto next) { Mapping(r, std::move(next)); });
            }
    };
    auto all = [](const Json&) { return true; };
    of("bucket", all);
    of("queue", [](const Json& r) { return !r.contains("dead_letter"); });  // dead-letter queues first
    of("queue", [](const Json& r) { return r.contains("dead_letter"); });
    of("state_machine", all);
    of("rule", all);
    of("event_source_mapping", all);
    next_ = 0;
    Next();
}

void Provisioner::Next() {
    if (next_ >= steps_.size()) {
        auto done = std::move(done_);
        return done(core::Ok());
    }
    auto& step = steps_[next_++];
    step([this](core::Status<> s) {
        if (!s) {
            auto done = std::move(done_);
            return done(std::move(s));
        }
        Next();
    });
}

void Provisioner::Queue(const Json& r, std::function<void(core::Status<>)> next) {
    std::string name = r.value("name", "");
    std::map<std::string, std::string> attrs;
    if (r.contains("visibility_timeout_seconds")) attrs["VisibilityTimeout"] = std::to_string(r["visibility_timeout_seconds"].get<int>());
    if (r.contains("message_retention_seconds"))
        attrs["MessageRetentionPeriod"] = std::to_string(r["message_retention_seconds"].get<int>());
    if (r.contains("dead_letter")) {
        const Json& dl = r["dead_letter"];
        attrs["RedrivePolicy"] = Json{{"deadLetterTargetArn", aws_.QueueArn(dl.value("queue", ""))},
                                      {"maxReceiveCount", dl.value("max_receive_count", 5)}}
                                     .dump();
    }
    aws_.CreateQueue(name, attrs, [this, r, name, attrs, next](platform::AwsResult<std::string> url) {
        if (url) {
            queue_urls_[name] = *url;
            return next(core::Ok());
        }
        // Exists with other attributes (a durable data dir, an edited infra.json): update them.
        if (url.error().code != "QueueAlreadyExists" && url.error().code != "QueueNameExists")
            return next(Failed(r, url.error()));
        aws_.GetQueueUrl(name, [this, r, name, attrs, next](platform::AwsResult<std::string> existing) {
            if (!existing) return next(Failed(r, existing.error()));
            queue_urls_[name] = *existing;
            aws_.SetQueueAttributes(*existing, attrs, [r, next](platform::AwsResult<core::Unit> set) {
                next(set ? core::Ok() : Failed(r, set.error()));
            });
        });
    });
}

void Provisioner::StateMachine(const Json& r, std::function<void(core::Status<>)> next) {
    std::string name = r.value("name", "");
    auto it = files_.files.find(r.value("definition_file", ""));
    if (it == files_.files.end())
        return next(core::Fail(core::Error::FailedPrecondition(Label(r) + ": definition_file cannot be read")));
    std::string definition = it->second;
    std::string role = aws_.RoleArn(r.value("role", name));
    aws_.CreateStateMachine(name, definition, role, [this, r, name, definition, next](platform::AwsResult<std::string> arn) {
        if (arn) return next(core::Ok());
        if (arn.error().code != "StateMachineAlreadyExists") return next(Failed(r, arn.error()));
        aws_.UpdateStateMachine(aws_.StateMachineArn(name), definition, [r, next](platform::AwsResult<core::Unit> u) {
            next(u ? core::Ok() : Failed(r, u.error()));
        });
    });
}

void Provisioner::Rule(const Json& r, std::function<void(core::Status<>)> next) {
    std::string name = r.value("name", "");
    std::string pattern = r.contains("event_pattern") ? r["event_pattern"].dump() : "";
    Json targets = Json::array();
    for (const auto& t : r.value("targets", Json::array())) {
        Json w = {{"Id", t.value("id", "")}};
        if (t.contains("function")) w["Arn"] = aws_.FunctionArn(t["function"].get<std::string>());
        if (t.contains("queue")) w["Arn"] = aws_.QueueArn(t["queue"].get<std::string>());
        if (t.contains("state_machine")) {
            w["Arn"] = aws_.StateMachineArn(t["state_machine"].get<std::string>());
            w["RoleArn"] = aws_.RoleArn(t.value("role", "platform-events-invoke"));
        }
        if (t.contains("input")) w["Input"] = t["input"].dump();
        if (t.contains("input_transformer")) w["InputTransformer"] = t["input_transformer"];
        targets.push_back(std::move(w));
    }
    aws_.PutRule(name, r.value("schedule", ""), pattern, r.value("description", ""),
                 [this, r, name, targets, next](platform::AwsResult<std::string> arn) {
                     if (!arn) return next(Failed(r, arn.error()));
                     aws_.PutTargets(name, targets, [r, next](platform::AwsResult<core::Unit> t) {
                         next(t ? core::Ok() : Failed(r, t.error()));
                     });
                 });
}

void Provisioner::Mapping(const Json& r, std::function<void(core::Status<>)> next) {
    std::string function = r.value("function", "");
    std::string source = aws_.QueueArn(r.value("queue", ""));
    int batch = r.value("batch_size", 10);
    bool partial = r.value("report_batch_item_failures", false);
    aws_.ListEventSourceMappings(function, [this, r, function, source, batch, partial, next](platform::AwsResult<Json> list) {
        if (!list) return next(Failed(r, list.error()));
        for (const auto& m : list->value("EventSourceMappings", Json::array()))
            if (m.value("EventSourceArn", "") == source) return next(core::Ok());  // already there
        aws_.CreateEventSourceMapping(function, source, batch, partial, [r, next](platform::AwsResult<std::string> id) {
            next(id ? core::Ok() : Failed(r, id.error()));
        });
    });
}

}  // namespace sim::app
