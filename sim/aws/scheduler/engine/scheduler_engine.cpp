#include "sim/aws/scheduler/engine/scheduler_engine.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sim/store/migrations.hpp"

namespace sim::aws::scheduler {

namespace {
core::Failure<SchedulerError> Err(SchedulerErrorCode c, std::string m) { return core::Fail(SchedulerError{c, std::move(m)}); }

bool ValidName(const std::string& n) {
    return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
}
using events::LoadTime;
using events::StoredTime;

const store::Migration kMigrations[] = {
    {1, "CREATE TABLE scheduler_groups (name TEXT PRIMARY KEY, created_ns INTEGER NOT NULL, modified_ns INTEGER NOT NULL);"
        "CREATE TABLE scheduler_schedules (grp TEXT NOT NULL, name TEXT NOT NULL, schedule TEXT NOT NULL,"
        " last_slot_ns INTEGER NOT NULL, firings INTEGER NOT NULL, PRIMARY KEY (grp, name)) WITHOUT ROWID"},
};

events::Json StoredSpec(const ScheduleSpec& s) {
    events::Json j = {{"expression", s.expression}, {"timezone", s.timezone}, {"enabled", s.enabled},
                      {"flexible", s.flexible},     {"window", s.maximum_window_minutes},
                      {"delete", s.delete_after_completion}, {"description", s.description},
                      {"target", events::StoredTarget(s.target)}};
    if (s.start_date) j["start"] = StoredTime(*s.start_date);
    if (s.end_date) j["end"] = StoredTime(*s.end_date);
    return j;
}

ScheduleSpec LoadSpec(const std::string& group, const std::string& name, const events::Json& j) {
    ScheduleSpec s;
    s.name = name;
    s.group = group;
    s.expression = j.at("expression").get<std::string>();
    s.timezone = j.at("timezone").get<std::string>();
    s.enabled = j.at("enabled").get<bool>();
    s.flexible = j.at("flexible").get<bool>();
    s.maximum_window_minutes = j.at("window").get<int>();
    s.delete_after_completion = j.at("delete").get<bool>();
    s.description = j.value("description", "");
    s.target = events::LoadTarget(j.at("target"));
    if (j.contains("start")) s.start_date = LoadTime(j["start"].get<std::int64_t>());
    if (j.contains("end")) s.end_date = LoadTime(j["end"].get<std::int64_t>());
    return s;
}
}  // namespace

struct SchedulerEngine::Entry {
    ScheduleInfo info;
    std::optional<events::ScheduleExpression> expression;
    std::shared_ptr<const events::TimeZone> zone;
    core::TimePoint anchor;
    core::TimePoint last_slot;  // the last nominal firing time handled
    clock::TimerId timer = 0;
};

SchedulerEngine::SchedulerEngine(clock::Clock& clock, events::TargetDelivery& delivery, store::Database& db,
                                 store::GroupCommit& group, std::string region, std::string account_id, std::uint64_t seed)
    : clock_(clock),
      delivery_(delivery),
      db_(db),
      group_(group),
      region_(std::move(region)),
      account_id_(std::move(account_id)),
      random_(seed) {
    store::Migrate(db_, "scheduler", kMigrations);
    Load();
}

SchedulerEngine::~SchedulerEngine() {
    for (auto& [k, e] : schedules_)
        if (e->timer) clock_.Cancel(e->timer);
}

void SchedulerEngine::Reset() {
    auto scope = group_.BeginWrite(db_);
    db_.Exec("DELETE FROM scheduler_schedules; DELETE FROM scheduler_groups");
    scope.Commit();
    for (auto& [k, e] : schedules_)
        if (e->timer) clock_.Cancel(e->timer);
    schedules_.clear();
    groups_.clear();
    GroupInfo d{"default", GroupArn("default"), clock_.Now(), clock_.Now()};
    SaveGroup(d);
    groups_["default"] = d;
}

void SchedulerEngine::Load() {
    auto& gs = db_.Prepare("SELECT name, created_ns, modified_ns FROM scheduler_groups");
    while (gs.Step()) {
        std::string name = gs.Text(0);
        groups_[name] = GroupInfo{name, GroupArn(name), LoadTime(gs.Int64(1)), LoadTime(gs.Int64(2))};
    }
    gs.Reset();
    if (!groups_.count("default")) {
        GroupInfo d{"default", GroupArn("default"), clock_.Now(), clock_.Now()};
        SaveGroup(d);
        groups_["default"] = d;
    }
    auto& ss = db_.Prepare("SELECT grp, name, schedule, last_slot_ns, firings FROM scheduler_schedules");
    while (ss.Step()) {
        auto j = events::Json::parse(ss.Text(2));
        auto e = std::make_unique<Entry>();
        // A stored spec was valid when saved (its EndDate may have passed since: Arm finishes it).
        ScheduleSpec spec = LoadSpec(ss.Text(0), ss.Text(1), j);
        e->expression = events::ScheduleExpression::Parse(spec.expression, true).value();
        e->zone = events::TimeZone::Load(spec.timezone).value();
        e->info.spec = std::move(spec);
        e->info.arn = j.at("arn").get<std::string>();
        e->info.creation_date = LoadTime(j.at("created").get<std::int64_t>());
        e->info.last_modification_date = LoadTime(j.at("modified").get<std::int64_t>());
        e->anchor = LoadTime(j.at("anchor").get<std::int64_t>());
        e->last_slot = LoadTime(ss.Int64(3));
        e->info.firings = static_cast<std::uint64_t>(ss.Int64(4));
        schedules_[e->info.spec.group + "/" + e->info.spec.name] = std::move(e);
    }
    ss.Reset();
    for (auto& [k, e] : schedules_) Arm(*e, true);
    if (!schedules_.empty()) spdlog::info("[scheduler] loaded {} schedules in {} groups", schedules_.size(), groups_.size());
}

void SchedulerEngine::SaveGroup(const GroupInfo& g) {
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("INSERT OR REPLACE INTO scheduler_groups (name, created_ns, modified_ns) VALUES (?1, ?2, ?3)")
        .BindAll(g.name, StoredTime(g.creation_date), StoredTime(g.last_modification_date))
        .Execute();
    scope.Commit();
}

void SchedulerEngine::SaveSchedule(const Entry& e) {
    auto j = StoredSpec(e.info.spec);
    j["arn"] = e.info.arn;
    j["created"] = StoredTime(e.info.creation_date);
    j["modified"] = StoredTime(e.info.last_modification_date);
    j["anchor"] = StoredTime(e.anchor);
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("INSERT OR REPLACE INTO scheduler_schedules (grp, name, schedule, last_slot_ns, firings)"
                " VALUES (?1, ?2, ?3, ?4, ?5)")
        .BindAll(e.info.spec.group, e.info.spec.name, j.dump(), StoredTime(e.last_slot),
                 static_cast<std::int64_t>(e.info.firings))
        .Execute();
    scope.Commit();
}

void SchedulerEngine::SaveFiring(const Entry& e) {
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("UPDATE scheduler_schedules SET last_slot_ns = ?3, firings = ?4 WHERE grp = ?1 AND name = ?2")
        .BindAll(e.info.spec.group, e.info.spec.name, StoredTime(e.last_slot), static_cast<std::int64_t>(e.info.firings))
        .Execute();
    scope.Commit();
}

void SchedulerEngine::EraseSchedule(const ScheduleSpec& s) {
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM scheduler_schedules WHERE grp = ?1 AND name = ?2").BindAll(s.group, s.name).Execute();
    scope.Commit();
}

std::string SchedulerEngine::GroupArn(const std::string& name) const {
    return "arn:aws:scheduler:" + region_ + ":" + account_id_ + ":schedule-group/" + name;
}

SchedulerResult<core::Unit> SchedulerEngine::Prepare(const ScheduleSpec& s, Entry& e) const {
    if (!ValidName(s.name)) return Err(SchedulerErrorCode::kValidation, "Invalid schedule name: " + s.name);
    if (!groups_.count(s.group)) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule group " + s.group + " does not exist.");
    auto expr = events::ScheduleExpression::Parse(s.expression, true);
    if (!expr) return Err(SchedulerErrorCode::kValidation, "Invalid Schedule Expression " + s.expression + ". " + expr.error().message);
    auto zone = events::TimeZone::Load(s.timezone.empty() ? "UTC" : s.timezone);
    if (!zone) return Err(SchedulerErrorCode::kValidation, "Invalid ScheduleExpressionTimezone " + s.timezone + ".");
    if (auto v = events::ValidateTargetArn(s.target.arn); !v) return Err(SchedulerErrorCode::kValidation, v.error().message);
    if (auto v = events::ValidateRetryPolicy(s.target.retry_policy); !v)
        return Err(SchedulerErrorCode::kValidation, v.error().message);
    if (!s.target.dead_letter_arn.empty() && events::KindOf(s.target.dead_letter_arn) != events::TargetKind::kSqs)
        return Err(SchedulerErrorCode::kValidation, "DeadLetterConfig Arn must be an SQS queue ARN.");
    if (s.flexible && (s.maximum_window_minutes < 1 || s.maximum_window_minutes > 1440))
        return Err(SchedulerErrorCode::kValidation, "MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE.");
    if (s.start_date && s.end_date && *s.end_date <= *s.start_date)
        return Err(SchedulerErrorCode::kValidation, "The EndDate must be after the StartDate.");
    if (s.end_date && *s.end_date <= clock_.Now())
        return Err(SchedulerErrorCode::kValidation, "The EndDate you specify cannot be earlier than the current time.");
    e.info.spec = s;
    e.expression = std::move(expr).value();
    e.zone = std::move(zone).value();
    return core::Unit{};
}

SchedulerResult<std::string> SchedulerEngine::CreateSchedule(const ScheduleSpec& s) {
    std::string key = s.group + "/" + s.name;
    if (schedules_.count(key)) return Err(SchedulerErrorCode::kConflict, "Schedule " + s.name + " already exists.");
    auto e = std::make_unique<Entry>();
    if (auto p = Prepare(s, *e); !p) return core::Fail(p.error());
    e->info.arn = "arn:aws:scheduler:" + region_ + ":" + account_id_ + ":schedule/" + s.group + "/" + s.name;
    e->info.creation_date = e->info.last_modification_date = clock_.Now();
    e->anchor = clock_.Now();
    e->last_slot = clock_.Now();
    // A rate schedule without StartDate "starts invoking the target immediately" (AWS docs).
    if (e->expression->kind() == events::ScheduleExpression::Kind::kRate && !s.start_date)
        e->last_slot -= std::chrono::nanoseconds(1);
    SaveSchedule(*e);
    Entry& ref = *e;
    schedules_[key] = std::move(e);
    Arm(ref);
    return ref.info.arn;
}

SchedulerResult<std::string> SchedulerEngine::UpdateSchedule(const ScheduleSpec& s) {
    auto it = schedules_.find(s.group + "/" + s.name);
    if (it == schedules_.end()) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule " + s.name + " does not exist.");
    Entry next = *it->second;
    next.timer = 0;
    if (auto p = Prepare(s, next); !p) return core::Fail(p.error());
    Entry& e = *it->second;
    if (e.info.spec.expression != s.expression) next.anchor = clock_.Now();
    next.info.last_modification_date = clock_.Now();
    next.last_slot = std::max(next.last_slot, clock_.Now());
    SaveSchedule(next);
    if (e.timer) clock_.Cancel(e.timer);
    e = std::move(next);
    Arm(e);
    return e.info.arn;
}

void SchedulerEngine::Arm(Entry& e, bool resuming) {
    if (e.timer) clock_.Cancel(e.timer);
    e.timer = 0;
    e.info.next_fire.reset();
    const ScheduleSpec& s = e.info.spec;
    bool one_time = e.expression->kind() == events::ScheduleExpression::Kind::kAt;
    auto next_after = [&](core::TimePoint after) {
        if (s.start_date && *s.start_date - std::chrono::nanoseconds(1) > after) after = *s.start_date - std::chrono::nanoseconds(1);
        // A rate schedule counts from its StartDate, else from its creation (first firing at once).
        if (e.expression->kind() == events::ScheduleExpression::Kind::kRate)
            return e.expression->NextAfter(after, *e.zone, s.start_date ? *s.start_date : e.anchor);
        return e.expression->NextAfter(after, *e.zone);
    };
    std::optional<core::TimePoint> slot = next_after(e.last_slot);
    core::TimePoint now = clock_.Now();
    if (resuming && !one_time && e.info.firings > 0) {
        // Only a recurring schedule's first firing is stored (see SaveFiring's caller): it
        // continues strictly after the time it resumes at, where every earlier slot either fired
        // (virtual time resumes where it was saved) or was missed while the process was down.
        slot = next_after(now);
    } else if (resuming && slot && *slot < now && !one_time) {
        // Missed while the process was down: continue with the next slot from now, no burst.
        auto resumed = next_after(now - std::chrono::nanoseconds(1));
        spdlog::info("[scheduler] {}: firings missed while stopped are skipped (the one due at {} and any later)",
                     e.info.arn, core::FormatIso8601(*slot));
        slot = resumed;
    }
    bool finished = !slot || (s.end_date && *slot > *s.end_date);
    if (finished) {
        if (s.delete_after_completion && e.info.firings > 0) {
            std::string key = s.group + "/" + s.name;
            clock_.ScheduleAfter(core::Duration{0}, [this, key] {
                auto it = schedules_.find(key);
                if (it == schedules_.end() || it->second->info.next_fire) return;
                EraseSchedule(it->second->info.spec);
                schedules_.erase(it);
            });
        }
        return;
    }
    if (!s.enabled) return;
    core::TimePoint at = std::max(*slot, now);  // a one-time schedule missed while stopped fires at once
    if (s.flexible) {
        auto window_ms = static_cast<std::int64_t>(s.maximum_window_minutes) * 60000;
        at += std::chrono::milliseconds(static_cast<std::int64_t>(random_.Below(static_cast<std::uint64_t>(window_ms))));
    }
    e.info.next_fire = at;
    std::string key = s.group + "/" + s.name;
    core::TimePoint nominal = *slot;
    e.timer = clock_.Schedule(at, [this, key, nominal] {
        auto it = schedules_.find(key);
        if (it == schedules_.end()) return;
        it->second->timer = 0;
        it->second->last_slot = nominal;
        Fire(key);
    });
}

void SchedulerEngine::Fire(const std::string& key) {
    Entry& e = *schedules_.at(key);
    ++firings_;
    ++e.info.firings;
    // A one-time schedule's firing must be stored (it must never fire again); a recurring one's
    // only the first time (whether it ever fired decides how it resumes, see Arm). Writing every
    // firing would cost a commit per firing when virtual time races through a month.
    if (e.expression->kind() == events::ScheduleExpression::Kind::kAt || e.info.firings == 1) SaveFiring(e);
    // Scheduler sends the target's Input as is (templated targets have no event envelope).
    delivery_.Deliver(e.info.spec.target, e.info.spec.target.input.value_or("{}"), {"SCHEDULE_ARN", e.info.arn});
    Arm(e);
}

SchedulerResult<ScheduleInfo> SchedulerEngine::GetSchedule(const std::string& name, const std::string& group) const {
    auto it = schedules_.find((group.empty() ? "default" : group) + "/" + name);
    if (it == schedules_.end()) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule " + name + " does not exist.");
    return it->second->info;
}

core::Page<ScheduleInfo> SchedulerEngine::ListSchedules(const std::string& group, const std::string& prefix,
                                                        const std::string& state, const std::string& after,
                                                        std::size_t limit) const {
    return core::PageOf<ScheduleInfo>(
        schedules_, after, limit,
        [&](const auto& e) {
            const auto& s = e->info.spec;
            return (group.empty() || s.group == group) && s.name.rfind(prefix, 0) == 0 &&
                   (state.empty() || (state == "ENABLED") == s.enabled);
        },
        [](const auto& e) { return e->info; });
}

SchedulerResult<core::Unit> SchedulerEngine::DeleteSchedule(const std::string& name, const std::string& group) {
    auto it = schedules_.find((group.empty() ? "default" : group) + "/" + name);
    if (it == schedules_.end()) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule " + name + " does not exist.");
    EraseSchedule(it->second->info.spec);
    if (it->second->timer) clock_.Cancel(it->second->timer);
    schedules_.erase(it);
    return core::Unit{};
}

SchedulerResult<std::string> SchedulerEngine::CreateScheduleGroup(const std::string& name) {
    if (!ValidName(name)) return Err(SchedulerErrorCode::kValidation, "Invalid schedule group name: " + name);
    if (groups_.count(name)) return Err(SchedulerErrorCode::kConflict, "Schedule group " + name + " already exists.");
    GroupInfo g{name, GroupArn(name), clock_.Now(), clock_.Now()};
    SaveGroup(g);
    groups_[name] = g;
    return GroupArn(name);
}

SchedulerResult<GroupInfo> SchedulerEngine::GetScheduleGroup(const std::string& name) const {
    auto it = groups_.find(name);
    if (it == groups_.end()) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule group " + name + " does not exist.");
    return it->second;
}

core::Page<GroupInfo> SchedulerEngine::ListScheduleGroups(const std::string& prefix, const std::string& after,
                                                          std::size_t limit) const {
    return core::PageOf<GroupInfo>(
        groups_, after, limit, [&](const GroupInfo& g) { return g.name.rfind(prefix, 0) == 0; },
        [](const GroupInfo& g) { return g; });
}

SchedulerResult<core::Unit> SchedulerEngine::DeleteScheduleGroup(const std::string& name) {
    if (name == "default") return Err(SchedulerErrorCode::kValidation, "The default schedule group cannot be deleted.");
    if (!groups_.count(name)) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule group " + name + " does not exist.");
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM scheduler_schedules WHERE grp = ?1").BindAll(name).Execute();
    db_.Prepare("DELETE FROM scheduler_groups WHERE name = ?1").BindAll(name).Execute();
    scope.Commit();
    groups_.erase(name);
    for (auto it = schedules_.begin(); it != schedules_.end();) {
        if (it->second->info.spec.group == name) {
            if (it->second->timer) clock_.Cancel(it->second->timer);
            it = schedules_.erase(it);
        } else {
            ++it;
        }
    }
    return core::Unit{};
}

}  // namespace sim::aws::scheduler
