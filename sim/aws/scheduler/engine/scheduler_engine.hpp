#pragma once
// EventBridge Scheduler: schedules in groups, fired on the Clock at(), rate() or cron() in their
// ScheduleExpressionTimezone (DST-correct through TZif files), bounded by StartDate/EndDate,
// spread by a FlexibleTimeWindow (a seeded delay within the window), and delivered to SQS, Step
// Functions or in-process function targets by the shared TargetDelivery (RetryPolicy, DLQ).
// ActionAfterCompletion DELETE removes a schedule once it has no further firing.
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
//
// Durability: groups and schedules are rows of `scheduler_groups` / `scheduler_schedules`, written
// under the runtime's GroupCommit; a one-time schedule's firing is recorded (it never fires twice),
// a recurring schedule's first one too (later firings are not written: no commit per firing). At
// start every schedule is re-armed. Firings missed while the process was down are not made up in
// a burst: a recurring schedule continues with its next slot after the current time (a virtual
// clock resumes at its saved time, by which every earlier slot had fired); a one-time at()
// schedule whose time passed while down fires once, late, at start (Scheduler delivers each
// invocation at least once; ActionAfterCompletion then applies).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/aws/events/engine/schedule.hpp"
#include "sim/aws/events/engine/targets.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/page.hpp"
#include "sim/core/random.hpp"
#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"

namespace sim::aws::scheduler {

enum class SchedulerErrorCode { kValidation, kResourceNotFound, kConflict };
struct SchedulerError {
    SchedulerErrorCode code = SchedulerErrorCode::kValidation;
    std::string message;
};
template <typename T>
using SchedulerResult = core::Result<T, SchedulerError>;

struct ScheduleSpec {
    std::string name;
    std::string group = "default";
    std::string expression;
    std::string timezone = "UTC";
    std::optional<core::TimePoint> start_date;
    std::optional<core::TimePoint> end_date;
    bool enabled = true;
    bool flexible = false;
    int maximum_window_minutes = 0;
    bool delete_after_completion = false;
    std::string description;
    events::Target target;
};

struct ScheduleInfo {
    ScheduleSpec spec;
    std::string arn;
    core::TimePoint creation_date;
    core::TimePoint last_modification_date;
    std::optional<core::TimePoint> next_fire;
    std::uint64_t firings = 0;
};

struct GroupInfo {
    std::string name;
    std::string arn;
    core::TimePoint creation_date;
    core::TimePoint last_modification_date;
};

class SchedulerEngine {
public:
    /// Migrates and loads `db` (module "scheduler"); writes go through `group`. All references
    /// must outlive this object.
    SchedulerEngine(clock::Clock& clock, events::TargetDelivery& delivery, store::Database& db, store::GroupCommit& group,
                    std::string region, std::string account_id, std::uint64_t seed);
    ~SchedulerEngine();

    SchedulerResult<std::string> CreateSchedule(const ScheduleSpec& spec);
    SchedulerResult<std::string> UpdateSchedule(const ScheduleSpec& spec);
    SchedulerResult<ScheduleInfo> GetSchedule(const std::string& name, const std::string& group) const;
    /// `group` empty: all groups; `state` "", "ENABLED" or "DISABLED". Ordered by group then name,
    /// at most `limit`, after the page key `after` (a previous page's `next`; "" for the first).
    core::Page<ScheduleInfo> ListSchedules(const std::string& group, const std::string& prefix, const std::string& state,
                                           const std::string& after = "", std::size_t limit = 1000) const;
    SchedulerResult<core::Unit> DeleteSchedule(const std::string& name, const std::string& group);

    SchedulerResult<std::string> CreateScheduleGroup(const std::string& name);
    SchedulerResult<GroupInfo> GetScheduleGroup(const std::string& name) const;
    core::Page<GroupInfo> ListScheduleGroups(const std::string& prefix, const std::string& after = "",
                                             std::size_t limit = 1000) const;
    /// Deletes the group and its schedules; "default" cannot be deleted.
    SchedulerResult<core::Unit> DeleteScheduleGroup(const std::string& name);

    /// Wipes every schedule and group (the default group is re-created), in memory and on disk.
    void Reset();
    std::uint64_t Firings() const { return firings_; }

private:
    struct Entry;
    void Load();
    void SaveGroup(const GroupInfo& g);
    void SaveSchedule(const Entry& e);
    void SaveFiring(const Entry& e);
    void EraseSchedule(const ScheduleSpec& s);
    SchedulerResult<core::Unit> Prepare(const ScheduleSpec& spec, Entry& entry) const;
    /// `resuming`: armed at start after a restart (missed firings are skipped, see the header).
    void Arm(Entry& e, bool resuming = false);
    void Fire(const std::string& key);
    std::string GroupArn(const std::string& name) const;

    clock::Clock& clock_;
    events::TargetDelivery& delivery_;
    store::Database& db_;
    store::GroupCommit& group_;
    std::string region_;
    std::string account_id_;
    core::Random random_;
    std::map<std::string, GroupInfo> groups_;
    std::map<std::string, std::unique_ptr<Entry>> schedules_;  // "group/name"
    std::uint64_t firings_ = 0;
};

}  // namespace sim::aws::scheduler
