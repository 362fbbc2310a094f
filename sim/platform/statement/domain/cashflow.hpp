#pragma once
// The processor's daily cashflow file (DOMAIN.md §7, fakes/payment/README.md "Cashflow file"):
// parser and validator. Pure C++.
//
// Accepted: UTF-8 (a BOM is refused), LF or CRLF line ends, RFC 4180 quoting ("" inside quotes, a
// quoted field may hold commas and line breaks). Records: exactly one H first, D records with seq
// 1, 2, 3 … and 24 fields each, exactly one T last with record_count = number of D records and the
// debit/credit counts and totals matching them. Every field of a D record is checked against its
// format (txn_id PT + 20 digits, last4 4 digits, dc D|C, amount a positive integer of yen, currency
// JPY, ISO 8601 times, posting_date YYYY-MM-DD, merchant name ≤ 25 and city ≤ 13 characters,
// country ISO 3166 alpha-2, mcc 4 digits, payment_plan ONE_TIME|REVOLVING|INSTALLMENT_n). A txn_id
// twice in one file is refused. The marker (.done JSON {"records","debit_total","credit_total",
// "sha256"}) must match the file: the hex SHA-256 of its exact bytes, the counts and totals.
//
// Limitations: cp932 (Shift_JIS) files are refused (not valid UTF-8 is not checked byte by byte;
// the fake does not produce cp932 either).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/result.hpp"
#include "sim/platform/statement/domain/calendar.hpp"

namespace sim::platform::statement::domain {

using Yen = std::int64_t;

/// Where and why a file was refused. `line` is 1-based (0 = the file as a whole or the marker).
struct CashflowError {
    int line = 0;
    std::string field;
    std::string message;
    std::string ToString() const;
};

struct CashflowRecord {
    std::int64_t seq = 0;
    std::string txn_id, auth_id, auth_code, card_token, last4, network;
    std::string txn_type;  ///< PURCHASE, REFUND, REVERSAL, ADJUSTMENT
    bool credit = false;   ///< dc == 'C'
    Yen amount = 0;        ///< > 0
    std::optional<std::int64_t> orig_amount_minor;
    std::string orig_currency;
    std::string txn_datetime, auth_datetime;  ///< ISO 8601 text as delivered (利用日)
    Date posting_date{};                      ///< 確定日
    std::string merchant_id, merchant_name, merchant_city, merchant_country, mcc, rrn, payment_plan;
    Yen Signed() const { return credit ? -amount : amount; }
};

struct CashflowFile {
    std::string processor_id, issuer_id;
    Date file_date{};          ///< the posting day the file covers
    std::string created_at;    ///< H record's last field
    std::vector<CashflowRecord> records;
    std::int64_t debit_count = 0, credit_count = 0;
    Yen debit_total = 0, credit_total = 0;
};

struct CashflowMarker {
    std::int64_t records = 0;
    Yen debit_total = 0, credit_total = 0;
    std::string sha256;  ///< lower-case hex
};

/// Splits RFC 4180 text into records of fields. Errors: an unterminated quote, a quote inside an
/// unquoted field, text after a closing quote.
core::Result<std::vector<std::vector<std::string>>, CashflowError> ParseCsv(std::string_view text);

/// Parses and validates a cashflow CSV. `expected_date`, when given, must be the H record's date.
core::Result<CashflowFile, CashflowError> ParseCashflow(std::string_view text,
                                                        std::optional<Date> expected_date = std::nullopt);

/// Parses the .done marker JSON.
core::Result<CashflowMarker, CashflowError> ParseCashflowMarker(std::string_view json_text);

/// Checks the marker against the file's exact bytes and its parsed content.
core::Result<CashflowFile, CashflowError> VerifyCashflow(std::string_view csv_text, std::string_view marker_json,
                                                         std::optional<Date> expected_date = std::nullopt);

/// `cashflow/YYYY/MM/DD/cashflow_YYYYMMDD_01.csv` (and `.done` with `marker = true`).
std::string CashflowKey(Date date, bool marker = false);

}  // namespace sim::platform::statement::domain
