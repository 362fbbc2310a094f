#pragma once
// A prepared SQLite statement (RAII). Usually obtained from Database::Prepare, which caches it.
//
//   auto& st = db.Prepare("SELECT body FROM messages WHERE queue = ?1 AND id > ?2");
//   st.BindAll(queue_name, last_id);
//   while (st.Step()) use(st.Text(0));
//
// Parameter indexes are 1-based (SQLite's convention); column indexes are 0-based.
// Every failure reported by SQLite throws StoreError carrying SQLite's message and the SQL.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sim/core/result.hpp"
#include "sim/store/store_error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sim::store {

/// Views the bytes of `text` as a blob, so `Bind(i, AsBlob(s))` stores a BLOB rather than TEXT.
/// The view borrows `text`'s storage.
inline std::span<const std::byte> AsBlob(std::string_view text) {
    return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

namespace detail {
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
inline constexpr bool kAlwaysFalse = false;
}  // namespace detail

class Statement {
public:
    /// Compiles `sql` (exactly one statement) on `db`. Throws StoreError on a syntax error or when
    /// `sql` holds more than one statement. Prefer Database::Prepare (cached).
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // --- binding (returns *this for chaining) --------------------------------------------------

    /// Binds `value` to the 1-based parameter `index`. Accepted types: any integer (stored as
    /// INTEGER; an unsigned value above INT64_MAX throws std::out_of_range), bool (0/1), floating
    /// point (REAL), anything convertible to std::string_view (TEXT, copied), anything convertible
    /// to std::span<const std::byte> (BLOB, copied; use AsBlob for a string), nullptr (NULL) and
    /// std::optional of those (NULL when empty).
    template <typename T>
    Statement& Bind(int index, const T& value) {
        BindValue(index, value);
        return *this;
    }
    /// Binds to the named parameter `name`, spelled with its prefix (":id", "@id", "$id").
    /// Throws StoreError when the statement has no such parameter.
    template <typename T>
    Statement& Bind(std::string_view name, const T& value) {
        BindValue(ParameterIndex(name), value);
        return *this;
    }
    /// Binds `values` to parameters 1..N in order.
    template <typename... Ts>
    Statement& BindAll(const Ts&... values) {
        int index = 1;
        (BindValue(index++, values), ...);
        return *this;
    }

    Statement& BindInt64(int index, std::int64_t value);
    Statement& BindDouble(int index, double value);
    Statement& BindText(int index, std::string_view value);
    Statement& BindBlob(int index, std::span<const std::byte> value);
    Statement& BindNull(int index);

    /// The 1-based index of the named parameter (with prefix); throws StoreError if absent.
    int ParameterIndex(std::string_view name) const;
    /// Sets every parameter back to NULL.
    Statement& ClearBindings();

    // --- running --------------------------------------------------------------------------------

    /// Advances to the next row: true when a row is available, false when the statement is done.
    /// Throws StoreError on failure (the statement is reset before throwing).
    bool Step();
    /// Runs the statement to completion (rows, if any, are discarded), then resets it while keeping
    /// the bindings. Returns the number of rows changed (sqlite3_changes).
    /// Throws StoreError on any failure, constraint violations included.
    int Execute();
    /// Like Execute, but a constraint violation is an expected failure returned as an Error:
    /// kAlreadyExists for UNIQUE / PRIMARY KEY, kFailedPrecondition for FOREIGN KEY, kConflict for
    /// the others (CHECK, NOT NULL, ...). Other failures still throw StoreError.
    core::Result<int> TryExecute();
    /// Makes the statement ready to run again from the start; bindings are kept.
    Statement& Reset();

    // --- reading the current row (valid after Step() returned true) ---------------------------

    /// Number of columns in the result.
    int ColumnCount() const;
    /// Name of column `i` as written in the query (alias if any).
    std::string ColumnName(int i) const;
    /// True when column `i` of the current row is NULL.
    bool IsNull(int i) const;
    /// Column `i` as an integer (NULL reads as 0; SQLite's conversions apply).
    std::int64_t Int64(int i) const;
    /// Column `i` as a double (NULL reads as 0.0).
    double Double(int i) const;
    /// Column `i` as text, copied (NULL reads as ""). Embedded NUL bytes are preserved.
    std::string Text(int i) const;
    /// Column `i` as bytes, copied (NULL reads as empty).
    std::vector<std::byte> Blob(int i) const;

    /// The SQL text this statement was compiled from.
    std::string Sql() const;
    /// The native handle, for tests and SQLite features not wrapped here.
    sqlite3_stmt* Handle() const { return stmt_; }

private:
    template <typename T>
    void BindValue(int index, const T& value) {
        using D = std::remove_cvref_t<T>;
        if constexpr (std::is_same_v<D, std::nullptr_t>) {
            BindNull(index);
        } else if constexpr (std::is_same_v<D, bool>) {
            BindInt64(index, value ? 1 : 0);
        } else if constexpr (std::is_integral_v<D>) {
            if constexpr (std::is_unsigned_v<D> && sizeof(D) >= sizeof(std::int64_t)) {
                if (value > static_cast<D>(std::numeric_limits<std::int64_t>::max())) ThrowOutOfRange(index);
            }
            BindInt64(index, static_cast<std::int64_t>(value));
        } else if constexpr (std::is_floating_point_v<D>) {
            BindDouble(index, static_cast<double>(value));
        } else if constexpr (detail::IsOptional<D>::value) {
            if (value.has_value()) {
                BindValue(index, *value);
            } else {
                BindNull(index);
            }
        } else if constexpr (std::is_convertible_v<const D&, std::string_view>) {
            BindText(index, std::string_view(value));
        } else if constexpr (std::is_convertible_v<const D&, std::span<const std::byte>>) {
            BindBlob(index, std::span<const std::byte>(value));
        } else {
            static_assert(detail::kAlwaysFalse<D>, "Statement::Bind: unsupported parameter type");
        }
    }
    [[noreturn]] void ThrowOutOfRange(int index) const;
    [[noreturn]] void ThrowError(int rc) const;
    void CheckColumn(int i) const;

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace sim::store
