#include "sim/aws/sfn/engine/engine.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "sim/store/migrations.hpp"

namespace sim::aws::sfn::engine {

namespace {

const store::Migration kMigrations[] = {
    {1,
     "CREATE TABLE sfn_state_machines ("
     "  arn TEXT PRIMARY KEY, seq INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,"
     "  definition TEXT NOT NULL, role_arn TEXT NOT NULL, revision_id TEXT NOT NULL, description TEXT NOT NULL,"
     "  created_ns INTEGER NOT NULL, updated_ns INTEGER, logging TEXT NOT NULL, tracing TEXT NOT NULL);"
     "CREATE TABLE sfn_tags (resource TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
     "  PRIMARY KEY (resource, key)) WITHOUT ROWID;"
     "CREATE TABLE sfn_executions ("
     "  arn TEXT PRIMARY KEY, seq INTEGER NOT NULL, machine_arn TEXT NOT NULL, machine_name TEXT NOT NULL,"
     "  name TEXT NOT NULL, status TEXT NOT NULL, start_ns INTEGER NOT NULL, stop_ns INTEGER,"
     "  input TEXT NOT NULL, output TEXT, error TEXT NOT NULL, cause TEXT NOT NULL, seed INTEGER NOT NULL,"
     "  definition TEXT NOT NULL, role_arn TEXT NOT NULL, revision_id TEXT NOT NULL, test_case TEXT NOT NULL,"
     "  trace TEXT NOT NULL, parent_arn TEXT NOT NULL, parent_task INTEGER NOT NULL);"
     "CREATE INDEX sfn_executions_by_status ON sfn_executions (status);"
     "CREATE TABLE sfn_history (execution_arn TEXT NOT NULL, id INTEGER NOT NULL, previous_id INTEGER NOT NULL,"
     "  ts_ns INTEGER NOT NULL, type TEXT NOT NULL, details TEXT NOT NULL,"
     "  PRIMARY KEY (execution_arn, id)) WITHOUT ROWID;"
     "CREATE TABLE sfn_feedback (execution_arn TEXT NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL,"
     "  ref INTEGER NOT NULL, ts_ns INTEGER NOT NULL, payload TEXT NOT NULL,"
     "  PRIMARY KEY (execution_arn, seq)) WITHOUT ROWID;"},
    {2,
     "ALTER TABLE sfn_executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE sfn_executions ADD COLUMN redrive_ns INTEGER;"},
};

// AWS's redrive limits ("Redrive eligibility for unsuccessful executions").
constexpr auto kRedrivablePeriod = std::chrono::hours(24 * 14);
constexpr auto kMaxOpenTime = std::chrono::hours(24 * 365);
constexpr std::int64_t kMaxRedriveEvents = 24'999;
constexpr auto kClientTokenLife = std::chrono::minutes(15);
constexpr std::size_t kClientTokensKept = 10;

std::int64_t ToNs(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
TimePoint FromNs(std::int64_t ns) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

SfnError Err(SfnErrorCode code, std::string message) { return SfnError{code, std::move(message)}; }
SfnStatus OkStatus() { return core::Unit{}; }

std::string_view TypeName(MachineType t) { return t == MachineType::kExpress ? "EXPRESS" : "STANDARD"; }

ExecutionStatus StatusFromName(std::string_view s) {
    for (auto st : {ExecutionStatus::kRunning, ExecutionStatus::kSucceeded, ExecutionStatus::kFailed,
                    ExecutionStatus::kTimedOut, ExecutionStatus::kAborted})
        if (asl::ExecutionStatusName(st) == s) return st;
    return ExecutionStatus::kFailed;
}

/// AWS's name rule for machines and executions (1-80 characters, none of the listed ones).
bool ValidName(std::string_view name) {
    if (name.empty() || name.size() > 80) return false;
    for (unsigned char c : name) {
        if (c <= 0x20 || c == 0x7f) return false;
        if (std::string_view("<>{}[]?*\"#%\\^|~`$&,;:/").find(static_cast<char>(c)) != std::string_view::npos)
            return false;
    }
    return true;
}

std::vector<std::string> SplitArn(std::string_view arn) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        auto pos = arn.find(':', start);
        parts.emplace_back(arn.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return parts;
}

/// True for "arn:<partition>:states:<region>:<account>:<type>:..." with `parts` pieces in all.
bool ArnOfType(const std::vector<std::string>& p, std::string_view type, std::size_t parts) {
    return p.size() == parts && p[0] == "arn" && !p[1].empty() && p[2] == "states" && !p[3].empty() && p[5] == type &&
           std::all_of(p.begin() + 6, p.end(), [](const std::string& s) { return !s.empty(); });
}

bool EndsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr std::string_view kCallbackSuffix = ".waitForTaskToken";
constexpr std::string_view kStartExecution = "arn:aws:states:::states:startExecution";

}  // namespace

// --- runs and feedback ----------------------------------------------------------------------------

struct SfnEngine::Feedback {
    enum class Kind : int {
        kStart = 0,
        kTaskSucceeded = 1,
        kTaskFailed = 2,
        kHeartbeat = 3,
        kTimer = 4,
        kItems = 5,
        kStop = 6,
        kRedrive = 7
    };
    Kind kind = Kind::kStart;
    std::uint64_t ref = 0;
    TimePoint at{};
    Json output;          // kTaskSucceeded
    std::string error;    // kTaskFailed, kStop, kItems (failure)
    std::string cause;    // kTaskFailed, kStop
    std::optional<std::string> text;  // kItems success

