#include "sim/aws/scheduler/engine/scheduler_engine.hpp"

#include <algorithm>

namespace sim::aws::scheduler {

namespace {
core::Failure<SchedulerError> Err(SchedulerErrorCode c, std::string m) { return core::Fail(SchedulerError{c, std::move(m)}); }

bool ValidName(const std::string& n) {
    return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
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

SchedulerEngine::SchedulerEngine(clock::Clock& clock, events::TargetDelivery& delivery, std::string region,
                                 std::string account_id, std::uint64_t seed)
    : clock_(clock), delivery_(delivery), region_(std::move(region)), account_id_(std::move(account_id)), random_(seed) {
    Reset();
}

SchedulerEngine::~SchedulerEngine() {
    for (auto& [k, e] : schedules_)
        if (e->timer) clock_.Cancel(e->timer);
}

void SchedulerEngine::Reset() {
    for (auto& [k, e] : schedules_)
        if (e->timer) clock_.Cancel(e->timer);
    schedules_.clear();
    groups_.clear();
    groups_["default"] = GroupInfo{"default", GroupArn("default"), clock_.Now(), clock_.Now()};
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
    if (e.timer) clock_.Cancel(e.timer);
    bool expression_changed = e.info.spec.expression != s.expression;
    e = std::move(next);
    e.info.last_modification_date = clock_.Now();
    if (expression_changed) e.anchor = clock_.Now();
    e.last_slot = std::max(e.last_slot, clock_.Now());
    Arm(e);
    return e.info.arn;
}

void SchedulerEngine::Arm(Entry& e) {
    if (e.timer) clock_.Cancel(e.timer);
    e.timer = 0;
    e.info.next_fire.reset();
    const ScheduleSpec& s = e.info.spec;
    std::optional<core::TimePoint> slot;
    core::TimePoint after = e.last_slot;
    if (s.start_date && *s.start_date - std::chrono::nanoseconds(1) > after) after = *s.start_date - std::chrono::nanoseconds(1);
    if (e.expression->kind() == events::ScheduleExpression::Kind::kRate) {
        // A rate schedule counts from its StartDate, else from its creation (first firing at once).
        core::TimePoint anchor = s.start_date ? *s.start_date : e.anchor;
        slot = e.expression->NextAfter(after, *e.zone, anchor);
    } else {
        slot = e.expression->NextAfter(after, *e.zone);
    }
    bool finished = !slot || (s.end_date && *slot > *s.end_date);
    if (finished) {
        if (s.delete_after_completion && e.info.firings > 0) {
            std::string key = s.group + "/" + s.name;
            clock_.ScheduleAfter(core::Duration{0}, [this, key] {
                auto it = schedules_.find(key);
                if (it != schedules_.end() && !it->second->info.next_fire) schedules_.erase(it);
            });
        }
        return;
    }
    if (!s.enabled) return;
    core::TimePoint at = *slot;
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
    // Scheduler sends the target's Input as is (templated targets have no event envelope).
    delivery_.Deliver(e.info.spec.target, e.info.spec.target.input.value_or("{}"), {"SCHEDULE_ARN", e.info.arn});
    Arm(e);
}

SchedulerResult<ScheduleInfo> SchedulerEngine::GetSchedule(const std::string& name, const std::string& group) const {
    auto it = schedules_.find((group.empty() ? "default" : group) + "/" + name);
    if (it == schedules_.end()) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule " + name + " does not exist.");
    return it->second->info;
}

std::vector<ScheduleInfo> SchedulerEngine::ListSchedules(const std::string& group, const std::string& prefix,
                                                         const std::string& state) const {
    std::vector<ScheduleInfo> out;
    for (const auto& [k, e] : schedules_) {
        const auto& s = e->info.spec;
        if (!group.empty() && s.group != group) continue;
        if (s.name.rfind(prefix, 0) != 0) continue;
        if (!state.empty() && (state == "ENABLED") != s.enabled) continue;
        out.push_back(e->info);
    }
    return out;
}

SchedulerResult<core::Unit> SchedulerEngine::DeleteSchedule(const std::string& name, const std::string& group) {
    auto it = schedules_.find((group.empty() ? "default" : group) + "/" + name);
    if (it == schedules_.end()) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule " + name + " does not exist.");
    if (it->second->timer) clock_.Cancel(it->second->timer);
    schedules_.erase(it);
    return core::Unit{};
}

SchedulerResult<std::string> SchedulerEngine::CreateScheduleGroup(const std::string& name) {
    if (!ValidName(name)) return Err(SchedulerErrorCode::kValidation, "Invalid schedule group name: " + name);
    if (groups_.count(name)) return Err(SchedulerErrorCode::kConflict, "Schedule group " + name + " already exists.");
    groups_[name] = GroupInfo{name, GroupArn(name), clock_.Now(), clock_.Now()};
    return GroupArn(name);
}

SchedulerResult<GroupInfo> SchedulerEngine::GetScheduleGroup(const std::string& name) const {
    auto it = groups_.find(name);
    if (it == groups_.end()) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule group " + name + " does not exist.");
    return it->second;
}

std::vector<GroupInfo> SchedulerEngine::ListScheduleGroups(const std::string& prefix) const {
    std::vector<GroupInfo> out;
    for (const auto& [n, g] : groups_)
        if (n.rfind(prefix, 0) == 0) out.push_back(g);
    return out;
}

SchedulerResult<core::Unit> SchedulerEngine::DeleteScheduleGroup(const std::string& name) {
    if (name == "default") return Err(SchedulerErrorCode::kValidation, "The default schedule group cannot be deleted.");
    if (!groups_.erase(name)) return Err(SchedulerErrorCode::kResourceNotFound, "Schedule group " + name + " does not exist.");
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
