#include "sim/store/group_commit.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

namespace sim::store {

struct GroupCommit::PendingReply {
    std::uint64_t seq = 0;
    std::size_t waiting = 0;  // batches still to finish before the reply may run
    bool committed = true;
    Reply reply;
};

struct GroupCommit::DbState {
    Database* db = nullptr;
    bool batch_open = false;
    int live_scopes = 0;
    bool deferred = false;  // the commit task found live scopes; commit when the last one ends
    std::vector<std::shared_ptr<PendingReply>> replies;
};

// --- WriteScope -------------------------------------------------------------------------------

WriteScope::WriteScope(GroupCommit* group, GroupCommit::DbState* state, Database& db, Savepoint savepoint)
    : group_(group), state_(state), db_(&db), savepoint_(std::move(savepoint)) {}

WriteScope::WriteScope(WriteScope&& other) noexcept
    : group_(std::exchange(other.group_, nullptr)),
      state_(other.state_),
      db_(other.db_),
      savepoint_(std::move(other.savepoint_)) {}

WriteScope::~WriteScope() {
    if (group_ == nullptr) return;
    savepoint_.reset();  // rolls back unless committed; never throws
    End();
}

void WriteScope::Commit() {
    if (group_ == nullptr || !savepoint_ || !savepoint_->Active()) {
        throw std::logic_error("WriteScope::Commit on a finished scope");
    }
    savepoint_->Commit();
    savepoint_.reset();
    End();
}

void WriteScope::End() {
    GroupCommit* group = std::exchange(group_, nullptr);
    if (group != nullptr) group->ScopeEnded(*state_);
}

// --- GroupCommit ------------------------------------------------------------------------------

GroupCommit::GroupCommit(core::EventLoop& loop) : loop_(loop), alive_(std::make_shared<GroupCommit*>(this)) {}

GroupCommit::~GroupCommit() {
    alive_.reset();
    try {
        for (auto& state : dbs_) {
            if (!state->batch_open) continue;
            if (state->live_scopes > 0) {
                spdlog::error("store: group commit destroyed with live write scopes db={} scopes={}", state->db->Path(),
                              state->live_scopes);
                continue;
            }
            CommitBatch(*state);
        }
        RunReadyReplies();
    } catch (const std::exception& error) {
        spdlog::error("store: group commit shutdown failed error={}", error.what());
    }
}

GroupCommit::DbState* GroupCommit::Find(const Database& db) const {
    for (const auto& state : dbs_) {
        if (state->db == &db) return state.get();
    }
    return nullptr;
}

void GroupCommit::Attach(Database& db) {
    if (Find(db) != nullptr) return;
    auto state = std::make_unique<DbState>();
    state->db = &db;
    dbs_.push_back(std::move(state));
}

void GroupCommit::Detach(Database& db) {
    DbState* state = Find(db);
    if (state == nullptr) return;
    if (state->live_scopes > 0) throw std::logic_error("GroupCommit::Detach with a live WriteScope on " + db.Path());
    if (state->batch_open) CommitBatch(*state);
    std::erase_if(dbs_, [state](const auto& s) { return s.get() == state; });
    RunReadyReplies();
}

WriteScope GroupCommit::BeginWrite(Database& db) {
    DbState* state = Find(db);
    if (state == nullptr) throw std::logic_error("GroupCommit::BeginWrite on a database not attached: " + db.Path());
    if (state->batch_open && !db.InTransaction()) {
        // SQLite rolled the whole batch back on its own (it does so on some errors, e.g. SQLITE_FULL):
        // the replies waiting for it must learn that, and later writes need a new batch.
        spdlog::error("store: batch was rolled back by SQLite db={}", db.Path());
        FinishBatch(*state, false);
        PostCommitTask();  // runs the now-ready replies
    }
    if (!state->batch_open) {
        db.Exec("BEGIN IMMEDIATE");
        state->batch_open = true;
        PostCommitTask();
    }
    Savepoint savepoint(db);
    ++state->live_scopes;
    return WriteScope(this, state, db, std::move(savepoint));
}

void GroupCommit::AfterCommit(Reply reply) {
    std::size_t open = 0;
    for (const auto& state : dbs_) open += state->batch_open ? 1 : 0;
    if (open == 0) {
        reply(true);
        return;
    }
    auto pending = std::make_shared<PendingReply>();
    pending->seq = next_reply_seq_++;
    pending->waiting = open;
    pending->reply = std::move(reply);
    for (auto& state : dbs_) {
        if (state->batch_open) state->replies.push_back(pending);
    }
    ++waiting_replies_;
}

void GroupCommit::Flush() {
    for (const auto& state : dbs_) {
        if (state->live_scopes > 0) {
            throw std::logic_error("GroupCommit::Flush with a live WriteScope on " + state->db->Path());
        }
    }
    CommitBatches();
    RunReadyReplies();
}

bool GroupCommit::BatchOpen() const {
    return std::any_of(dbs_.begin(), dbs_.end(), [](const auto& state) { return state->batch_open; });
}

void GroupCommit::PostCommitTask() {
    if (commit_posted_) return;
    commit_posted_ = true;
    loop_.Post([token = std::weak_ptr<GroupCommit*>(alive_)] {
        if (auto self = token.lock()) (*self)->RunCommitTask();
    });
}

void GroupCommit::RunCommitTask() {
    commit_posted_ = false;
    CommitBatches();
    RunReadyReplies();
}

void GroupCommit::CommitBatches() {
    for (auto& state : dbs_) {
        if (!state->batch_open) continue;
        if (state->live_scopes > 0) {
            // Committing now would also commit the live scope's half-done writes; wait for it.
            state->deferred = true;
            continue;
        }
        CommitBatch(*state);
    }
}

void GroupCommit::CommitBatch(DbState& state) {
    Database& db = *state.db;
    bool committed = false;
    if (!db.InTransaction()) {
        spdlog::error("store: batch was rolled back by SQLite before its commit db={}", db.Path());
    } else {
        try {
            db.Exec("COMMIT");
            committed = true;
        } catch (const StoreError& error) {
            spdlog::error("store: group commit failed db={} error={}", db.Path(), error.what());
            if (db.InTransaction()) {
                try {
                    db.Exec("ROLLBACK");
                } catch (const StoreError& rollback_error) {
                    spdlog::error("store: rollback after failed commit failed db={} error={}", db.Path(),
                                  rollback_error.what());
                }
            }
        }
    }
    FinishBatch(state, committed);
}

void GroupCommit::FinishBatch(DbState& state, bool committed) {
    state.batch_open = false;
    state.deferred = false;
    ++(committed ? committed_batches_ : failed_batches_);
    for (auto& pending : state.replies) {
        pending->committed = pending->committed && committed;
        if (--pending->waiting == 0) ready_.push_back(std::move(pending));
    }
    state.replies.clear();
}

void GroupCommit::RunReadyReplies() {
    std::exception_ptr first_error;
    // A reply may write and register replies of its own; those wait for the next batch, but a
    // batch finished meanwhile can make more replies ready, hence the loop.
    while (!ready_.empty()) {
        auto batch = std::exchange(ready_, {});
        std::sort(batch.begin(), batch.end(), [](const auto& a, const auto& b) { return a->seq < b->seq; });
        for (auto& pending : batch) {
            --waiting_replies_;
            try {
                pending->reply(pending->committed);
            } catch (...) {
                if (!first_error) first_error = std::current_exception();
            }
        }
    }
    if (first_error) std::rethrow_exception(first_error);
}

void GroupCommit::ScopeEnded(DbState& state) {
    --state.live_scopes;
    if (state.live_scopes == 0 && state.deferred) PostCommitTask();
}

}  // namespace sim::store
