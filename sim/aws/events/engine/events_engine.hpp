#pragma once
// EventBridge event buses (the default one and custom ones) and their rules: scheduled rules
// (rate/cron, fired at their exact times on the Clock; on the default bus only, as AWS) and
// event-pattern rules (matched by PutEvents on their bus), with targets delivered by
// TargetDelivery. Pure engine: no wire format.
//
// Durability: every custom bus is a row of `events_buses`, every rule (with its targets and its
// rate anchor) a row of `events_rules`,
// written under the runtime's GroupCommit before the change is visible, so a reply is sent only
// once the rule is on disk. Loading re-arms scheduled rules from the current time: firings missed
// while the process was down are skipped, not replayed in a burst (EventBridge delivers a
// scheduled event for times it is running; a rate rule keeps its phase: created at 10:02 with
// rate(5 minutes), it next fires at the first 10:02 + 5k minutes after the restart).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/aws/events/engine/event_pattern.hpp"
#include "sim/aws/events/engine/schedule.hpp"
#include "sim/aws/events/engine/targets.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/page.hpp"
#include "sim/core/random.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::events {

enum class EventsErrorCode { kValidation, kResourceNotFound, kInvalidEventPattern, kLimitExceeded, kAlreadyExists };
struct EventsError {
    EventsErrorCode code = EventsErrorCode::kValidation;
    std::string message;
};
template <typename T>
using EventsResult = core::Result<T, EventsError>;

struct EventsOptions {
    std::string account_id = "000000000000";
    std::string region = "us-east-1";
    std::uint64_t seed = 1;
};

struct PutRuleRequest {
    std::string name;
    std::string event_bus = "default";
    std::optional<std::string> schedule_expression;
    std::optional<std::string> event_pattern;
    std::optional<bool> enabled;  ///< unset keeps the current state (ENABLED for a new rule)
    std::string description;
    std::string role_arn;
};

struct RuleInfo {
    std::string name;
    std::string arn;
    std::string event_bus;
    std::string schedule_expression;
    std::string event_pattern;
    bool enabled = true;
    std::string description;
    std::string role_arn;
    std::optional<core::TimePoint> next_fire;
};

struct BusInfo {
    std::string name;
    std::string arn;
    std::string description;
    core::TimePoint created;
    core::TimePoint last_modified;
};

struct PutEventsEntry {
    std::string source;
    std::string detail_type;
    std::string detail;  ///< JSON object text
    std::vector<std::string> resources;
    std::string event_bus = "default";
    std::optional<core::TimePoint> time;
};
struct PutEventsResult {
    std::string event_id;      ///< empty when the entry failed
    std::string error_code;
    std::string error_message;
};
struct TargetFailure {
    std::string target_id;
    std::string error_code;
    std::string error_message;
};

class EventsEngine {
public:
    /// Migrates and loads `db` (module "events"); writes go through `group`. All references must
    /// outlive this object.
    EventsEngine(clock::Clock& clock, TargetDelivery& delivery, store::Database& db, store::GroupCommit& group,
                 EventsOptions options = {});
    ~EventsEngine();
    EventsEngine(const EventsEngine&) = delete;
    EventsEngine& operator=(const EventsEngine&) = delete;

    /// A custom event bus (name 1-256 of [A-Za-z0-9._-]); "default" and existing names are
    /// kAlreadyExists. Returns its ARN.
    EventsResult<std::string> CreateEventBus(const std::string& name, const std::string& description);
    /// Deleting a bus that does not exist succeeds (AWS); the default bus cannot be deleted, nor a
    /// bus that still has rules (kValidation).
    EventsResult<core::Unit> DeleteEventBus(const std::string& name);
    /// By name or ARN ("" = default).
    EventsResult<BusInfo> DescribeEventBus(const std::string& name) const;
    /// The default bus and the custom ones, by name, paged like ListRules.
    core::Page<BusInfo> ListEventBuses(const std::string& prefix, const std::string& after = "",
                                       std::size_t limit = 100) const;

    EventsResult<std::string> PutRule(const PutRuleRequest& request);
    EventsResult<RuleInfo> DescribeRule(const std::string& name, const std::string& bus) const;
    /// Rules of `bus` whose name starts with `prefix`, by name, at most `limit`, after the page key
    /// `after` (a previous page's `next`; "" for the first page).
    core::Page<RuleInfo> ListRules(const std::string& prefix, const std::string& bus, const std::string& after = "",
                                   std::size_t limit = 100) const;
    /// Names of the rules of `bus` with a target whose ARN is `target_arn`, paged like ListRules.
    core::Page<std::string> ListRuleNamesByTarget(const std::string& target_arn, const std::string& bus,
                                                  const std::string& after = "", std::size_t limit = 100) const;
    /// A rule with targets cannot be deleted (ValidationException) unless `force`.
    EventsResult<core::Unit> DeleteRule(const std::string& name, const std::string& bus, bool force);
    EventsResult<core::Unit> SetRuleEnabled(const std::string& name, const std::string& bus, bool enabled);
    /// Adds or replaces targets by id; per-target problems are returned, the others applied.
    EventsResult<std::vector<TargetFailure>> PutTargets(const std::string& rule, const std::string& bus,
                                                        const std::vector<Target>& targets);
    EventsResult<std::vector<TargetFailure>> RemoveTargets(const std::string& rule, const std::string& bus,
                                                           const std::vector<std::string>& ids);
    /// The rule's targets in the order they were added, paged by target id.
    EventsResult<core::Page<Target>> ListTargetsByRule(const std::string& rule, const std::string& bus,
                                                       const std::string& after = "", std::size_t limit = 100) const;
    std::vector<PutEventsResult> PutEvents(const std::vector<PutEventsEntry>& entries);
    /// Validates a pattern and matches it against an event's JSON text (TestEventPattern).
    EventsResult<bool> TestEventPattern(const std::string& pattern, const std::string& event) const;

    /// Wipes every rule and custom bus, in memory and on disk (POST /_sim/reset).
    void Reset();
    std::uint64_t Firings() const { return firings_; }
    const std::string& AccountId() const { return options_.account_id; }

private:
    struct Rule;
    Rule* Find(const std::string& name, const std::string& bus) const;
    EventsResult<Rule*> Require(const std::string& name, const std::string& bus) const;
    void Load();
    void Save(const Rule& rule);
    void Erase(const Rule& rule);
    void Arm(Rule& rule);
    void Fire(const std::string& key);
    void Dispatch(Rule& rule, const Json& event);
    std::string NormalizeBus(const std::string& bus) const;
    std::string RuleArn(const std::string& bus, const std::string& name) const;
    std::string BusArn(const std::string& name) const;
    BusInfo DefaultBus() const;

    clock::Clock& clock_;
    TargetDelivery& delivery_;
    store::Database& db_;
    store::GroupCommit& group_;
    EventsOptions options_;
    core::IdGenerator ids_;
    std::map<std::string, std::unique_ptr<Rule>> rules_;  // by "bus/name"
    std::map<std::string, BusInfo> buses_;                // custom buses by name
    core::TimePoint started_;                             // the default bus's creation time
    std::uint64_t firings_ = 0;
};

}  // namespace sim::aws::events
