#include "sim/store/group_commit.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/core/manual_loop.hpp"
#include "tests/unit/store/test_support.hpp"

namespace sim::store {
namespace {

using testing::OpenMemory;
using testing::QueryInt;

void Insert(Database& db, const std::string& v) { db.Prepare("INSERT INTO t(v) VALUES(?1)").BindAll(v).Execute(); }

std::int64_t Rows(Database& db) { return QueryInt(db, "SELECT count(*) FROM t"); }

struct Fixture {
    Fixture() : db(OpenMemory()), group(loop) {
        db->Exec("CREATE TABLE t(v TEXT UNIQUE)");
        group.Attach(*db);
    }

    /// What a request handler does: one scope, its writes, then the reply through AfterCommit.
    void Request(const std::string& value, std::vector<std::string>* log) {
        auto scope = group.BeginWrite(*db);
        Insert(*db, value);
        scope.Commit();
        group.AfterCommit([log, value](bool committed) { log->push_back(value + (committed ? ":ok" : ":failed")); });
    }

    core::ManualLoop loop;
    std::unique_ptr<Database> db;
    GroupCommit group;
};

TEST(GroupCommit, WriteScopesOfOneLoopTurnShareOneCommit) {
    Fixture f;
    std::vector<std::string> replies;
    for (const char* value : {"a", "b", "c"}) {
        f.loop.Post([&f, &replies, value] { f.Request(value, &replies); });
    }
    const auto commits = f.db->CommitCount();
    f.loop.RunReady();
    EXPECT_EQ(f.db->CommitCount(), commits + 1);
    EXPECT_EQ(f.group.CommittedBatches(), 1u);
    EXPECT_EQ(Rows(*f.db), 3);
    EXPECT_EQ(replies, (std::vector<std::string>{"a:ok", "b:ok", "c:ok"}));
    EXPECT_FALSE(f.group.BatchOpen());
}

TEST(GroupCommit, RepliesRunOnlyAfterTheBatchCommits) {
    testing::TempDir dir;
    auto db = testing::OpenOrDie(dir.File("a.db"));
    auto observer = testing::OpenOrDie(dir.File("a.db"));  // another connection sees only committed data
    db->Exec("CREATE TABLE t(v TEXT UNIQUE)");
    core::ManualLoop loop;
    GroupCommit group(loop);
    group.Attach(*db);

    std::optional<std::int64_t> rows_seen_by_reply;
    {
        auto scope = group.BeginWrite(*db);
        Insert(*db, "x");
        scope.Commit();
    }
    group.AfterCommit([&](bool committed) {
        EXPECT_TRUE(committed);
        EXPECT_FALSE(db->InTransaction());
        rows_seen_by_reply = Rows(*observer);
    });
    EXPECT_FALSE(rows_seen_by_reply.has_value()) << "reply ran before the commit";
    EXPECT_EQ(group.WaitingReplies(), 1u);
    EXPECT_EQ(Rows(*observer), 0);  // not durable yet
    EXPECT_EQ(Rows(*db), 1);        // but visible on the writing connection

    loop.RunReady();
    ASSERT_TRUE(rows_seen_by_reply.has_value());
    EXPECT_EQ(*rows_seen_by_reply, 1);
    EXPECT_EQ(group.WaitingReplies(), 0u);
}

TEST(GroupCommit, RolledBackScopeLeavesNoTraceWhileItsNeighboursCommit) {
    Fixture f;
    std::vector<std::string> replies;
    f.loop.Post([&] { f.Request("before", &replies); });
    f.loop.Post([&] {
        try {
            auto scope = f.group.BeginWrite(*f.db);
            Insert(*f.db, "half-1");
            Insert(*f.db, "half-2");
            throw std::runtime_error("request failed after two of its writes");
        } catch (const std::runtime_error&) {
            f.group.AfterCommit([&](bool) { replies.push_back("failed-request-replied"); });
        }
    });
    f.loop.Post([&] { f.Request("after", &replies); });
    f.loop.RunReady();

    EXPECT_EQ(f.group.CommittedBatches(), 1u);
    EXPECT_EQ(Rows(*f.db), 2);
    EXPECT_EQ(QueryInt(*f.db, "SELECT count(*) FROM t WHERE v LIKE 'half%'"), 0);
    EXPECT_EQ(replies, (std::vector<std::string>{"before:ok", "failed-request-replied", "after:ok"}));
}

TEST(GroupCommit, ConstraintFailureInOneScopeDoesNotSpoilTheBatch) {
    Fixture f;
    std::vector<std::string> replies;
    f.loop.Post([&] { f.Request("k", &replies); });
    f.loop.Post([&] {
        auto scope = f.group.BeginWrite(*f.db);
        Insert(*f.db, "other");
        auto duplicate = f.db->Prepare("INSERT INTO t(v) VALUES('k')").TryExecute();
        EXPECT_FALSE(duplicate.ok());
        // The request gives up: its "other" must vanish too.
    });
    f.loop.RunReady();
    EXPECT_EQ(Rows(*f.db), 1);
    EXPECT_EQ(QueryInt(*f.db, "SELECT count(*) FROM t WHERE v = 'k'"), 1);
    EXPECT_EQ(replies, (std::vector<std::string>{"k:ok"}));
}

TEST(GroupCommit, FlushCommitsTheOpenBatchAtOnce) {
    Fixture f;
    std::vector<std::string> replies;
    f.Request("a", &replies);
    EXPECT_TRUE(f.group.BatchOpen());
    const auto commits = f.db->CommitCount();
    f.group.Flush();
    EXPECT_EQ(f.db->CommitCount(), commits + 1);
    EXPECT_FALSE(f.group.BatchOpen());
    EXPECT_EQ(replies, (std::vector<std::string>{"a:ok"}));
    // The commit task posted for that batch finds nothing left to do.
    f.loop.RunReady();
    EXPECT_EQ(f.db->CommitCount(), commits + 1);
    EXPECT_EQ(f.group.CommittedBatches(), 1u);
}

TEST(GroupCommit, ReplyRunsAtOnceWhenNoBatchIsOpen) {
    Fixture f;
    std::optional<bool> result;
    f.group.AfterCommit([&](bool committed) { result = committed; });
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(*result);
}

TEST(GroupCommit, FailedCommitTellsItsRepliesThatNothingWasCommitted) {
    Fixture f;
    // A deferred foreign key is checked only at COMMIT: a dangling reference makes the batch fail.
    f.db->Exec(
        "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
        "CREATE TABLE child(parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
    std::vector<std::string> replies;
    f.loop.Post([&] { f.Request("innocent", &replies); });
    f.loop.Post([&] {
        auto scope = f.group.BeginWrite(*f.db);
        f.db->Exec("INSERT INTO child(parent) VALUES(42)");
        scope.Commit();
        f.group.AfterCommit([&](bool committed) { replies.push_back(committed ? "dangling:ok" : "dangling:failed"); });
    });
    f.loop.RunReady();

    EXPECT_EQ(f.group.FailedBatches(), 1u);
    EXPECT_EQ(f.group.CommittedBatches(), 0u);
    EXPECT_EQ(replies, (std::vector<std::string>{"innocent:failed", "dangling:failed"}));
    EXPECT_FALSE(f.db->InTransaction());
    EXPECT_EQ(Rows(*f.db), 0);
    EXPECT_EQ(QueryInt(*f.db, "SELECT count(*) FROM child"), 0);

    // The next batch starts clean.
    replies.clear();
    f.loop.Post([&] { f.Request("retry", &replies); });
    f.loop.RunReady();
    EXPECT_EQ(replies, (std::vector<std::string>{"retry:ok"}));
    EXPECT_EQ(Rows(*f.db), 1);
}

TEST(GroupCommit, ScopeAliveWhenTheCommitTaskRunsDefersTheCommit) {
    Fixture f;
    std::optional<WriteScope> held;
    std::vector<std::string> replies;
    f.loop.Post([&] {
        f.Request("done", &replies);
        held.emplace(f.group.BeginWrite(*f.db));
        Insert(*f.db, "in-flight");
    });
    const auto commits = f.db->CommitCount();
    f.loop.RunReady();
    // Committing now would make the in-flight scope's writes durable half-way: it must wait.
    EXPECT_EQ(f.db->CommitCount(), commits);
    EXPECT_TRUE(f.group.BatchOpen());
    EXPECT_TRUE(replies.empty());
    EXPECT_THROW(f.group.Flush(), std::logic_error);

    held.reset();  // the in-flight request gives up: rolled back
    f.loop.RunReady();
    EXPECT_EQ(f.db->CommitCount(), commits + 1);
    EXPECT_EQ(replies, (std::vector<std::string>{"done:ok"}));
    EXPECT_EQ(Rows(*f.db), 1);
}

TEST(GroupCommit, NestedWriteScopesNestSavepoints) {
    Fixture f;
    {
        auto outer = f.group.BeginWrite(*f.db);
        Insert(*f.db, "outer");
        {
            auto inner = f.group.BeginWrite(*f.db);
            Insert(*f.db, "inner");
        }
        outer.Commit();
        EXPECT_THROW(outer.Commit(), std::logic_error);
    }
    f.group.Flush();
    EXPECT_EQ(Rows(*f.db), 1);
    EXPECT_EQ(QueryInt(*f.db, "SELECT count(*) FROM t WHERE v = 'outer'"), 1);
}

TEST(GroupCommit, WritesMadeByARepliesGoIntoTheNextBatch) {
    Fixture f;
    std::vector<std::string> replies;
    f.loop.Post([&] {
        f.Request("first", &replies);
        f.group.AfterCommit([&](bool) { f.Request("from-reply", &replies); });
    });
    f.loop.RunReady();
    EXPECT_EQ(f.group.CommittedBatches(), 2u);
    EXPECT_EQ(replies, (std::vector<std::string>{"first:ok", "from-reply:ok"}));
    EXPECT_EQ(Rows(*f.db), 2);
}

TEST(GroupCommit, RequestsPostedAfterTheCommitTaskFormTheNextBatch) {
    Fixture f;
    std::vector<std::string> replies;
    f.loop.Post([&] {
        f.Request("turn-1", &replies);
        // Arrives after the commit task was queued, like I/O completing during this turn.
        f.loop.Post([&] { f.Request("turn-2", &replies); });
    });
    f.loop.RunReady();
    EXPECT_EQ(f.group.CommittedBatches(), 2u);
    EXPECT_EQ(replies, (std::vector<std::string>{"turn-1:ok", "turn-2:ok"}));
}

TEST(GroupCommit, ReplyWaitsForEveryOpenBatchAcrossDatabases) {
    core::ManualLoop loop;
    auto accounts = OpenMemory();
    auto ledger = OpenMemory();
    accounts->Exec("CREATE TABLE t(v TEXT UNIQUE)");
    ledger->Exec(
        "CREATE TABLE t(v TEXT UNIQUE);"
        "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
        "CREATE TABLE child(parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
    GroupCommit group(loop);
    group.Attach(*accounts);
    group.Attach(*ledger);

    std::vector<std::string> replies;
    {
        auto scope = group.BeginWrite(*accounts);
        Insert(*accounts, "a");
        scope.Commit();
    }
    {
        auto scope = group.BeginWrite(*ledger);
        ledger->Exec("INSERT INTO child(parent) VALUES(1)");  // fails at COMMIT
        scope.Commit();
    }
    group.AfterCommit([&](bool committed) { replies.push_back(committed ? "ok" : "failed"); });
    loop.RunReady();
    EXPECT_EQ(replies, (std::vector<std::string>{"failed"}));
    EXPECT_EQ(group.CommittedBatches(), 1u);
    EXPECT_EQ(group.FailedBatches(), 1u);
    EXPECT_EQ(Rows(*accounts), 1);
}

TEST(GroupCommit, ReadsOnTheConnectionSeeTheOpenBatch) {
    Fixture f;
    std::vector<std::string> replies;
    f.Request("pending", &replies);
    EXPECT_TRUE(f.group.BatchOpen());
    EXPECT_EQ(Rows(*f.db), 1);
    f.group.Flush();
}

TEST(GroupCommit, BeginWriteOnADatabaseNotAttachedThrows) {
    Fixture f;
    auto other = OpenMemory();
    EXPECT_THROW(f.group.BeginWrite(*other), std::logic_error);
}

TEST(GroupCommit, ThrowingReplyDoesNotStopTheOthers) {
    Fixture f;
    std::vector<std::string> replies;
    f.Request("a", &replies);
    f.group.AfterCommit([](bool) { throw std::runtime_error("reply blew up"); });
    f.group.AfterCommit([&](bool) { replies.push_back("last"); });
    EXPECT_THROW(f.group.Flush(), std::runtime_error);
    EXPECT_EQ(replies, (std::vector<std::string>{"a:ok", "last"}));
}

TEST(GroupCommit, DestructionCommitsTheOpenBatchAndLeavesItsTaskHarmless) {
    core::ManualLoop loop;
    auto db = OpenMemory();
    db->Exec("CREATE TABLE t(v TEXT UNIQUE)");
    bool replied = false;
    {
        GroupCommit group(loop);
        group.Attach(*db);
        auto scope = group.BeginWrite(*db);
        Insert(*db, "last-words");
        scope.Commit();
        group.AfterCommit([&](bool committed) { replied = committed; });
    }
    EXPECT_TRUE(replied);
    EXPECT_FALSE(db->InTransaction());
    EXPECT_EQ(loop.RunReady(), 1u);  // the orphaned commit task runs and does nothing
    EXPECT_EQ(Rows(*db), 1);
}

TEST(GroupCommit, DetachCommitsThatDatabasesBatch) {
    Fixture f;
    std::vector<std::string> replies;
    f.Request("a", &replies);
    f.group.Detach(*f.db);
    EXPECT_FALSE(f.db->InTransaction());
    EXPECT_EQ(replies, (std::vector<std::string>{"a:ok"}));
    EXPECT_THROW(f.group.BeginWrite(*f.db), std::logic_error);
}

}  // namespace
}  // namespace sim::store
