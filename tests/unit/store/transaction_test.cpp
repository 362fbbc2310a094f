#include "sim/store/transaction.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/unit/store/test_support.hpp"

namespace sim::store {
namespace {

using testing::OpenMemory;
using testing::QueryInt;

std::unique_ptr<Database> OpenWithTable() {
    auto db = OpenMemory();
    db->Exec("CREATE TABLE t(v INTEGER)");
    return db;
}

void Insert(Database& db, int v) { db.Prepare("INSERT INTO t(v) VALUES(?1)").BindAll(v).Execute(); }

std::int64_t Rows(Database& db) { return QueryInt(db, "SELECT count(*) FROM t"); }

TEST(Transaction, CommitKeepsTheWrites) {
    auto db = OpenWithTable();
    const auto commits = db->CommitCount();
    {
        Transaction transaction(*db);
        EXPECT_TRUE(db->InTransaction());
        Insert(*db, 1);
        Insert(*db, 2);
        transaction.Commit();
        EXPECT_FALSE(transaction.Active());
    }
    EXPECT_FALSE(db->InTransaction());
    EXPECT_EQ(Rows(*db), 2);
    EXPECT_EQ(db->CommitCount(), commits + 1);
}

TEST(Transaction, DestructionWithoutCommitRollsBack) {
    auto db = OpenWithTable();
    {
        Transaction transaction(*db);
        Insert(*db, 1);
    }
    EXPECT_FALSE(db->InTransaction());
    EXPECT_EQ(Rows(*db), 0);
}

TEST(Transaction, AnExceptionInsideTheScopeLeavesNothingApplied) {
    auto db = OpenWithTable();
    auto transfer = [&] {
        Transaction transaction(*db);
        Insert(*db, 1);
        throw std::runtime_error("business rule failed half-way");
    };
    EXPECT_THROW(transfer(), std::runtime_error);
    EXPECT_EQ(Rows(*db), 0);
}

TEST(Transaction, ExplicitRollbackUndoesAndEnds) {
    auto db = OpenWithTable();
    Transaction transaction(*db);
    Insert(*db, 1);
    transaction.Rollback();
    EXPECT_FALSE(db->InTransaction());
    EXPECT_EQ(Rows(*db), 0);
    EXPECT_THROW(transaction.Commit(), std::logic_error);
}

TEST(Transaction, CannotNestInsideAnOpenTransaction) {
    auto db = OpenWithTable();
    Transaction outer(*db);
    EXPECT_THROW(Transaction inner(*db), StoreError);
    EXPECT_TRUE(outer.Active());
}

TEST(Savepoint, InnerRollbackKeepsTheOuterWrites) {
    auto db = OpenWithTable();
    Transaction transaction(*db);
    Insert(*db, 1);
    {
        Savepoint inner(*db);
        Insert(*db, 2);
        {
            Savepoint innermost(*db);
            Insert(*db, 3);
            innermost.Commit();  // folded into `inner`, which is then rolled back
        }
    }
    Insert(*db, 4);
    transaction.Commit();
    EXPECT_EQ(Rows(*db), 2);
    EXPECT_EQ(QueryInt(*db, "SELECT sum(v) FROM t"), 5);
}

TEST(Savepoint, OuterRollbackUndoesReleasedInnerWrites) {
    auto db = OpenWithTable();
    {
        Savepoint outer(*db, "outer_sp");
        Insert(*db, 1);
        {
            Savepoint inner(*db, "inner_sp");
            Insert(*db, 2);
            inner.Commit();
        }
        EXPECT_EQ(Rows(*db), 2);
    }
    EXPECT_EQ(Rows(*db), 0);
    EXPECT_FALSE(db->InTransaction());
}

TEST(Savepoint, OutsideATransactionCommitOnReleaseIsDurable) {
    auto db = OpenWithTable();
    const auto commits = db->CommitCount();
    {
        Savepoint savepoint(*db);
        EXPECT_TRUE(db->InTransaction());
        Insert(*db, 1);
        savepoint.Commit();
    }
    EXPECT_FALSE(db->InTransaction());
    EXPECT_EQ(Rows(*db), 1);
    EXPECT_EQ(db->CommitCount(), commits + 1);
}

TEST(Savepoint, ExplicitRollbackUndoesOnlyItsOwnWrites) {
    auto db = OpenWithTable();
    Transaction transaction(*db);
    Insert(*db, 1);
    Savepoint savepoint(*db);
    Insert(*db, 2);
    savepoint.Rollback();
    EXPECT_FALSE(savepoint.Active());
    EXPECT_TRUE(db->InTransaction());
    transaction.Commit();
    EXPECT_EQ(Rows(*db), 1);
}

TEST(Savepoint, GeneratedNamesAreUnique) {
    auto db = OpenWithTable();
    Savepoint a(*db);
    Savepoint b(*db);
    EXPECT_NE(a.Name(), b.Name());
}

TEST(Savepoint, RejectsNamesThatAreNotIdentifiers) {
    auto db = OpenWithTable();
    EXPECT_THROW(Savepoint(*db, "x; DROP TABLE t"), std::invalid_argument);
    EXPECT_THROW(Savepoint(*db, "1abc"), std::invalid_argument);
    EXPECT_THROW(Savepoint(*db, ""), std::invalid_argument);
    EXPECT_FALSE(db->InTransaction());
}

TEST(Savepoint, MovedFromSavepointDoesNotRollBack) {
    auto db = OpenWithTable();
    Transaction transaction(*db);
    std::optional<Savepoint> holder;
    {
        Savepoint savepoint(*db);
        Insert(*db, 1);
        holder.emplace(std::move(savepoint));
    }  // the moved-from object dies here and must leave the write alone
    EXPECT_EQ(Rows(*db), 1);
    holder->Commit();
    transaction.Commit();
    EXPECT_EQ(Rows(*db), 1);
}

}  // namespace
}  // namespace sim::store