    std::string Payload() const {
        switch (kind) {
            case Kind::kTaskSucceeded: return output.dump();
            case Kind::kTaskFailed:
            case Kind::kStop: return Json{{"error", error}, {"cause", cause}}.dump();
            case Kind::kItems: return text ? Json{{"text", *text}}.dump() : Json{{"error", error}}.dump();
            default: return "";
        }
    }
    static Feedback FromRow(int kind, std::uint64_t ref, TimePoint at, const std::string& payload) {
        Feedback f;
        f.kind = static_cast<Kind>(kind);
        f.ref = ref;
        f.at = at;
        Json p = payload.empty() ? Json() : Json::parse(payload, nullptr, false);
        switch (f.kind) {
            case Kind::kTaskSucceeded: f.output = p; break;
            case Kind::kTaskFailed:
            case Kind::kStop:
                f.error = p.value("error", std::string());
                f.cause = p.value("cause", std::string());
                break;
            case Kind::kItems:
                if (p.contains("text")) f.text = p["text"].get<std::string>();
                else f.error = p.value("error", std::string());
                break;
            default: break;
        }
        return f;
    }
};

struct SfnEngine::Run {
    struct Task {
        std::string token;
        std::string resource;  // as written in the definition
        bool callback = false;
        std::int64_t invocation = 0;  // 0-based count of this state's invocations (mocks)
    };
    std::uint64_t key = 0;
    ExecutionRecord* record = nullptr;
    std::unique_ptr<ExecutionRecord> owned_record;  // EXPRESS records, owned here once finished
    std::unique_ptr<asl::Execution> exec;
    bool durable = true;
    bool replaying = false;
    std::unordered_map<std::uint64_t, clock::TimerId> timers;  // interpreter id -> clock id (0: posted)
    std::unordered_map<std::uint64_t, Task> tasks;
    std::map<std::string, std::int64_t> invocations;
    std::int64_t feedback_seq = 0;
    std::vector<std::function<void(const ExecutionRecord&)>> waiters;
    // while replaying: what is still outstanding
    std::map<std::uint64_t, TimePoint> replay_timers;
    std::map<std::uint64_t, std::pair<asl::InvokeTask, std::int64_t>> replay_tasks;
    std::map<std::uint64_t, asl::ReadItems> replay_reads;
};

// --- construction ---------------------------------------------------------------------------------

SfnEngine::SfnEngine(core::EventLoop& loop, clock::Clock& clock, store::Database& db, store::GroupCommit& group,
                     Integrations* integrations, EngineOptions options)
    : loop_(loop),
      clock_(clock),
      db_(db),
      group_(group),
      integrations_(integrations),
      options_(std::move(options)),
      ids_(options_.seed) {
    store::Migrate(db_, "sfn", kMigrations);
    Load();
}

SfnEngine::~SfnEngine() {
    for (auto& [key, run] : runs_)
        for (auto& [id, timer] : run->timers)
            if (timer) clock_.Cancel(timer);
}

std::string SfnEngine::MachineArn(const std::string& region, const std::string& name) const {
    return "arn:aws:states:" + (region.empty() ? options_.default_region : region) + ":" + options_.account_id +
           ":stateMachine:" + name;
}

SfnResult<std::shared_ptr<const MachineRevision>> SfnEngine::Compile(const std::string& definition,
                                                                     const std::string& role_arn) {
    auto parsed = asl::ParseDefinition(std::string_view(definition));
    if (!parsed) return core::Fail(Err(SfnErrorCode::kInvalidDefinition, parsed.error().Message()));
    auto rev = std::make_shared<MachineRevision>();
    rev->definition = definition;
    rev->parsed = std::move(parsed).value();
    rev->role_arn = role_arn;
    rev->revision_id = ids_.Uuid();
    return std::shared_ptr<const MachineRevision>(std::move(rev));
}

void SfnEngine::Load() {
    std::map<std::pair<std::string, std::string>, std::shared_ptr<const MachineRevision>> cache;
    auto revision = [&](const std::string& definition, const std::string& role, const std::string& id)
        -> std::shared_ptr<const MachineRevision> {
        auto& slot = cache[{definition, role}];
        if (slot) return slot;
        auto parsed = asl::ParseDefinition(std::string_view(definition));
        if (!parsed) return nullptr;
        auto rev = std::make_shared<MachineRevision>();
        rev->definition = definition;
        rev->parsed = std::move(parsed).value();
        rev->role_arn = role;
        rev->revision_id = id;
        slot = rev;
        return slot;
    };
    {
        auto st = db_.PrepareUncached(
            "SELECT arn, seq, name, type, definition, role_arn, revision_id, description, created_ns, updated_ns,"
            " logging, tracing FROM sfn_state_machines ORDER BY seq");
        while (st.Step()) {
            StateMachineInfo m;
            m.arn = st.Text(0);
            m.seq = st.Int64(1);
            m.name = st.Text(2);
            m.type = st.Text(3) == "EXPRESS" ? MachineType::kExpress : MachineType::kStandard;
            m.revision = revision(st.Text(4), st.Text(5), st.Text(6));
            if (!m.revision) {
                spdlog::warn("[sfn] stored definition of {} no longer parses; skipped", m.arn);
                continue;
            }
            m.description = st.Text(7);
            m.creation_date = FromNs(st.Int64(8));
            if (!st.IsNull(9)) m.update_date = FromNs(st.Int64(9));
            m.logging_configuration = Json::parse(st.Text(10), nullptr, false);
            m.tracing_configuration = Json::parse(st.Text(11), nullptr, false);
            next_machine_seq_ = std::max(next_machine_seq_, m.seq + 1);
            machines_[m.arn] = std::move(m);
        }
    }
    {
        auto st = db_.PrepareUncached("SELECT resource, key, value FROM sfn_tags");
        while (st.Step()) tags_[st.Text(0)][st.Text(1)] = st.Text(2);
    }
    std::vector<ExecutionRecord*> running;
    {
        auto st = db_.PrepareUncached(
            "SELECT arn, seq, machine_arn, machine_name, name, status, start_ns, stop_ns, input, output, error, cause,"
            " seed, definition, role_arn, revision_id, test_case, trace, parent_arn, parent_task, redrive_count,"
            " redrive_ns FROM sfn_executions ORDER BY seq");
        while (st.Step()) {
            auto r = std::make_unique<ExecutionRecord>();
            r->arn = st.Text(0);
            r->seq = st.Int64(1);
            r->state_machine_arn = st.Text(2);
            r->state_machine_name = st.Text(3);
            r->name = st.Text(4);
            r->status = StatusFromName(st.Text(5));
            r->start_date = FromNs(st.Int64(6));
            if (!st.IsNull(7)) r->stop_date = FromNs(st.Int64(7));
            r->input = st.Text(8);
            if (!st.IsNull(9)) r->output = st.Text(9);
            r->error = st.Text(10);
            r->cause = st.Text(11);
            r->seed = static_cast<std::uint64_t>(st.Int64(12));
            r->revision = revision(st.Text(13), st.Text(14), st.Text(15));
            r->test_case = st.Text(16);
            r->trace_header = st.Text(17);
            r->parent_execution_arn = st.Text(18);
            r->parent_task_id = static_cast<std::uint64_t>(st.Int64(19));
            r->redrive_count = st.Int64(20);
            if (!st.IsNull(21)) r->redrive_date = FromNs(st.Int64(21));
            next_execution_seq_ = std::max(next_execution_seq_, r->seq + 1);
            if (!r->revision) {
                spdlog::warn("[sfn] stored definition of execution {} no longer parses; skipped", r->arn);
                continue;
            }
            by_machine_[r->state_machine_arn][r->seq] = r.get();
            if (r->status == ExecutionStatus::kRunning) running.push_back(r.get());
            executions_[r->arn] = std::move(r);
        }
    }
    // Ids after a restart must not repeat the ones handed out before it.
    ids_ = core::IdGenerator(options_.seed ^ (static_cast<std::uint64_t>(next_execution_seq_) * 0x9e3779b97f4a7c15ull) ^
                             (static_cast<std::uint64_t>(next_machine_seq_) << 32));
    {
        // Logs of unsuccessful executions are kept for redrive during the redrivable period only.
        auto scope = group_.BeginWrite(db_);
        std::int64_t oldest = ToNs(clock_.Now() - kRedrivablePeriod);
        db_.Prepare("DELETE FROM sfn_feedback WHERE execution_arn IN (SELECT arn FROM sfn_executions"
                    " WHERE status <> 'RUNNING' AND stop_ns IS NOT NULL AND stop_ns < ?1)")
            .BindAll(oldest)
            .Execute();
        scope.Commit();
        auto st = db_.PrepareUncached(
            "SELECT arn, stop_ns FROM sfn_executions WHERE status IN ('FAILED', 'TIMED_OUT', 'ABORTED')"
            " AND stop_ns >= ?1 ORDER BY stop_ns");
        st.BindAll(oldest);
        while (st.Step()) kept_logs_.emplace_back(FromNs(st.Int64(1)), st.Text(0));
    }
    if (running.empty()) return;
    auto scope = group_.BeginWrite(db_);
    for (ExecutionRecord* r : running) {
        Run* run = Resume(r, LoadFeedback(r->arn));
        if (run->exec->status() != ExecutionStatus::kRunning) FinishReplayed(run);
    }
    // Tasks are re-armed once every execution is back, so a parent finds its .sync child.
    std::vector<Run*> live;
    for (auto& [key, run] : runs_) live.push_back(run.get());
    std::sort(live.begin(), live.end(), [](Run* a, Run* b) { return a->key < b->key; });
    for (Run* run : live) Rearm(run);
    scope.Commit();
    spdlog::info("[sfn] resumed {} running execution(s)", runs_.size());
}

SfnEngine::Run* SfnEngine::NewRun(ExecutionRecord* record) {
    auto run = std::make_unique<Run>();
    run->key = next_run_key_++;
    run->record = record;
    run->durable = record->type == MachineType::kStandard;
    asl::ExecutionInfo info;
    info.execution_arn = record->arn;
    info.name = record->name;
    info.role_arn = record->revision->role_arn;
    info.state_machine_arn = record->state_machine_arn;
    info.state_machine_name = record->state_machine_name;
    info.start_time = record->start_date;
    Json input = Json::parse(record->input, nullptr, false);
    run->exec = std::make_unique<asl::Execution>(record->revision->parsed, std::move(info), std::move(input), record->seed);
    Run* raw = run.get();
    run_by_arn_[record->arn] = run->key;
    runs_[run->key] = std::move(run);
    return raw;
}

std::vector<SfnEngine::Feedback> SfnEngine::LoadFeedback(const std::string& arn) {
    std::vector<Feedback> log;
    auto& st = db_.Prepare("SELECT kind, ref, ts_ns, payload FROM sfn_feedback WHERE execution_arn = ?1 ORDER BY seq");
    st.BindAll(arn);
    while (st.Step())
        log.push_back(Feedback::FromRow(static_cast<int>(st.Int64(0)), static_cast<std::uint64_t>(st.Int64(1)),
                                        FromNs(st.Int64(2)), st.Text(3)));
    st.Reset();
    return log;
}

SfnEngine::Run* SfnEngine::Resume(ExecutionRecord* record, const std::vector<Feedback>& log) {
    Run* run = NewRun(record);
    run->replaying = true;
    Feedback start;
    start.kind = Feedback::Kind::kStart;
    start.at = record->start_date;
    dispatching_ = true;
    try {
        // The whole log, redrives included: feedback for a finished execution is ignored.
        Process(*run, start);
        for (const auto& f : log) Process(*run, f);
    } catch (...) {
        dispatching_ = false;
        throw;
    }
    dispatching_ = false;
    run->feedback_seq = static_cast<std::int64_t>(log.size());
    run->replaying = false;
    return run;
}

void SfnEngine::FinishReplayed(Run* run) {
    // Replay reached the end (the finish itself was not recorded): record it now.
    run->replay_timers.clear();
    run->replay_tasks.clear();
    run->replay_reads.clear();
    asl::ExecutionFinished fin{run->exec->status(), run->exec->output(), run->exec->error(), run->exec->cause()};
    Finished(*run, fin);
    if (!dispatching_) finished_runs_.clear();
}

void SfnEngine::Rearm(Run* run) {
    const ExecutionRecord* record = run->record;
    auto timers = std::move(run->replay_timers);
    auto tasks = std::move(run->replay_tasks);
    auto reads = std::move(run->replay_reads);
    for (const auto& [id, at] : timers) ArmTimer(*run, id, at);
    for (const auto& [id, task] : tasks) {
        Run::Task& t = run->tasks[id];
        t.invocation = task.second;
        StartTask(*run, task.first, /*replaying=*/true);
    }
    for (const auto& [id, read] : reads) {
        std::uint64_t key = run->key;
        ItemsRequest req{record->arn, read.resource, read.parameters, SplitArn(record->arn)[3]};
        if (!integrations_) continue;
        integrations_->ReadItems(req, [this, key, id](core::Result<std::string> text) {
            auto it = runs_.find(key);
            if (it == runs_.end()) return;
            Feedback f;
            f.kind = Feedback::Kind::kItems;
            f.ref = id;
            if (text) f.text = std::move(text).value();
            else f.error = text.error().message;
            Feed(*it->second, std::move(f));
        });
    }
}

// --- the feedback loop ----------------------------------------------------------------------------

void SfnEngine::Feed(Run& run, Feedback feedback) {
    feedback.at = clock_.Now();
    if (dispatching_) {
        pending_.emplace_back(run.key, std::make_unique<Feedback>(std::move(feedback)));
        return;
    }
    dispatching_ = true;
    try {
        auto scope = group_.BeginWrite(db_);
        Process(run, feedback);
        while (!pending_.empty()) {
            auto [key, f] = std::move(pending_.front());
            pending_.pop_front();
            auto it = runs_.find(key);
            if (it != runs_.end()) Process(*it->second, *f);
        }
        scope.Commit();
    } catch (...) {
        dispatching_ = false;
        pending_.clear();
        finished_runs_.clear();
        throw;
    }
    dispatching_ = false;
    finished_runs_.clear();
}

void SfnEngine::Process(Run& run, const Feedback& f) {
    using K = Feedback::Kind;
    if (f.kind != K::kRedrive && run.exec->status() != ExecutionStatus::kRunning) return;
    asl::Execution& ex = *run.exec;
    std::vector<asl::Effect> effects;
    switch (f.kind) {
        case K::kStart: effects = ex.Start(f.at); break;
        case K::kTaskSucceeded:
            if (run.replaying) run.replay_tasks.erase(f.ref);
            effects = ex.TaskSucceeded(f.ref, f.output, f.at);
            break;
        case K::kTaskFailed:
            if (run.replaying) run.replay_tasks.erase(f.ref);
            effects = ex.TaskFailed(f.ref, f.error, f.cause, f.at);
            break;
        case K::kHeartbeat: effects = ex.TaskHeartbeat(f.ref, f.at); break;
        case K::kTimer:
            if (run.replaying) run.replay_timers.erase(f.ref);
            effects = ex.TimerFired(f.ref, f.at);
            break;
        case K::kItems:
            if (run.replaying) run.replay_reads.erase(f.ref);
            effects = f.text ? ex.ItemsRead(f.ref, *f.text, f.at)
                             : ex.ItemsRead(f.ref, core::Fail(core::Error::InvalidArgument(f.error)), f.at);
            break;
        case K::kStop: effects = ex.Stop(f.error, f.cause, f.at); break;
        case K::kRedrive: effects = ex.Redrive(f.at); break;
    }
    Apply(run, std::move(effects));
    // Also the feedback that ends the execution unsuccessfully: a redrive replays the log up to
    // that end first. A SUCCEEDED execution's log is dropped (Finished), so its last is not written.
    // (Feedback for other runs that Apply causes is queued, so the log stays in order.)
    if (run.durable && !run.replaying && f.kind != K::kStart && ex.status() != ExecutionStatus::kSucceeded)
        WriteFeedback(run, f);
}

void SfnEngine::WriteFeedback(Run& run, const Feedback& f) {
    db_.Prepare("INSERT INTO sfn_feedback (execution_arn, seq, kind, ref, ts_ns, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .BindAll(run.record->arn, ++run.feedback_seq, static_cast<int>(f.kind), static_cast<std::int64_t>(f.ref),
                 ToNs(f.at), f.Payload())
        .Execute();
}

void SfnEngine::Apply(Run& run, std::vector<asl::Effect> effects) {
    for (auto& effect : effects) {
        if (auto* e = std::get_if<asl::HistoryEvent>(&effect)) {
            if (history_listener_ && !run.replaying) {
                const bool state_event = e->type.ends_with("StateEntered") || e->type.ends_with("StateExited");
                history_listener_({run.record->arn, run.record->trace_header, e->type,
                                   state_event && e->details.is_object() ? e->details.value("name", std::string()) : std::string(),
                                   e->timestamp});
            }
            if (run.durable && !run.replaying) {
                db_.Prepare("INSERT INTO sfn_history (execution_arn, id, previous_id, ts_ns, type, details)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                    .BindAll(run.record->arn, e->id, e->previous_event_id, ToNs(e->timestamp), e->type,
                             e->details.dump(-1, ' ', false, Json::error_handler_t::replace))
                    .Execute();
            }
        } else if (auto* t = std::get_if<asl::ScheduleTimer>(&effect)) {
            if (run.replaying) run.replay_timers[t->timer_id] = t->at;
            else ArmTimer(run, t->timer_id, t->at);
        } else if (auto* c = std::get_if<asl::CancelTimer>(&effect)) {
            if (run.replaying) {
                run.replay_timers.erase(c->timer_id);
            } else if (auto it = run.timers.find(c->timer_id); it != run.timers.end()) {
                if (it->second) clock_.Cancel(it->second);
                run.timers.erase(it);
            }
        } else if (auto* i = std::get_if<asl::InvokeTask>(&effect)) {
            std::int64_t invocation = run.invocations[i->state_name]++;
            if (run.replaying) {
                run.replay_tasks[i->task_id] = {*i, invocation};
            } else {
                run.tasks[i->task_id].invocation = invocation;
                StartTask(run, *i, false);
            }
        } else if (auto* ct = std::get_if<asl::CancelTask>(&effect)) {
            if (run.replaying) {
                run.replay_tasks.erase(ct->task_id);
                continue;
            }
            auto it = run.tasks.find(ct->task_id);
            if (it == run.tasks.end()) continue;
            if (!it->second.token.empty()) tokens_.erase(it->second.token);
            run.tasks.erase(it);
            if (integrations_) integrations_->Cancel(run.record->arn, ct->task_id);
            // A .sync child is stopped with its parent's task.
            for (auto& [arn, rec] : executions_) {
                if (rec->parent_execution_arn == run.record->arn && rec->parent_task_id == ct->task_id &&
                    rec->status == ExecutionStatus::kRunning) {
                    if (auto r = run_by_arn_.find(arn); r != run_by_arn_.end()) {
                        Feedback stop;
                        stop.kind = Feedback::Kind::kStop;
                        stop.error = "States.Aborted";
                        stop.cause = "The parent execution's task was cancelled";
                        Feed(*runs_.at(r->second), std::move(stop));
                    }
                }
            }
        } else if (auto* rd = std::get_if<asl::ReadItems>(&effect)) {
            if (run.replaying) {
                run.replay_reads[rd->read_id] = *rd;
                continue;
            }
            std::uint64_t key = run.key, id = rd->read_id;
            auto done = [this, key, id](core::Result<std::string> text) {
                auto it = runs_.find(key);
                if (it == runs_.end()) return;
                Feedback f;
                f.kind = Feedback::Kind::kItems;
                f.ref = id;
                if (text) f.text = std::move(text).value();
                else f.error = text.error().message;
                Feed(*it->second, std::move(f));
            };
            if (!integrations_) {
                loop_.Post([done] { done(core::Fail(core::Error::FailedPrecondition("no integrations configured"))); });
                continue;
            }
            integrations_->ReadItems(ItemsRequest{run.record->arn, rd->resource, rd->parameters,
                                                  SplitArn(run.record->arn)[3]},
                                     done);
        } else if (auto* fin = std::get_if<asl::ExecutionFinished>(&effect)) {
            Finished(run, *fin);
            return;
        }
    }
}

void SfnEngine::ArmTimer(Run& run, std::uint64_t timer_id, TimePoint at) {
    std::uint64_t key = run.key;
    auto fire = [this, key, timer_id] {
        auto it = runs_.find(key);
        if (it == runs_.end()) return;
        Run& r = *it->second;
        if (!r.timers.erase(timer_id)) return;  // cancelled
        Feedback f;
        f.kind = Feedback::Kind::kTimer;
        f.ref = timer_id;
        Feed(r, std::move(f));
    };
    if (at <= clock_.Now()) {
        // Due now: run it on the loop rather than waiting for the clock to be advanced.
        run.timers[timer_id] = 0;
        loop_.Post(std::move(fire));
    } else {
        run.timers[timer_id] = clock_.Schedule(at, std::move(fire));
    }
}

void SfnEngine::DeliverTask(std::uint64_t run_key, std::uint64_t task_id, TaskOutcome outcome) {
    auto it = runs_.find(run_key);
    if (it == runs_.end()) return;
    Run& run = *it->second;
    auto t = run.tasks.find(task_id);
    if (t == run.tasks.end()) return;  // cancelled, timed out or already answered
    if (!t->second.token.empty()) tokens_.erase(t->second.token);
    run.tasks.erase(t);
    Feedback f;
    f.ref = task_id;
    if (outcome) {
        f.kind = Feedback::Kind::kTaskSucceeded;
        f.output = std::move(outcome).value();
    } else {
        f.kind = Feedback::Kind::kTaskFailed;
        f.error = outcome.error().error;
        f.cause = outcome.error().cause;
    }
    Feed(run, std::move(f));
}

void SfnEngine::StartTask(Run& run, const asl::InvokeTask& invoke, bool replaying) {
    Run::Task& task = run.tasks[invoke.task_id];
    task.resource = invoke.resource;
    std::string resource = invoke.resource;
    task.callback = EndsWith(resource, kCallbackSuffix);
    if (task.callback) {
        resource.resize(resource.size() - kCallbackSuffix.size());
        task.token = invoke.task_token;
        tokens_[task.token] = {run.key, invoke.task_id};
    }
    std::uint64_t key = run.key, id = invoke.task_id;
    const ExecutionRecord& rec = *run.record;
    if (!rec.test_case.empty() && options_.mocks) {
        if (auto mocked = options_.mocks->Find(rec.state_machine_name, rec.test_case, invoke.state_name, task.invocation)) {
            loop_.Post([this, key, id, outcome = std::move(*mocked)]() mutable { DeliverTask(key, id, std::move(outcome)); });
            return;
        }
    }
    if (replaying && task.callback) return;  // the token is valid again; the work was sent before
    if (resource.rfind(kStartExecution, 0) == 0) {
        if (replaying) {
            for (auto& [arn, child] : executions_) {
                if (child->parent_execution_arn != rec.arn || child->parent_task_id != id) continue;
                WatchChild(key, id, arn, EndsWith(resource, ".sync:2"));
                return;
            }
        }
        StartChild(run, invoke);
        return;
    }
    if (!integrations_) {
        loop_.Post([this, key, id] {
            DeliverTask(key, id, core::Fail(TaskFailure{"States.Runtime", "No integrations are configured"}));
        });
        return;
    }
    TaskRequest req;
    req.execution_arn = rec.arn;
    req.state_machine_arn = rec.state_machine_arn;
    req.state_name = invoke.state_name;
    req.task_id = id;
    req.resource = resource;
    req.parameters = invoke.parameters;
    req.task_token = invoke.task_token;
    req.region = SplitArn(rec.arn)[3];
    req.trace_header = rec.trace_header;
    req.timeout_seconds = invoke.timeout_seconds;
    req.heartbeat_seconds = invoke.heartbeat_seconds;
    bool callback = task.callback;
    integrations_->Invoke(req, [this, key, id, callback](TaskOutcome outcome) {
        // With .waitForTaskToken the call's own result is not the task's result; only a failure
        // to make the call ends the task.
        if (callback && outcome) return;
        DeliverTask(key, id, std::move(outcome));
    });
}

Json SfnEngine::ChildOutput(const ExecutionRecord& child, bool json_io) const {
    Json out = {{"ExecutionArn", child.arn},
                {"Name", child.name},
                {"StateMachineArn", child.state_machine_arn},
                {"Status", asl::ExecutionStatusName(child.status)},
                {"StartDate", core::ToEpochMillis(child.start_date)}};
    if (child.stop_date) out["StopDate"] = core::ToEpochMillis(*child.stop_date);
    auto io = [&](const std::string& text) -> Json {
        if (!json_io) return text;
        Json j = Json::parse(text, nullptr, false);
        return j.is_discarded() ? Json(text) : j;
    };
    out["Input"] = io(child.input);
    out["InputDetails"] = {{"Included", true}};
    if (child.output) {
        out["Output"] = io(*child.output);
        out["OutputDetails"] = {{"Included", true}};
    }
    if (!child.error.empty()) out["Error"] = child.error;
    if (!child.cause.empty()) out["Cause"] = child.cause;
    return out;
}

void SfnEngine::StartChild(Run& run, const asl::InvokeTask& invoke) {
    std::uint64_t key = run.key, id = invoke.task_id;
    std::string resource = invoke.resource;
    if (EndsWith(resource, kCallbackSuffix)) resource.resize(resource.size() - kCallbackSuffix.size());
    bool sync = EndsWith(resource, ".sync") || EndsWith(resource, ".sync:2");
    bool json_io = EndsWith(resource, ".sync:2");
    const Json& p = invoke.parameters;
    auto fail = [this, key, id](std::string error, std::string cause) {
        loop_.Post([this, key, id, error, cause] { DeliverTask(key, id, core::Fail(TaskFailure{error, cause})); });
    };
    if (!p.is_object() || !p.contains("StateMachineArn") || !p["StateMachineArn"].is_string()) {
        fail("States.Runtime", "states:startExecution needs a StateMachineArn string parameter");
        return;
    }
    StartExecutionRequest req;
    req.state_machine_arn = p["StateMachineArn"].get<std::string>();
    if (p.contains("Name") && p["Name"].is_string()) req.name = p["Name"].get<std::string>();
    if (p.contains("Input")) req.input = p["Input"].is_string() ? p["Input"].get<std::string>() : p["Input"].dump();
    req.trace_header = run.record->trace_header;
    auto started = Begin(req, false, nullptr);
    if (!started) {
        static const std::map<SfnErrorCode, std::string> kNames = {
            {SfnErrorCode::kStateMachineDoesNotExist, "StepFunctions.StateMachineDoesNotExistException"},
            {SfnErrorCode::kExecutionAlreadyExists, "StepFunctions.ExecutionAlreadyExistsException"},
            {SfnErrorCode::kInvalidArn, "StepFunctions.InvalidArnException"},
            {SfnErrorCode::kInvalidName, "StepFunctions.InvalidNameException"},
            {SfnErrorCode::kInvalidExecutionInput, "StepFunctions.InvalidExecutionInputException"}};
        auto n = kNames.find(started.error().code);
        fail(n == kNames.end() ? "StepFunctions.ValidationException" : n->second, started.error().message);
        return;
    }
    if (!sync) {
        Json out = {{"ExecutionArn", started->arn}, {"StartDate", core::ToEpochMillis(started->start_date)}};
        loop_.Post([this, key, id, out] { DeliverTask(key, id, out); });
        return;
    }
    if (auto it = executions_.find(started->arn); it != executions_.end()) {
        ExecutionRecord& child = *it->second;
        child.parent_execution_arn = run.record->arn;
        child.parent_task_id = id;
        if (child.type == MachineType::kStandard) SaveExecution(child);
    }
    WatchChild(key, id, started->arn, json_io);
}

void SfnEngine::WatchChild(std::uint64_t key, std::uint64_t id, const std::string& child_arn, bool json_io) {
    OnExecutionFinished(child_arn, [this, key, id, json_io](const ExecutionRecord& done) {
        if (done.status == ExecutionStatus::kSucceeded)
            DeliverTask(key, id, ChildOutput(done, json_io));
        else
            DeliverTask(key, id, core::Fail(TaskFailure{"States.TaskFailed", ChildOutput(done, json_io).dump()}));
    });
}

void SfnEngine::Finished(Run& run, const asl::ExecutionFinished& fin) {
    // While replaying, an end may be followed by a redrive in the log; Resume's caller finishes.
    if (run.replaying) return;
    ExecutionRecord& rec = *run.record;
    rec.status = fin.status;
    rec.stop_date = clock_.Now();
    if (fin.output) rec.output = fin.output->dump(-1, ' ', false, Json::error_handler_t::replace);
    rec.error = fin.error;
    rec.cause = fin.cause;
    for (auto& [id, timer] : run.timers)
        if (timer) clock_.Cancel(timer);
    run.timers.clear();
    for (auto& [id, task] : run.tasks) {
        if (!task.token.empty()) tokens_.erase(task.token);
        if (integrations_) integrations_->Cancel(rec.arn, id);
    }
    run.tasks.clear();
    if (run.durable) {
        SaveExecution(rec);
        // An unsuccessful execution keeps its log: RedriveExecution rebuilds it from there.
        if (run.feedback_seq > 0 && rec.status == ExecutionStatus::kSucceeded)
            db_.Prepare("DELETE FROM sfn_feedback WHERE execution_arn = ?1").BindAll(rec.arn).Execute();
        if (rec.status != ExecutionStatus::kSucceeded) KeepLog(*rec.stop_date, rec.arn);
    }
    auto waiters = std::move(run.waiters);
    run_by_arn_.erase(rec.arn);
    auto node = runs_.extract(run.key);
    if (!run.durable) {
        // EXPRESS: nothing is kept once it has ended.
        auto it = executions_.find(rec.arn);
        if (it != executions_.end()) {
            node.mapped()->owned_record = std::move(it->second);
            executions_.erase(it);
        }
    }
    ExecutionRecord copy = rec;
    finished_runs_.push_back(std::move(node.mapped()));
    for (auto& w : waiters) w(copy);
}

// --- persistence helpers --------------------------------------------------------------------------

void SfnEngine::SaveExecution(const ExecutionRecord& r) {
    db_.Prepare(
           "INSERT INTO sfn_executions (arn, seq, machine_arn, machine_name, name, status, start_ns, stop_ns, input,"
           " output, error, cause, seed, definition, role_arn, revision_id, test_case, trace, parent_arn, parent_task,"
           " redrive_count, redrive_ns)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
           " ON CONFLICT (arn) DO UPDATE SET status = ?6, stop_ns = ?8, output = ?10, error = ?11, cause = ?12,"
           " parent_arn = ?19, parent_task = ?20, redrive_count = ?21, redrive_ns = ?22")
        .BindAll(r.arn, r.seq, r.state_machine_arn, r.state_machine_name, r.name,
                 std::string(asl::ExecutionStatusName(r.status)), ToNs(r.start_date),
                 r.stop_date ? std::optional<std::int64_t>(ToNs(*r.stop_date)) : std::nullopt, r.input, r.output,
                 r.error, r.cause, static_cast<std::int64_t>(r.seed & 0x7fffffffffffffffull), r.revision->definition,
                 r.revision->role_arn, r.revision->revision_id, r.test_case, r.trace_header, r.parent_execution_arn,
                 static_cast<std::int64_t>(r.parent_task_id), r.redrive_count,
                 r.redrive_date ? std::optional<std::int64_t>(ToNs(*r.redrive_date)) : std::nullopt)
        .Execute();
}

void SfnEngine::SaveMachine(const StateMachineInfo& m) {
    db_.Prepare(
           "INSERT INTO sfn_state_machines (arn, seq, name, type, definition, role_arn, revision_id, description,"
           " created_ns, updated_ns, logging, tracing) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
           " ON CONFLICT (arn) DO UPDATE SET definition = ?5, role_arn = ?6, revision_id = ?7, updated_ns = ?10,"
           " logging = ?11, tracing = ?12")
        .BindAll(m.arn, m.seq, m.name, std::string(TypeName(m.type)), m.revision->definition, m.revision->role_arn,
                 m.revision->revision_id, m.description, ToNs(m.creation_date),
                 m.update_date ? std::optional<std::int64_t>(ToNs(*m.update_date)) : std::nullopt,
                 m.logging_configuration.dump(), m.tracing_configuration.dump())
        .Execute();
}

// --- state machines -------------------------------------------------------------------------------

SfnResult<StateMachineInfo> SfnEngine::CreateStateMachine(const CreateStateMachineRequest& request) {
    if (!ValidName(request.name))
        return core::Fail(Err(SfnErrorCode::kInvalidName, "Invalid Name: '" + request.name + "'"));
    if (request.role_arn.rfind("arn:", 0) != 0 || SplitArn(request.role_arn).size() < 6)
        return core::Fail(Err(SfnErrorCode::kInvalidArn, "Invalid Arn: 'Invalid Role Arn: " + request.role_arn + "'"));
    auto revision = Compile(request.definition, request.role_arn);
    if (!revision) return core::Fail(revision.error());
    std::string arn = MachineArn(request.region, request.name);
    if (auto it = machines_.find(arn); it != machines_.end()) {
        const StateMachineInfo& existing = it->second;
        if (existing.revision->definition == request.definition && existing.revision->role_arn == request.role_arn &&
            existing.type == request.type)
            return existing;
        return core::Fail(Err(SfnErrorCode::kStateMachineAlreadyExists, "State Machine Already Exists: '" + arn + "'"));
    }
    if (request.tags.size() > 50) return core::Fail(Err(SfnErrorCode::kTooManyTags, "Too many tags (at most 50)"));
    StateMachineInfo m;
    m.arn = arn;
    m.name = request.name;
    m.type = request.type;
    m.revision = *revision;
    m.description = request.description;
    m.creation_date = clock_.Now();
    m.logging_configuration = request.logging_configuration;
    m.tracing_configuration = request.tracing_configuration;
    m.seq = next_machine_seq_++;
    auto scope = group_.BeginWrite(db_);
    SaveMachine(m);
    for (const auto& [k, v] : request.tags) {
        db_.Prepare("INSERT OR REPLACE INTO sfn_tags (resource, key, value) VALUES (?1, ?2, ?3)").BindAll(arn, k, v).Execute();
    }
    scope.Commit();
    if (!request.tags.empty()) tags_[arn].insert(request.tags.begin(), request.tags.end());
    machines_[arn] = m;
    return m;
}

SfnResult<StateMachineInfo> SfnEngine::DescribeStateMachine(const std::string& arn) const {
    auto p = SplitArn(arn);
    if (!ArnOfType(p, "stateMachine", 7) && !ArnOfType(p, "stateMachine", 8))
        return core::Fail(Err(SfnErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"));
    auto it = machines_.find(arn);
    if (it == machines_.end())
        return core::Fail(Err(SfnErrorCode::kStateMachineDoesNotExist, "State Machine Does Not Exist: '" + arn + "'"));
    return it->second;
}

std::vector<StateMachineInfo> SfnEngine::ListStateMachines() const {
    std::vector<StateMachineInfo> out;
    for (const auto& [arn, m] : machines_) out.push_back(m);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    return out;
}

SfnResult<StateMachineInfo> SfnEngine::UpdateStateMachine(const UpdateStateMachineRequest& request) {
    auto found = DescribeStateMachine(request.arn);
    if (!found) return core::Fail(found.error());
    StateMachineInfo& m = machines_[request.arn];
    std::string definition = request.definition.value_or(m.revision->definition);
    std::string role = request.role_arn.value_or(m.revision->role_arn);
    if (request.role_arn && (role.rfind("arn:", 0) != 0 || SplitArn(role).size() < 6))
        return core::Fail(Err(SfnErrorCode::kInvalidArn, "Invalid Arn: 'Invalid Role Arn: " + role + "'"));
    StateMachineInfo updated = m;
    if (request.definition || request.role_arn) {
        auto revision = Compile(definition, role);
        if (!revision) return core::Fail(revision.error());
        updated.revision = *revision;
    }
    if (request.logging_configuration) updated.logging_configuration = *request.logging_configuration;
    if (request.tracing_configuration) updated.tracing_configuration = *request.tracing_configuration;
    updated.update_date = clock_.Now();
    auto scope = group_.BeginWrite(db_);
    SaveMachine(updated);
    scope.Commit();
    m = updated;
    return m;
}

SfnStatus SfnEngine::DeleteStateMachine(const std::string& arn) {
    auto p = SplitArn(arn);
    if (!ArnOfType(p, "stateMachine", 7) && !ArnOfType(p, "stateMachine", 8))
        return core::Fail(Err(SfnErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"));
    // AWS answers success for a machine that does not exist (the call is idempotent).
    auto scope = group_.BeginWrite(db_);
    db_.Prepare("DELETE FROM sfn_state_machines WHERE arn = ?1").BindAll(arn).Execute();
    db_.Prepare("DELETE FROM sfn_tags WHERE resource = ?1").BindAll(arn).Execute();
    scope.Commit();
    machines_.erase(arn);
    tags_.erase(arn);
    return OkStatus();
}

// --- executions -----------------------------------------------------------------------------------

SfnResult<ExecutionRecord> SfnEngine::Begin(const StartExecutionRequest& request, bool sync,
                                             std::function<void(const ExecutionRecord&)> done) {
    std::string machine_arn = request.state_machine_arn;
    std::string test_case;
    if (auto hash = machine_arn.find('#'); hash != std::string::npos) {
        test_case = machine_arn.substr(hash + 1);
        machine_arn.resize(hash);
    }
    auto found = DescribeStateMachine(machine_arn);
    if (!found) return core::Fail(found.error());
    const StateMachineInfo& m = machines_.at(machine_arn);
    if (sync && m.type != MachineType::kExpress)
        return core::Fail(Err(SfnErrorCode::kStateMachineTypeNotSupported,
                              "This operation is not supported by this type of state machine"));
    if (!test_case.empty() && (!options_.mocks || !options_.mocks->HasTestCase(m.name, test_case)))
        return core::Fail(Err(SfnErrorCode::kValidation, "Test case '" + test_case + "' is not defined for state machine '" +
                                                             m.name + "' in the mock configuration"));
    if (runs_.size() >= options_.max_open_executions)
        return core::Fail(Err(SfnErrorCode::kExecutionLimitExceeded,
                              "Execution Limit Exceeded: at most " + std::to_string(options_.max_open_executions) +
                                  " open executions"));
    std::string input = request.input.value_or("{}");
    Json parsed = Json::parse(input, nullptr, false);
    if (parsed.is_discarded())
        return core::Fail(Err(SfnErrorCode::kInvalidExecutionInput,
                              "Invalid State Machine Execution Input: 'the input is not valid JSON'"));
    if (input.size() > asl::kMaxPayloadBytes)
        return core::Fail(Err(SfnErrorCode::kInvalidExecutionInput,
                              "Invalid State Machine Execution Input: 'the input exceeds 262144 bytes'"));
    auto p = SplitArn(machine_arn);
    std::string prefix = "arn:" + p[1] + ":states:" + p[3] + ":" + p[4] + ":";
    std::string name;
    if (request.name) {
        name = *request.name;
        if (!ValidName(name)) return core::Fail(Err(SfnErrorCode::kInvalidName, "Invalid Name: '" + name + "'"));
    }
    bool express = m.type == MachineType::kExpress;
    std::string arn;
    if (request.name) {
        arn = prefix + (express ? "express:" : "execution:") + m.name + ":" + name;
        if (express) arn += ":" + ids_.Uuid();
    } else {
        do {
            name = ids_.Uuid();
            arn = prefix + (express ? "express:" : "execution:") + m.name + ":" + name;
            if (express) arn += ":" + ids_.Uuid();
        } while (executions_.contains(arn));
    }
    if (auto it = executions_.find(arn); it != executions_.end()) {
        ExecutionRecord* existing = it->second.get();
        // AWS: same name and input as a RUNNING execution answers that execution; otherwise the
        // name is taken (docs: StartExecution, "Idempotency").
        if (existing->status == ExecutionStatus::kRunning && existing->input == input && !sync) return *existing;
        return core::Fail(Err(SfnErrorCode::kExecutionAlreadyExists, "Execution Already Exists: '" + arn + "'"));
    }
    auto rec = std::make_unique<ExecutionRecord>();
    rec->arn = arn;
    rec->state_machine_arn = machine_arn;
    rec->state_machine_name = m.name;
    rec->name = name;
    rec->type = m.type;
    rec->start_date = clock_.Now();
    rec->input = input;
    rec->trace_header = request.trace_header;
    rec->test_case = test_case;
    rec->seed = ids_.random().NextU64() & 0x7fffffffffffffffull;
    rec->seq = next_execution_seq_++;
    rec->revision = m.revision;
    ExecutionRecord* raw = rec.get();
    executions_[arn] = std::move(rec);
    if (!express) by_machine_[machine_arn][raw->seq] = raw;
    auto scope = group_.BeginWrite(db_);
    if (!express) SaveExecution(*raw);
    Run* run = NewRun(raw);
    if (done) run->waiters.push_back(std::move(done));
    ExecutionRecord started = *raw;  // EXPRESS records may be gone once Start has run
    Feedback start;
    start.kind = Feedback::Kind::kStart;
    Feed(*run, std::move(start));
    scope.Commit();
    return started;
}

SfnResult<ExecutionRecord> SfnEngine::StartExecution(const StartExecutionRequest& request) {
    return Begin(request, false, nullptr);
}

SfnStatus SfnEngine::StartSyncExecution(const StartExecutionRequest& request,
                                        std::function<void(const ExecutionRecord&)> done) {
    auto r = Begin(request, true, std::move(done));
    if (!r) return core::Fail(r.error());
    return OkStatus();
}

bool SfnEngine::OnExecutionFinished(const std::string& arn, std::function<void(const ExecutionRecord&)> done) {
    if (auto it = run_by_arn_.find(arn); it != run_by_arn_.end()) {
        runs_.at(it->second)->waiters.push_back(std::move(done));
        return true;
    }
    auto it = executions_.find(arn);
    if (it == executions_.end()) return false;
    ExecutionRecord copy = *it->second;
    loop_.Post([done = std::move(done), copy] { done(copy); });
    return true;
}

SfnResult<ExecutionRecord> SfnEngine::DescribeExecution(const std::string& arn) const {
    auto p = SplitArn(arn);
    if (!ArnOfType(p, "execution", 8) && !ArnOfType(p, "express", 9))
        return core::Fail(Err(SfnErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"));
    auto it = executions_.find(arn);
    if (it == executions_.end())
        return core::Fail(Err(SfnErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"));
    return *it->second;
}

SfnResult<std::vector<ExecutionRecord>> SfnEngine::ListExecutions(const std::string& machine_arn,
                                                                  std::optional<ExecutionStatus> status,
                                                                  std::int64_t before_seq, std::size_t max,
                                                                  std::optional<bool> redriven) const {
    auto found = DescribeStateMachine(machine_arn);
    if (!found) return core::Fail(found.error());
    std::vector<ExecutionRecord> out;
    auto it = by_machine_.find(machine_arn);
    if (it == by_machine_.end()) return out;
    const auto& list = it->second;
    auto pos = before_seq > 0 ? list.lower_bound(before_seq) : list.end();
    while (pos != list.begin()) {
        --pos;
        const ExecutionRecord& r = *pos->second;
        if (status && r.status != *status) continue;
        if (redriven && (r.redrive_count > 0) != *redriven) continue;
        out.push_back(r);
        if (max && out.size() >= max) break;
    }
    return out;
}

SfnResult<std::vector<StoredEvent>> SfnEngine::GetExecutionHistory(const std::string& arn, bool reverse,
                                                                   std::int64_t after_id, std::size_t max) const {
    auto found = DescribeExecution(arn);
    if (!found) return core::Fail(found.error());
    std::vector<StoredEvent> out;
    if (found->type == MachineType::kExpress) return out;
    std::int64_t limit = max ? static_cast<std::int64_t>(max) : -1;
    auto& st = reverse ? db_.Prepare(
                             "SELECT id, previous_id, ts_ns, type, details FROM sfn_history WHERE execution_arn = ?1"
                             " AND id < ?2 ORDER BY id DESC LIMIT ?3")
                       : db_.Prepare(
                             "SELECT id, previous_id, ts_ns, type, details FROM sfn_history WHERE execution_arn = ?1"
                             " AND id > ?2 ORDER BY id LIMIT ?3");
    st.BindAll(arn, reverse && after_id == 0 ? INT64_MAX : after_id, limit);
    while (st.Step()) {
        StoredEvent e;
        e.id = st.Int64(0);
        e.previous_event_id = st.Int64(1);
        e.timestamp = FromNs(st.Int64(2));
        e.type = st.Text(3);
        e.details = Json::parse(st.Text(4), nullptr, false);
        out.push_back(std::move(e));
    }
    st.Reset();
    return out;
}

SfnResult<ExecutionRecord> SfnEngine::StopExecution(const std::string& arn, const std::string& error,
                                                    const std::string& cause) {
    auto found = DescribeExecution(arn);
    if (!found) return core::Fail(found.error());
    if (auto it = run_by_arn_.find(arn); it != run_by_arn_.end()) {
        Feedback stop;
        stop.kind = Feedback::Kind::kStop;
        stop.error = error;
        stop.cause = cause;
        Feed(*runs_.at(it->second), std::move(stop));
    }
    auto it = executions_.find(arn);
    if (it == executions_.end()) {  // an EXPRESS execution that just ended
        ExecutionRecord r = *found;
        r.status = ExecutionStatus::kAborted;
        r.stop_date = clock_.Now();
        return r;
    }
    return *it->second;
}

// --- redrive --------------------------------------------------------------------------------------

void SfnEngine::KeepLog(TimePoint stopped, const std::string& arn) {
    kept_logs_.emplace_back(stopped, arn);
    // Logs whose redrivable period has passed are dropped (unless the execution was redriven since
    // and is running again, or stopped again later: then a newer entry covers it).
    while (!kept_logs_.empty() && stopped - kept_logs_.front().first > kRedrivablePeriod) {
        auto it = executions_.find(kept_logs_.front().second);
        if (it != executions_.end() && it->second->stop_date && it->second->status != ExecutionStatus::kRunning &&
            *it->second->stop_date == kept_logs_.front().first)
            db_.Prepare("DELETE FROM sfn_feedback WHERE execution_arn = ?1").BindAll(it->first).Execute();
        kept_logs_.pop_front();
    }
}

std::optional<std::string> SfnEngine::RedriveBlocker(const ExecutionRecord& r) const {
    // The reasons are AWS's redriveStatusReason texts (DescribeExecution).
    if (r.type == MachineType::kExpress) return "Execution is of type EXPRESS and cannot be redriven";
    if (r.status == ExecutionStatus::kRunning) return "Execution is RUNNING and cannot be redriven";
    if (r.status == ExecutionStatus::kSucceeded) return "Execution is SUCCEEDED and cannot be redriven";
    if (!machines_.contains(r.state_machine_arn)) return "State machine is in DELETING status";
    TimePoint now = clock_.Now();
    if (r.stop_date && now - *r.stop_date > kRedrivablePeriod) return "Execution redrivable period exceeded";
    if (now - r.start_date > kMaxOpenTime) return "Execution has exceeded the max execution time";
    auto& st = db_.Prepare("SELECT COALESCE(MAX(id), 0) FROM sfn_history WHERE execution_arn = ?1");
    st.BindAll(r.arn);
    std::int64_t events = st.Step() ? st.Int64(0) : 0;
    st.Reset();
    if (events >= kMaxRedriveEvents) return "Execution history event limit exceeded";
    return std::nullopt;
}

SfnResult<ExecutionRecord> SfnEngine::RedriveExecution(const std::string& arn,
                                                       const std::optional<std::string>& client_token) {
    auto found = DescribeExecution(arn);
    if (!found) return core::Fail(found.error());
    auto it = executions_.find(arn);
    TimePoint now = clock_.Now();
    auto& recent = redrive_tokens_[arn];
    while (!recent.empty() && now - recent.front().first_used > kClientTokenLife) recent.pop_front();
    if (client_token && it != executions_.end()) {
        for (const auto& t : recent)
            if (t.token == *client_token) return *it->second;  // the redrive this token already made
    }
    auto not_redrivable = [&](const std::string& why) {
        return core::Fail(Err(SfnErrorCode::kExecutionNotRedrivable, "Execution '" + arn + "' cannot be redriven: " + why));
    };
    if (auto why = RedriveBlocker(*found)) return not_redrivable(*why);
    if (runs_.size() >= options_.max_open_executions)
        return core::Fail(Err(SfnErrorCode::kExecutionLimitExceeded,
                              "Execution Limit Exceeded: at most " + std::to_string(options_.max_open_executions) +
                                  " open executions"));
    ExecutionRecord& rec = *it->second;
    auto scope = group_.BeginWrite(db_);
    Run* run = Resume(&rec, LoadFeedback(arn));
    if (run->exec->status() != rec.status) {
        // The log does not lead to the recorded end: it was dropped (an execution stored before
        // redrive was supported, or one whose redrivable period passed while it was kept).
        run_by_arn_.erase(arn);
        runs_.erase(run->key);
        return not_redrivable("Execution was started before the launch of RedriveExecution");
    }
    rec.status = ExecutionStatus::kRunning;
    rec.stop_date.reset();
    rec.output.reset();
    rec.error.clear();
    rec.cause.clear();
    ++rec.redrive_count;
    rec.redrive_date = now;
    SaveExecution(rec);
    ExecutionRecord redriven = rec;
    Feedback redrive;
    redrive.kind = Feedback::Kind::kRedrive;
    Feed(*run, std::move(redrive));
    scope.Commit();
    if (client_token) {
        recent.push_back(RedriveToken{*client_token, now});
        if (recent.size() > kClientTokensKept) recent.pop_front();
    }
    return redriven;
}

// --- TestState ------------------------------------------------------------------------------------

struct SfnEngine::TestRun {
    std::uint64_t key = 0;
    std::string arn;
    std::string region;
    std::unique_ptr<asl::Execution> exec;
    std::function<void(SfnResult<TestStateResult>)> done;
    std::unordered_map<std::uint64_t, clock::TimerId> timers;
    bool trace_http = false;
    Json http_request;
    Json http_response;
};

namespace {

/// The states a single state's transitions name (Next, Default, Choices[].Next, Catch[].Next).
std::set<std::string> Targets(const Json& state) {
    std::set<std::string> out;
    auto add = [&](const Json& v) {
        if (v.is_string()) out.insert(v.get<std::string>());
    };
    if (state.contains("Next")) add(state["Next"]);
    if (state.contains("Default")) add(state["Default"]);
    for (const char* list : {"Choices", "Catch"})
        if (state.contains(list) && state[list].is_array())
            for (const auto& c : state[list])
                if (c.is_object() && c.contains("Next")) add(c["Next"]);
    return out;
}

}  // namespace

SfnResult<std::shared_ptr<const asl::StateMachine>> SfnEngine::TestMachine(const TestStateRequest& request,
                                                                          std::string& state_name) const {
    Json def = Json::parse(request.definition, nullptr, false);
    if (def.is_discarded() || !def.is_object())
        return core::Fail(Err(SfnErrorCode::kInvalidDefinition, "Invalid State Machine Definition: 'the definition is not a JSON object'"));
    if (!def.contains("States")) {
        if (request.state_name)
            return core::Fail(Err(SfnErrorCode::kValidation,
                                  "stateName can only be given with a complete state machine definition"));
        // One state: wrap it in a machine whose other states are placeholders for its targets.
        std::set<std::string> targets = Targets(def);
        state_name = "TestState";
        while (targets.contains(state_name)) state_name += "_";
        Json machine = {{"StartAt", state_name}, {"States", {{state_name, def}}}};
        if (def.contains("QueryLanguage")) machine["QueryLanguage"] = def["QueryLanguage"];
        for (const auto& t : targets) machine["States"][t] = {{"Type", "Succeed"}};
        def = std::move(machine);
    } else {
        state_name = request.state_name.value_or(def.value("StartAt", std::string()));
    }
    auto parsed = asl::ParseDefinition(def);
    if (!parsed) return core::Fail(Err(SfnErrorCode::kInvalidDefinition, parsed.error().Message()));
    if (!(*parsed)->Find(state_name))
        return core::Fail(Err(SfnErrorCode::kValidation, "State '" + state_name + "' is not defined in the definition"));
    return *parsed;
}

void SfnEngine::TestState(const TestStateRequest& request, std::function<void(SfnResult<TestStateResult>)> done) {
    auto fail = [this, &done](SfnErrorCode code, std::string message) {
        loop_.Post([done, code, message] { done(core::Fail(Err(code, message))); });
    };
    if (!request.role_arn.empty() && (request.role_arn.rfind("arn:", 0) != 0 || SplitArn(request.role_arn).size() < 6))
        return fail(SfnErrorCode::kInvalidArn, "Invalid Arn: 'Invalid Role Arn: " + request.role_arn + "'");
    Json input = Json::parse(request.input.value_or("{}"), nullptr, false);
    if (input.is_discarded())
        return fail(SfnErrorCode::kInvalidExecutionInput, "Invalid State Machine Execution Input: 'the input is not valid JSON'");
    asl::TestOptions options;
    if (request.variables) {
        options.variables = Json::parse(*request.variables, nullptr, false);
        if (!options.variables.is_object())
            return fail(SfnErrorCode::kValidation, "variables must be a JSON object");
    }
    auto machine = TestMachine(request, options.state_name);
    if (!machine) return fail(machine.error().code, machine.error().message);
    const asl::State& st = *(*machine)->Find(options.state_name);
    bool mocked = request.mock_result || request.mock_error;
    bool can_mock = st.type == asl::StateType::kTask || st.type == asl::StateType::kMap ||
                    st.type == asl::StateType::kParallel;
    if (mocked && !can_mock)
        return fail(SfnErrorCode::kValidation, "A mock can only be specified for Task, Map, or Parallel states");
    if (!mocked && (st.type == asl::StateType::kMap || st.type == asl::StateType::kParallel))
        return fail(SfnErrorCode::kValidation, "TestState supports Map and Parallel states only with a mock");
    if (!mocked && st.type == asl::StateType::kTask) {
        const std::string& r = st.resource;
        if (r.find(":activity:") != std::string::npos)
            return fail(SfnErrorCode::kValidation, "TestState does not support Activity tasks");
        if (EndsWith(r, kCallbackSuffix) || EndsWith(r, ".sync") || EndsWith(r, ".sync:2"))
            return fail(SfnErrorCode::kValidation,
                        "TestState supports the .sync and .waitForTaskToken patterns only with a mock");
        if (r.rfind(kStartExecution, 0) == 0)
            return fail(SfnErrorCode::kValidation, "TestState supports states:startExecution only with a mock");
    }
    options.mock_result = request.mock_result;
    if (request.mock_error) options.mock_error = asl::RuntimeError{request.mock_error->first, request.mock_error->second};
    options.retrier_retry_count = request.retrier_retry_count;

    auto run = std::make_unique<TestRun>();
    run->key = next_test_key_++;
    run->region = request.region.empty() ? options_.default_region : request.region;
    run->arn = "arn:aws:states:" + run->region + ":" + options_.account_id + ":execution:TestState:" + ids_.Uuid();
    run->done = std::move(done);
    run->trace_http = request.trace_http;
    asl::ExecutionInfo info;
    info.execution_arn = run->arn;
    info.name = run->arn.substr(run->arn.rfind(':') + 1);
    info.role_arn = request.role_arn;
    info.state_machine_arn = "arn:aws:states:" + run->region + ":" + options_.account_id + ":stateMachine:TestState";
    info.state_machine_name = "TestState";
    info.start_time = clock_.Now();
    run->exec = std::make_unique<asl::Execution>(*machine, std::move(info), std::move(input),
                                                 ids_.random().NextU64(), std::move(options));
    std::uint64_t key = run->key;
    asl::Execution* exec = run->exec.get();
    test_runs_[key] = std::move(run);
    // Started on the loop so that `done` never runs inside this call.
    loop_.Post([this, key, exec] {
        if (test_runs_.contains(key)) ApplyTest(key, exec->Start(clock_.Now()));
    });
}

void SfnEngine::CancelTestTimers(TestRun& run) {
    for (auto& [id, timer] : run.timers)
        if (timer) clock_.Cancel(timer);
    run.timers.clear();
}

void SfnEngine::ApplyTest(std::uint64_t key, std::vector<asl::Effect> effects) {
    auto found = test_runs_.find(key);
    if (found == test_runs_.end()) return;
    TestRun& run = *found->second;
    for (auto& effect : effects) {
        if (auto* t = std::get_if<asl::ScheduleTimer>(&effect)) {
            std::uint64_t id = t->timer_id;
            auto fire = [this, key, id] {
                auto it = test_runs_.find(key);
                if (it == test_runs_.end() || !it->second->timers.erase(id)) return;
                ApplyTest(key, it->second->exec->TimerFired(id, clock_.Now()));
            };
            if (t->at <= clock_.Now()) {
                run.timers[id] = 0;
                loop_.Post(std::move(fire));
            } else {
                run.timers[id] = clock_.Schedule(t->at, std::move(fire));
            }
        } else if (auto* c = std::get_if<asl::CancelTimer>(&effect)) {
            if (auto it = run.timers.find(c->timer_id); it != run.timers.end()) {
                if (it->second) clock_.Cancel(it->second);
                run.timers.erase(it);
            }
        } else if (auto* i = std::get_if<asl::InvokeTask>(&effect)) {
            std::uint64_t id = i->task_id;
            auto answer = [this, key, id](TaskOutcome outcome) {
                auto it = test_runs_.find(key);
                if (it == test_runs_.end()) return;
                asl::Execution& ex = *it->second->exec;
                if (outcome) ApplyTest(key, ex.TaskSucceeded(id, std::move(outcome).value(), clock_.Now()));
                else ApplyTest(key, ex.TaskFailed(id, outcome.error().error, outcome.error().cause, clock_.Now()));
            };
            if (!integrations_) {
                loop_.Post([answer] { answer(core::Fail(TaskFailure{"States.Runtime", "No integrations are configured"})); });
                continue;
            }
            TaskRequest req;
            req.execution_arn = run.arn;
            req.state_machine_arn = "arn:aws:states:" + run.region + ":" + options_.account_id + ":stateMachine:TestState";
            req.state_name = i->state_name;
            req.task_id = id;
            req.resource = i->resource;
            req.parameters = i->parameters;
            req.task_token = i->task_token;
            req.region = run.region;
            req.timeout_seconds = i->timeout_seconds;
            req.heartbeat_seconds = i->heartbeat_seconds;
            if (run.trace_http) {
                req.on_http = [this, key](const Json& request, const Json& response) {
                    auto it = test_runs_.find(key);
                    if (it == test_runs_.end()) return;
                    it->second->http_request = request;
                    it->second->http_response = response;
                };
            }
            integrations_->Invoke(req, std::move(answer));
        } else if (auto* ct = std::get_if<asl::CancelTask>(&effect)) {
            if (integrations_) integrations_->Cancel(run.arn, ct->task_id);
        } else if (auto* rd = std::get_if<asl::ReadItems>(&effect)) {
            std::uint64_t id = rd->read_id;
            loop_.Post([this, key, id] {
                auto it = test_runs_.find(key);
                if (it == test_runs_.end()) return;
                ApplyTest(key, it->second->exec->ItemsRead(
                                   id, core::Fail(core::Error::InvalidArgument("TestState does not read ItemReader sources")),
                                   clock_.Now()));
            });
        } else if (std::get_if<asl::ExecutionFinished>(&effect)) {
            const auto& outcome = run.exec->test_outcome();
            TestStateResult result;
            if (outcome) {
                result.status = outcome->status;
                if (outcome->output) result.output = outcome->output->dump(-1, ' ', false, Json::error_handler_t::replace);
                result.error = outcome->error;
                result.cause = outcome->cause;
                result.next_state = outcome->next_state;
                result.inspection = outcome->inspection;
            }
            if (run.http_request.is_object()) {
                result.inspection["request"] = run.http_request;
                result.inspection["response"] = run.http_response;
            }
            CancelTestTimers(run);
            auto done = std::move(run.done);
            test_runs_.erase(found);
            done(std::move(result));
            return;
        }
    }
}

// --- callbacks ------------------------------------------------------------------------------------

SfnResult<SfnEngine::Run*> SfnEngine::RunForToken(const std::string& token) {
    if (token.empty() || token.size() > 1024)
        return core::Fail(Err(SfnErrorCode::kInvalidToken, "Invalid Token: '" + token + "'"));
    auto it = tokens_.find(token);
    if (it == tokens_.end()) {
        bool hex = token.size() == 64 && std::all_of(token.begin(), token.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
        if (!hex) return core::Fail(Err(SfnErrorCode::kInvalidToken, "Invalid Token: '" + token + "'"));
        return core::Fail(Err(SfnErrorCode::kTaskDoesNotExist, "Task Does Not Exist: '" + token + "'"));
    }
    auto r = runs_.find(it->second.first);
    if (r == runs_.end()) return core::Fail(Err(SfnErrorCode::kTaskDoesNotExist, "Task Does Not Exist"));
    return r->second.get();
}

SfnStatus SfnEngine::SendTaskSuccess(const std::string& token, const std::string& output) {
    auto run = RunForToken(token);
    if (!run) return core::Fail(run.error());
    Json parsed = Json::parse(output, nullptr, false);
    if (parsed.is_discarded())
        return core::Fail(Err(SfnErrorCode::kInvalidOutput, "Invalid Output: 'the output is not valid JSON'"));
    auto [key, id] = tokens_.at(token);
    DeliverTask(key, id, std::move(parsed));
    return OkStatus();
}

SfnStatus SfnEngine::SendTaskFailure(const std::string& token, const std::string& error, const std::string& cause) {
    auto run = RunForToken(token);
    if (!run) return core::Fail(run.error());
    auto [key, id] = tokens_.at(token);
    DeliverTask(key, id, core::Fail(TaskFailure{error, cause}));
    return OkStatus();
}

SfnStatus SfnEngine::SendTaskHeartbeat(const std::string& token) {
    auto run = RunForToken(token);
    if (!run) return core::Fail(run.error());
    Feedback f;
    f.kind = Feedback::Kind::kHeartbeat;
    f.ref = tokens_.at(token).second;
    Feed(**run, std::move(f));
    return OkStatus();
}

// --- tags -----------------------------------------------------------------------------------------

SfnStatus SfnEngine::TagResource(const std::string& arn, const std::map<std::string, std::string>& tags) {
    if (!machines_.contains(arn)) return core::Fail(Err(SfnErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"));
    auto merged = tags_[arn];
    for (const auto& [k, v] : tags) merged[k] = v;
    if (merged.size() > 50) return core::Fail(Err(SfnErrorCode::kTooManyTags, "Too many tags (at most 50)"));
    auto scope = group_.BeginWrite(db_);
    for (const auto& [k, v] : tags)
        db_.Prepare("INSERT OR REPLACE INTO sfn_tags (resource, key, value) VALUES (?1, ?2, ?3)").BindAll(arn, k, v).Execute();
    scope.Commit();
    tags_[arn] = std::move(merged);
    return OkStatus();
}

SfnStatus SfnEngine::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
    if (!machines_.contains(arn)) return core::Fail(Err(SfnErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"));
    auto scope = group_.BeginWrite(db_);
    for (const auto& k : keys)
        db_.Prepare("DELETE FROM sfn_tags WHERE resource = ?1 AND key = ?2").BindAll(arn, k).Execute();
    scope.Commit();
    for (const auto& k : keys) tags_[arn].erase(k);
    return OkStatus();
}

SfnResult<std::map<std::string, std::string>> SfnEngine::ListTagsForResource(const std::string& arn) const {
    if (!machines_.contains(arn)) return core::Fail(Err(SfnErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"));
    auto it = tags_.find(arn);
    return it == tags_.end() ? std::map<std::string, std::string>{} : it->second;
}

void SfnEngine::Reset() {
    for (auto& [key, run] : runs_)
        for (auto& [id, timer] : run->timers)
            if (timer) clock_.Cancel(timer);
    runs_.clear();
    run_by_arn_.clear();
    tokens_.clear();
    redrive_tokens_.clear();
    kept_logs_.clear();
    for (auto& [key, t] : test_runs_) CancelTestTimers(*t);
    test_runs_.clear();
    pending_.clear();
    executions_.clear();
    by_machine_.clear();
    machines_.clear();
    tags_.clear();
    auto scope = group_.BeginWrite(db_);
    db_.Exec("DELETE FROM sfn_state_machines; DELETE FROM sfn_tags; DELETE FROM sfn_executions;"
             " DELETE FROM sfn_history; DELETE FROM sfn_feedback;");
    scope.Commit();
}

}  // namespace sim::aws::sfn::engine
