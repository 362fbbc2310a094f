#pragma once
// The append-only audit trail (PCI DSS 10.2, DOMAIN §8): every read of cardholder data, every
// admin action, every sign-in failure and credential change. Each entry has the columns 10.2.2
// asks for — user id (`actor`), event type, date-time, success/failure (`outcome`), origin,
// affected resource — plus `reason` and `trace_id`. Rows can be added, never changed or deleted:
// SQLite triggers refuse UPDATE and DELETE (only ServiceDb::Wipe, for POST /_sim/reset, lifts them).
//
// Limitations: retention (10.5.1: 12 months, 3 immediately available) and export to S3 are not
// implemented; the table grows for the life of the data directory.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/clock/clock.hpp"
#include "sim/platform/common/service_db.hpp"
#include "sim/platform/common/types.hpp"

namespace sim::platform {

struct AuditEntry {
    std::int64_t id = 0;       ///< assigned on Record
    std::string actor;         ///< "M-…" member, "officer1" admin, "system:<function>", "ext:<system>"
    std::string event_type;    ///< "admin.decision", "card.read", "session.failed", …
    std::string at;            ///< ISO 8601 UTC, assigned on Record from the Clock
    std::string outcome;       ///< "success" | "failure"
    std::string origin;        ///< remote address or "in-process"/"batch"
    std::string resource;      ///< "application/A-…", "card/C-…"
    std::string reason;
    std::string trace_id;

    Json ToJson() const;
};

class AuditLog {
public:
    /// Migrations of the audit table, for the database that holds it.
    static std::span<const store::Migration> Migrations();

    AuditLog(ServiceDb& db, clock::Clock& clock) : db_(db), clock_(clock) {}

    /// Appends `entry` (id and `at` are filled in) in its own write scope; returns the id.
    std::int64_t Record(AuditEntry entry);
    /// Entries at or after `since` (none: all) by `actor` ("" = anyone), oldest first, at most
    /// `limit`, starting after id `after`.
    std::vector<AuditEntry> Query(std::optional<core::TimePoint> since, const std::string& actor,
                                  std::int64_t after, std::size_t limit) const;
    std::int64_t Count() const;

private:
    ServiceDb& db_;
    clock::Clock& clock_;
};

}  // namespace sim::platform
