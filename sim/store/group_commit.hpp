#pragma once
// Group commit (DESIGN, "Storage"): writes made while handling the requests of one loop turn are
// committed together, and replies are sent after the commit.
//
//   // in a request handler
//   auto scope = group.BeginWrite(db);      // batch BEGIN (first writer) + SAVEPOINT for this request
//   ... INSERT / UPDATE through db ...
//   scope.Commit();                          // RELEASE: this request's writes join the batch
//   group.AfterCommit([respond](bool committed) {
//       respond(committed ? Ok(...) : InternalFailure(...));
//   });
//
// How it works. The first BeginWrite on a database with no open batch runs BEGIN IMMEDIATE and
// posts one commit task to the loop; every write made before the loop reaches that task (by this
// or any other request) joins the same transaction, which the task COMMITs — one fsync for many
// requests. Each WriteScope is a SAVEPOINT inside the batch, so one request's writes are
// all-or-nothing: destroying the scope without Commit() undoes exactly its writes and none of its
// neighbours'. Reads on the same connection see committed data plus the open batch.
//
// Replies and failure. AfterCommit(reply) runs `reply(committed)` right after every batch that is
// open at the moment of the call has finished (immediately, with true, when none is open). It
// receives `committed == false` if any of those batches failed to COMMIT (its writes are rolled
// back), so a reply never claims success for writes that are not durable. Replies run in the order
// they were registered. A reply that throws does not stop the others; the first exception is
// rethrown after all of them ran.
//
// Rules. Loop thread only. A WriteScope must end within the loop turn (task) that created it; a
// batch whose database still has a live scope when the commit task runs is committed as soon as
// the last scope ends. Do not use Transaction on an attached database (a batch is usually open);
// nested BeginWrite calls nest savepoints. Databases must outlive the GroupCommit (or be
// Detach()ed first); every WriteScope must end before the GroupCommit dies.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "sim/core/event_loop.hpp"
#include "sim/store/database.hpp"
#include "sim/store/transaction.hpp"

namespace sim::store {

class WriteScope;

class GroupCommit {
public:
    /// Receives true when every batch open at registration committed, false otherwise.
    using Reply = std::function<void(bool committed)>;

    /// Posts its commit tasks to `loop`, which must outlive this object.
    explicit GroupCommit(core::EventLoop& loop);
    /// Commits open batches and runs their replies (like Flush); failures are logged, not thrown.
    ~GroupCommit();
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    /// Makes `db` eligible for BeginWrite. Attaching twice is a no-op.
    void Attach(Database& db);
    /// Commits `db`'s open batch (running replies that become ready) and forgets `db`.
    /// std::logic_error if a WriteScope on it is still alive.
    void Detach(Database& db);

    /// Opens this request's write scope on `db`, beginning a batch (BEGIN IMMEDIATE) and posting
    /// its commit task if none is open. std::logic_error if `db` is not attached; StoreError if
    /// SQLite refuses (e.g. a transaction not started by GroupCommit is open on `db`).
    WriteScope BeginWrite(Database& db);

    /// Runs `reply` after the batches open now have committed (see the header comment), or at once
    /// with true if none is open.
    void AfterCommit(Reply reply);

    /// Commits every open batch now and runs the replies that became ready (shutdown, tests).
    /// std::logic_error if a WriteScope is still alive.
    void Flush();

    /// True while a batch transaction is open on any attached database.
    bool BatchOpen() const;
    /// Batches committed successfully since construction.
    std::uint64_t CommittedBatches() const { return committed_batches_; }
    /// Batches whose COMMIT failed (their writes were rolled back) since construction.
    std::uint64_t FailedBatches() const { return failed_batches_; }
    /// Replies registered and not run yet.
    std::size_t WaitingReplies() const { return waiting_replies_; }

private:
    friend class WriteScope;
    struct PendingReply;
    struct DbState;

    DbState* Find(const Database& db) const;
    void PostCommitTask();
    void RunCommitTask();
    void CommitBatches();
    void CommitBatch(DbState& state);
    void FinishBatch(DbState& state, bool committed);
    void RunReadyReplies();
    void ScopeEnded(DbState& state);

    core::EventLoop& loop_;
    std::vector<std::unique_ptr<DbState>> dbs_;
    std::vector<std::shared_ptr<PendingReply>> ready_;
    bool commit_posted_ = false;
    std::uint64_t next_reply_seq_ = 0;
    std::size_t waiting_replies_ = 0;
    std::uint64_t committed_batches_ = 0;
    std::uint64_t failed_batches_ = 0;
    // Posted commit tasks hold a weak reference, so a task that outlives this object does nothing.
    std::shared_ptr<GroupCommit*> alive_;
};

/// One request's writes inside the open batch (a SAVEPOINT). Move-only.
class WriteScope {
public:
    /// Undoes this scope's writes unless Commit() succeeded. Never throws.
    ~WriteScope();
    WriteScope(WriteScope&& other) noexcept;
    WriteScope& operator=(WriteScope&&) = delete;
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;

    /// Keeps this scope's writes: they become part of the batch and are durable once the batch
    /// commits (see GroupCommit::AfterCommit). Throws StoreError on failure; the writes are then
    /// undone by the destructor. Calling it twice is std::logic_error.
    void Commit();
    /// The database this scope writes to.
    Database& Db() const { return *db_; }

private:
    friend class GroupCommit;
    WriteScope(GroupCommit* group, GroupCommit::DbState* state, Database& db, Savepoint savepoint);
    void End();

    GroupCommit* group_;
    GroupCommit::DbState* state_;
    Database* db_;
    std::optional<Savepoint> savepoint_;
};

}  // namespace sim::store
