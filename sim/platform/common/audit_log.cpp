#include "sim/platform/common/audit_log.hpp"

#include "sim/core/time.hpp"

namespace sim::platform {

namespace {
const store::Migration kAuditMigrations[] = {
    {1,
     "CREATE TABLE audit_log ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT, actor TEXT NOT NULL, event_type TEXT NOT NULL, at TEXT NOT NULL, at_ms INTEGER NOT NULL,"
     " outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')), origin TEXT NOT NULL, resource TEXT NOT NULL,"
     " reason TEXT NOT NULL, trace_id TEXT NOT NULL);"
     "CREATE INDEX audit_log_at ON audit_log (at_ms);"
     "CREATE INDEX audit_log_actor ON audit_log (actor, at_ms);"
     "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN"
     " SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
     "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN"
     " SELECT RAISE(ABORT, 'audit_log is append-only'); END;"},
};
}  // namespace

std::span<const store::Migration> AuditLog::Migrations() { return kAuditMigrations; }

Json AuditEntry::ToJson() const {
    return {{"id", id},         {"actor", actor},       {"event_type", event_type}, {"at", at},
            {"outcome", outcome}, {"origin", origin}, {"resource", resource},     {"reason", reason},
            {"trace_id", trace_id}};
}

std::int64_t AuditLog::Record(AuditEntry e) {
    core::TimePoint now = clock_.Now();
    e.at = core::FormatIso8601(now);
    if (e.outcome.empty()) e.outcome = "success";
    if (e.origin.empty()) e.origin = "in-process";
    auto scope = db_.Write();
    db_.db()
        .Prepare("INSERT INTO audit_log (actor, event_type, at, at_ms, outcome, origin, resource, reason, trace_id)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        .BindAll(e.actor, e.event_type, e.at, core::ToEpochMillis(now), e.outcome, e.origin, e.resource, e.reason,
                 e.trace_id)
        .Execute();
    std::int64_t id = db_.db().LastInsertRowId();
    scope.Commit();
    return id;
}

std::vector<AuditEntry> AuditLog::Query(std::optional<core::TimePoint> since, const std::string& actor,
                                        std::int64_t after, std::size_t limit) const {
    auto& st = db_.db().Prepare(
        "SELECT id, actor, event_type, at, outcome, origin, resource, reason, trace_id FROM audit_log"
        " WHERE id > ?1 AND at_ms >= ?2 AND (?3 = '' OR actor = ?3) ORDER BY id LIMIT ?4");
    st.BindAll(after, since ? core::ToEpochMillis(*since) : INT64_MIN, actor, static_cast<std::int64_t>(limit));
    std::vector<AuditEntry> out;
    while (st.Step()) {
        out.push_back({st.Int64(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5), st.Text(6), st.Text(7),
                       st.Text(8)});
    }
    st.Reset();
    return out;
}

std::int64_t AuditLog::Count() const {
    auto& st = db_.db().Prepare("SELECT COUNT(*) FROM audit_log");
    st.Step();
    std::int64_t n = st.Int64(0);
    st.Reset();
    return n;
}

}  // namespace sim::platform
