#pragma once
// A platform service's own database (DESIGN, "Storage": each service owns its database, as it
// would own an Aurora schema): the SQLite file `<data-dir>/platform-<service>.db`, or `:memory:`
// when the platform is ephemeral, attached to the runtime's GroupCommit (replies wait for the
// commit) and migrated with sim/store migrations under the module name "platform-<service>".

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "sim/store/database.hpp"
#include "sim/store/group_commit.hpp"
#include "sim/store/migrations.hpp"

namespace sim::platform {

class ServiceDb {
public:
    /// Opens (creating) the service's database and applies `migrations`. `data_dir` empty means
    /// in memory. Throws std::runtime_error naming the file when it cannot be opened or migrated
    /// (a startup error).
    ServiceDb(std::string_view service, const std::string& data_dir, store::GroupCommit& group,
              std::span<const store::Migration> migrations);
    /// Commits pending writes and detaches from the GroupCommit.
    ~ServiceDb();
    ServiceDb(const ServiceDb&) = delete;
    ServiceDb& operator=(const ServiceDb&) = delete;

    store::Database& db() { return *db_; }
    store::GroupCommit& group() { return group_; }
    /// This request's write scope (see store::GroupCommit): Commit() it, or its writes are undone.
    store::WriteScope Write() { return group_.BeginWrite(*db_); }
    /// How many times this database was opened (1 for a new or in-memory one): mixed into the
    /// service's id seed so a restart with the same --seed never repeats an id or token.
    std::uint64_t Boots() const { return boots_; }
    const std::string& Service() const { return service_; }

    /// Deletes every row of every table except the migration bookkeeping (POST /_sim/reset).
    void Wipe();

private:
    std::string service_;
    store::GroupCommit& group_;
    std::unique_ptr<store::Database> db_;
    std::uint64_t boots_ = 1;
};

}  // namespace sim::platform
