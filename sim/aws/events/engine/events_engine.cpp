#include "sim/aws/events/engine/events_engine.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sim/store/migrations.hpp"

namespace sim::aws::events {

namespace {
core::Failure<EventsError> Err(EventsErrorCode code, std::string message) { return core::Fail(EventsError{code, std::move(message)}); }

bool ValidName(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
}

// One row per rule: the rule's settings, its targets and the anchor of its rate schedule.
const store::Migration kMigrations[] = {
    {1, "CREATE TABLE events_rules (bus TEXT NOT NULL, name TEXT NOT NULL, rule TEXT NOT NULL,"
        " PRIMARY KEY (bus, name)) WITHOUT ROWID"},
    {2, "CREATE TABLE events_buses (name TEXT PRIMARY KEY, description TEXT NOT NULL, created_ns INTEGER NOT NULL,"
        " modified_ns INTEGER NOT NULL)"},
};

bool ValidBusName(const std::string& name) {
    if (name.empty() || name.size() > 256) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
}
}  // namespace

struct EventsEngine::Rule {
    RuleInfo info;
    std::optional<ScheduleExpression> schedule;
    std::optional<EventPattern> pattern;
    std::vector<Target> targets;
    clock::TimerId timer = 0;
    core::TimePoint anchor;
};

EventsEngine::EventsEngine(clock::Clock& clock, TargetDelivery& delivery, store::Database& db, store::GroupCommit& group,
                           EventsOptions options)
    : clock_(clock),
      delivery_(delivery),
      db_(db),
      group_(group),
      options_(std::move(options)),
      ids_(options_.seed),
      started_(clock.Now()) {
    store::Migrate(db_, "events", kMigrations);
    Load();
}

EventsEngine::~EventsEngine() {
    for (auto& [key, r] : rules_)
        if (r->timer) clock_.Cancel(r->timer);
}

void EventsEngine::Reset() {
    auto scope = group_.BeginWrite(db_);
    db_.Exec("DELETE FROM events_rules; DELETE FROM events_buses");
    scope.Commit();
    for (auto& [key, r] : rules_)
        if (r->timer) clock_.Cancel(r->timer);
    rules_.clear();
    buses_.clear();
}

void EventsEngine::Load() {
    auto& buses = db_.Prepare("SELECT name, description, created_ns, modified_ns FROM events_buses");
    while (buses.Step()) {
        std::string name = buses.Text(0);
        buses_[name] = BusInfo{name, BusArn(name), buses.Text(1), LoadTime(buses.Int64(2)), LoadTime(buses.Int64(3))};
    }
    buses.Reset();
    auto& select = db_.Prepare("SELECT bus, name, rule FROM events_rules");
    while (select.Step()) {
        auto rule = std::make_unique<Rule>();
        Json j = Json::parse(select.Text(2));
        RuleInfo& i = rule->info;
        i.event_bus = select.Text(0);
        i.name = select.Text(1);
        i.arn = j.at("arn").get<std::string>();
        i.schedule_expression = j.value("schedule", "");
        i.event_pattern = j.value("pattern", "");
        i.enabled = j.at("enabled").get<bool>();
        i.description = j.value("description", "");
        i.role_arn = j.value("role", "");
        rule->anchor = LoadTime(j.at("anchor").get<std::int64_t>());
        for (const auto& t : j.at("targets")) rule->targets.push_back(LoadTarget(t));
        // Stored expressions and patterns were valid when saved; parse them back the same way.
        if (!i.schedule_expression.empty()) rule->schedule = ScheduleExpression::Parse(i.schedule_expression).value();
        if (!i.event_pattern.empty()) rule->pattern = EventPattern::Parse(i.event_pattern).value();
        std::string key = i.event_bus + "/" + i.name;
        rules_[key] = std::move(rule);
    }
    select.Reset();
    for (auto& [key, r] : rules_) Arm(*r);
    if (!rules_.empty() || !buses_.empty())
        spdlog::info("[events] loaded {} rules and {} custom event buses", rules_.size(), buses_.size());
}

void EventsEngine::Save(const Rule& r) {
    Json targets = Json::array();
    for (const auto& t : r.targets) targets.push_back(StoredTarget(t));
    Json j = {{"arn", r.info.arn},         {"enabled", r.info.enabled},
              {"anchor", StoredTime(r.anchor)}, {"targets", targets}};
    if (!r.info.schedule_expression.empty()) j["schedule"] = r.info.schedule_expression;
    if (!r.info.event_pattern.empty()) j["pattern"] = r.info.event_pattern;
    if (!r.info.description.empty()) j["description"] = r.info.description;
    if (!r.info.role_arn.empty()) j["role"] = r.info.role_arn;
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("INSERT OR REPLACE INTO events_rules (bus, name, rule) VALUES (?1, ?2, ?3)")
        .BindAll(r.info.event_bus, r.info.name, j.dump())
        .Execute();
    scope.Commit();
}

void EventsEngine::Erase(const Rule& r) {
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM events_rules WHERE bus = ?1 AND name = ?2").BindAll(r.info.event_bus, r.info.name).Execute();
    scope.Commit();
}

std::string EventsEngine::RuleArn(const std::string& bus, const std::string& name) const {
    // Rules of the default bus are "rule/<name>", those of a custom bus "rule/<bus>/<name>".
    std::string prefix = "arn:aws:events:" + options_.region + ":" + options_.account_id + ":rule/";
    return bus == "default" ? prefix + name : prefix + bus + "/" + name;
}

std::string EventsEngine::BusArn(const std::string& name) const {
    return "arn:aws:events:" + options_.region + ":" + options_.account_id + ":event-bus/" + name;
}

BusInfo EventsEngine::DefaultBus() const { return BusInfo{"default", BusArn("default"), "", started_, started_}; }

EventsResult<std::string> EventsEngine::CreateEventBus(const std::string& name, const std::string& description) {
    if (!ValidBusName(name))
        return Err(EventsErrorCode::kValidation, "1 validation error detected: Value '" + name +
                                                     "' at 'name' failed to satisfy constraint: Member must satisfy "
                                                     "regular expression pattern: [\\.\\-_A-Za-z0-9]+");
    if (name == "default" || buses_.count(name))
        return Err(EventsErrorCode::kAlreadyExists, "Event bus " + name + " already exists.");
    if (description.size() > 512)
        return Err(EventsErrorCode::kValidation, "Description must be at most 512 characters.");
    BusInfo bus{name, BusArn(name), description, clock_.Now(), clock_.Now()};
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("INSERT INTO events_buses (name, description, created_ns, modified_ns) VALUES (?1, ?2, ?3, ?4)")
        .BindAll(name, description, StoredTime(bus.created), StoredTime(bus.last_modified))
        .Execute();
    scope.Commit();
    buses_[name] = bus;
    return bus.arn;
}

EventsResult<core::Unit> EventsEngine::DeleteEventBus(const std::string& name) {
    std::string bus = NormalizeBus(name);
    if (bus == "default") return Err(EventsErrorCode::kValidation, "Cannot delete event bus default.");
    if (!buses_.count(bus)) return core::Unit{};
    if (std::any_of(rules_.begin(), rules_.end(), [&](const auto& r) { return r.second->info.event_bus == bus; }))
        return Err(EventsErrorCode::kValidation, "EventBus can't be deleted since it has rules.");
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM events_buses WHERE name = ?1").BindAll(bus).Execute();
    scope.Commit();
    buses_.erase(bus);
    return core::Unit{};
}

EventsResult<BusInfo> EventsEngine::DescribeEventBus(const std::string& name) const {
    std::string bus = NormalizeBus(name);
    if (bus == "default") return DefaultBus();
    auto it = buses_.find(bus);
    if (it == buses_.end()) return Err(EventsErrorCode::kResourceNotFound, "Event bus " + bus + " does not exist.");
    return it->second;
}

core::Page<BusInfo> EventsEngine::ListEventBuses(const std::string& prefix, const std::string& after,
                                                 std::size_t limit) const {
    std::map<std::string, BusInfo> all = buses_;
    all["default"] = DefaultBus();
    return core::PageOf<BusInfo>(
        all, after, limit, [&](const BusInfo& b) { return b.name.rfind(prefix, 0) == 0; },
        [](const BusInfo& b) { return b; });
}

std::string EventsEngine::NormalizeBus(const std::string& bus) const {
    if (bus.empty()) return "default";
    if (auto slash = bus.rfind("event-bus/"); slash != std::string::npos) return bus.substr(slash + 10);
    return bus;
}

EventsEngine::Rule* EventsEngine::Find(const std::string& name, const std::string& bus) const {
    auto it = rules_.find(NormalizeBus(bus) + "/" + name);
    return it == rules_.end() ? nullptr : it->second.get();
}

EventsResult<EventsEngine::Rule*> EventsEngine::Require(const std::string& name, const std::string& bus) const {
    if (Rule* r = Find(name, bus)) return r;
    return Err(EventsErrorCode::kResourceNotFound, "Rule " + name + " does not exist on EventBus " + NormalizeBus(bus) + ".");
}

EventsResult<std::string> EventsEngine::PutRule(const PutRuleRequest& req) {
    std::string bus = NormalizeBus(req.event_bus);
    if (bus != "default" && !buses_.count(bus))
        return Err(EventsErrorCode::kResourceNotFound, "Event bus " + bus + " does not exist.");
    if (bus != "default" && req.schedule_expression)
        return Err(EventsErrorCode::kValidation, "ScheduleExpression is supported only on the default event bus.");
    if (!ValidName(req.name))
        return Err(EventsErrorCode::kValidation, "1 validation error detected: Value '" + req.name +
                                                     "' at 'name' failed to satisfy constraint: Member must satisfy "
                                                     "regular expression pattern: [\\.\\-_A-Za-z0-9]+");
    if (!req.schedule_expression && !req.event_pattern)
        return Err(EventsErrorCode::kValidation, "Parameter(s) EventPattern and ScheduleExpression cannot be both null.");
    std::optional<ScheduleExpression> schedule;
    std::optional<EventPattern> pattern;
    if (req.schedule_expression) {
        auto s = ScheduleExpression::Parse(*req.schedule_expression);
        if (!s) return Err(EventsErrorCode::kValidation, "Parameter ScheduleExpression is not valid. " + s.error().message);
        schedule = std::move(s).value();
    }
    if (req.event_pattern) {
        auto p = EventPattern::Parse(*req.event_pattern);
        if (!p) return Err(EventsErrorCode::kInvalidEventPattern, "Event pattern is not valid. Reason: " + p.error().message);
        pattern = std::move(p).value();
    }
    std::string key = bus + "/" + req.name;
    Rule* existing = Find(req.name, bus);
    Rule r = existing ? *existing : Rule{};
    r.timer = 0;
    if (!existing) {
        r.info.name = req.name;
        r.info.event_bus = bus;
        r.info.arn = RuleArn(bus, req.name);
    }
    bool schedule_changed = !existing || r.info.schedule_expression != req.schedule_expression.value_or("");
    r.info.schedule_expression = req.schedule_expression.value_or("");
    r.info.event_pattern = req.event_pattern.value_or("");
    r.info.description = req.description;
    r.info.role_arn = req.role_arn;
    if (req.enabled) r.info.enabled = *req.enabled;
    r.schedule = std::move(schedule);
    r.pattern = std::move(pattern);
    if (schedule_changed) r.anchor = clock_.Now();
    Save(r);  // throws before anything changed in memory when the write fails
    auto& slot = rules_[key];
    if (slot && slot->timer) clock_.Cancel(slot->timer);
    slot = std::make_unique<Rule>(std::move(r));
    Arm(*slot);
    return slot->info.arn;
}

void EventsEngine::Arm(Rule& r) {
    if (r.timer) clock_.Cancel(r.timer);
    r.timer = 0;
    r.info.next_fire.reset();
    if (!r.schedule || !r.info.enabled) return;
    // A rate rule fires one period after it was created (or its schedule last changed), then every
    // period; a cron rule at its next matching UTC minute.
    auto next = r.schedule->NextAfter(clock_.Now(), *TimeZone::Utc(), r.anchor + r.schedule->rate());
    if (!next) return;
    r.info.next_fire = next;
    std::string key = r.info.event_bus + "/" + r.info.name;
    r.timer = clock_.Schedule(*next, [this, key] { Fire(key); });
}

void EventsEngine::Fire(const std::string& key) {
    auto it = rules_.find(key);
    if (it == rules_.end()) return;
    Rule& r = *it->second;
    r.timer = 0;
    ++firings_;
    Json event = {{"version", "0"},
                  {"id", ids_.Uuid()},
                  {"detail-type", "Scheduled Event"},
                  {"source", "aws.events"},
                  {"account", options_.account_id},
                  {"time", core::FormatIso8601(std::chrono::floor<std::chrono::seconds>(clock_.Now()))},
                  {"region", options_.region},
                  {"resources", Json::array({r.info.arn})},
                  {"detail", Json::object()}};
    Dispatch(r, event);
    Arm(r);
}

void EventsEngine::Dispatch(Rule& r, const Json& event) {
    for (const auto& t : r.targets) {
        auto input = RenderInput(t, event, r.info.name, r.info.arn);
        if (!input) continue;
        delivery_.Deliver(t, std::move(input).value(), {"RULE_ARN", r.info.arn});
    }
}

EventsResult<RuleInfo> EventsEngine::DescribeRule(const std::string& name, const std::string& bus) const {
    auto r = Require(name, bus);
    if (!r) return core::Fail(r.error());
    return (*r)->info;
}

core::Page<RuleInfo> EventsEngine::ListRules(const std::string& prefix, const std::string& bus, const std::string& after,
                                             std::size_t limit) const {
    std::string b = NormalizeBus(bus);
    return core::PageOf<RuleInfo>(
        rules_, after, limit,
        [&](const auto& r) { return r->info.event_bus == b && r->info.name.rfind(prefix, 0) == 0; },
        [](const auto& r) { return r->info; });
}

core::Page<std::string> EventsEngine::ListRuleNamesByTarget(const std::string& target_arn, const std::string& bus,
                                                            const std::string& after, std::size_t limit) const {
    std::string b = NormalizeBus(bus);
    return core::PageOf<std::string>(
        rules_, after, limit,
        [&](const auto& r) {
            return r->info.event_bus == b && std::any_of(r->targets.begin(), r->targets.end(),
                                                         [&](const Target& t) { return t.arn == target_arn; });
        },
        [](const auto& r) { return r->info.name; });
}

EventsResult<core::Unit> EventsEngine::DeleteRule(const std::string& name, const std::string& bus, bool force) {
    Rule* r = Find(name, bus);
    if (!r) return core::Unit{};  // AWS: deleting a rule that does not exist succeeds
    if (!r->targets.empty() && !force)
        return Err(EventsErrorCode::kValidation, "Rule can't be deleted since it has targets.");
    Erase(*r);
    if (r->timer) clock_.Cancel(r->timer);
    rules_.erase(r->info.event_bus + "/" + r->info.name);
    return core::Unit{};
}

EventsResult<core::Unit> EventsEngine::SetRuleEnabled(const std::string& name, const std::string& bus, bool enabled) {
    auto r = Require(name, bus);
    if (!r) return core::Fail(r.error());
    Rule& rule = **r;
    if (rule.info.enabled != enabled) {
        Rule next = rule;
        next.info.enabled = enabled;
        if (enabled) next.anchor = clock_.Now();
        Save(next);
        rule.info.enabled = enabled;
        rule.anchor = next.anchor;
        Arm(rule);
    }
    return core::Unit{};
}

EventsResult<std::vector<TargetFailure>> EventsEngine::PutTargets(const std::string& rule, const std::string& bus,
                                                                  const std::vector<Target>& targets) {
    auto r = Require(rule, bus);
    if (!r) return core::Fail(r.error());
    if (targets.empty()) return Err(EventsErrorCode::kValidation, "Targets must contain at least one target.");
    std::vector<TargetFailure> failures;
    Rule next = **r;
    for (const auto& t : targets) {
        auto fail = [&](std::string code, std::string message) { failures.push_back({t.id, std::move(code), std::move(message)}); };
        if (t.id.empty() || t.id.size() > 64) {
            fail("ValidationException", "Target Id must be 1 to 64 characters.");
            continue;
        }
        if (auto s = ValidateTargetArn(t.arn); !s) {
            fail("ValidationException", s.error().message);
            continue;
        }
        if (!t.dead_letter_arn.empty() && KindOf(t.dead_letter_arn) != TargetKind::kSqs) {
            fail("ValidationException", "DeadLetterConfig Arn must be an SQS queue ARN.");
            continue;
        }
        int given = (t.input ? 1 : 0) + (t.input_path ? 1 : 0) + (t.input_transformer ? 1 : 0);
        if (given > 1) {
            fail("ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided.");
            continue;
        }
        if (t.input && Json::parse(*t.input, nullptr, false).is_discarded()) {
            fail("ValidationException", "Input is not valid JSON text.");
            continue;
        }
        auto& list = next.targets;
        auto it = std::find_if(list.begin(), list.end(), [&](const Target& x) { return x.id == t.id; });
        if (it != list.end()) *it = t;
        else if (list.size() >= 5) fail("LimitExceededException", "The requested resource exceeds the maximum number allowed (5 targets).");
        else list.push_back(t);
    }
    if (failures.size() < targets.size()) {
        Save(next);
        (*r)->targets = std::move(next.targets);
    }
    return failures;
}

EventsResult<std::vector<TargetFailure>> EventsEngine::RemoveTargets(const std::string& rule, const std::string& bus,
                                                                     const std::vector<std::string>& ids) {
    auto r = Require(rule, bus);
    if (!r) return core::Fail(r.error());
    std::vector<TargetFailure> failures;
    Rule next = **r;
    auto& list = next.targets;
    for (const auto& id : ids) {
        auto it = std::find_if(list.begin(), list.end(), [&](const Target& x) { return x.id == id; });
        if (it == list.end()) failures.push_back({id, "ResourceNotFoundException", "Target " + id + " does not exist."});
        else list.erase(it);
    }
    if (failures.size() < ids.size()) {
        Save(next);
        (*r)->targets = std::move(next.targets);
    }
    return failures;
}

EventsResult<core::Page<Target>> EventsEngine::ListTargetsByRule(const std::string& rule, const std::string& bus,
                                                                 const std::string& after, std::size_t limit) const {
    auto r = Require(rule, bus);
    if (!r) return core::Fail(r.error());
    const auto& list = (*r)->targets;
    auto it = list.begin();
    if (!after.empty()) {
        it = std::find_if(list.begin(), list.end(), [&](const Target& t) { return t.id == after; });
        if (it != list.end()) ++it;
    }
    core::Page<Target> page;
    for (; it != list.end(); ++it) {
        if (page.items.size() == limit) {
            page.next = page.items.back().id;
            break;
        }
        page.items.push_back(*it);
    }
    return page;
}

std::vector<PutEventsResult> EventsEngine::PutEvents(const std::vector<PutEventsEntry>& entries) {
    std::vector<PutEventsResult> out;
    for (const auto& e : entries) {
        PutEventsResult res;
        auto detail = Json::parse(e.detail.empty() ? "{}" : e.detail, nullptr, false);
        std::string bus = NormalizeBus(e.event_bus);
        if (e.source.empty()) res = {"", "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."};
        else if (e.detail_type.empty()) res = {"", "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."};
        else if (detail.is_discarded() || !detail.is_object()) res = {"", "MalformedDetail", "Detail is malformed."};
        else if (bus != "default" && !buses_.count(bus)) res = {"", "NotFound", "Event bus " + bus + " does not exist."};
        if (!res.error_code.empty()) {
            out.push_back(res);
            continue;
        }
        res.event_id = ids_.Uuid();
        Json event = {{"version", "0"},
                      {"id", res.event_id},
                      {"detail-type", e.detail_type},
                      {"source", e.source},
                      {"account", options_.account_id},
                      {"time", core::FormatIso8601(std::chrono::floor<std::chrono::seconds>(e.time.value_or(clock_.Now())))},
                      {"region", options_.region},
                      {"resources", e.resources},
                      {"detail", detail}};
        for (auto& [key, r] : rules_)
            if (r->info.enabled && r->pattern && r->info.event_bus == bus && r->pattern->Matches(event)) Dispatch(*r, event);
        out.push_back(res);
    }
    return out;
}

EventsResult<bool> EventsEngine::TestEventPattern(const std::string& pattern, const std::string& event) const {
    auto p = EventPattern::Parse(pattern);
    if (!p) return Err(EventsErrorCode::kInvalidEventPattern, "Event pattern is not valid. Reason: " + p.error().message);
    auto e = Json::parse(event, nullptr, false);
    if (e.is_discarded() || !e.is_object()) return Err(EventsErrorCode::kValidation, "Parameter Event is not valid.");
    return p->Matches(e);
}

}  // namespace sim::aws::events
