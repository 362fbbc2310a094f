#include "sim/platform/statement/domain/cashflow.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/platform/common/crypto.hpp"

namespace sim::platform::statement::domain {

namespace {

using Fields = std::vector<std::string>;

core::Failure<CashflowError> Bad(int line, std::string field, std::string message) {
    return core::Fail(CashflowError{line, std::move(field), std::move(message)});
}

bool AllDigits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

bool AllAlnum(std::string_view s) {
    for (char c : s) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (!ok) return false;
    }
    return true;
}

bool AllUpperAlpha(std::string_view s) {
    for (char c : s) {
        if (c < 'A' || c > 'Z') return false;
    }
    return true;
}

/// Code points in UTF-8 text (continuation bytes not counted).
std::size_t Utf8Length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80) ++n;
    }
    return n;
}

/// A non-negative integer of at most 15 digits (no sign, no leading '+').
std::optional<std::int64_t> ParseCount(std::string_view s) {
    if (!AllDigits(s) || s.size() > 15) return std::nullopt;
    std::int64_t v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

std::optional<Date> ParseCompactDate(std::string_view s) {
    if (s.size() != 8 || !AllDigits(s)) return std::nullopt;
    std::string dashed = std::string(s.substr(0, 4)) + "-" + std::string(s.substr(4, 2)) + "-" + std::string(s.substr(6, 2));
    return ParseDate(dashed);
}

bool IsoTime(std::string_view s) { return s.size() >= 20 && core::ParseIso8601(s).ok(); }

bool ValidPaymentPlan(std::string_view s) {
    if (s == "ONE_TIME" || s == "REVOLVING") return true;
    constexpr std::string_view kInstallment = "INSTALLMENT_";
    if (s.substr(0, kInstallment.size()) != kInstallment) return false;
    auto n = ParseCount(s.substr(kInstallment.size()));
    return n && *n >= 2 && *n <= 99;
}

enum DField {
    kType, kSeq, kTxnId, kAuthId, kAuthCode, kCardToken, kLast4, kNetwork, kTxnType, kDc, kAmount, kCurrency,
    kOrigAmount, kOrigCurrency, kTxnDatetime, kAuthDatetime, kPostingDate, kMerchantId, kMerchantName,
    kMerchantCity, kMerchantCountry, kMcc, kRrn, kPaymentPlan, kDFieldCount
};

core::Result<CashflowRecord, CashflowError> ParseDetail(const Fields& f, int line, std::int64_t expected_seq) {
    if (f.size() != kDFieldCount) {
        return Bad(line, "record", "a D record has 24 fields, this one " + std::to_string(f.size()));
    }
    CashflowRecord r;
    auto seq = ParseCount(f[kSeq]);
    if (!seq || *seq != expected_seq) return Bad(line, "seq", "expected " + std::to_string(expected_seq) + ", got '" + f[kSeq] + "'");
    r.seq = *seq;
    const std::string& txn = f[kTxnId];
    if (txn.size() != 22 || txn.substr(0, 2) != "PT" || !AllDigits(std::string_view(txn).substr(2))) {
        return Bad(line, "txn_id", "must be PT + 20 digits, got '" + txn + "'");
    }
    r.txn_id = txn;
    r.auth_id = f[kAuthId];
    r.auth_code = f[kAuthCode];
    if (!r.auth_code.empty() && (r.auth_code.size() != 6 || !AllAlnum(r.auth_code))) {
        return Bad(line, "auth_code", "must be 6 alphanumerics or empty");
    }
    r.card_token = f[kCardToken];
    if (r.card_token.empty() || r.card_token.size() > 64) return Bad(line, "card_token", "missing or too long");
    r.last4 = f[kLast4];
    if (r.last4.size() != 4 || !AllDigits(r.last4)) return Bad(line, "last4", "must be 4 digits");
    r.network = f[kNetwork];
    if (r.network != "VISA" && r.network != "JCB" && r.network != "MASTERCARD") {
        return Bad(line, "network", "unknown network '" + r.network + "'");
    }
    r.txn_type = f[kTxnType];
    if (r.txn_type != "PURCHASE" && r.txn_type != "REFUND" && r.txn_type != "REVERSAL" && r.txn_type != "ADJUSTMENT") {
        return Bad(line, "txn_type", "unknown txn_type '" + r.txn_type + "'");
    }
    if (f[kDc] != "D" && f[kDc] != "C") return Bad(line, "dc", "must be D or C");
    r.credit = f[kDc] == "C";
    if (r.txn_type == "PURCHASE" && r.credit) return Bad(line, "dc", "a PURCHASE is a debit (D)");
    if (r.txn_type == "REFUND" && !r.credit) return Bad(line, "dc", "a REFUND is a credit (C)");
    auto amount = ParseCount(f[kAmount]);
    if (!amount || *amount <= 0) return Bad(line, "amount", "must be a positive integer of yen, got '" + f[kAmount] + "'");
    r.amount = *amount;
    if (f[kCurrency] != "JPY") return Bad(line, "currency", "billing currency must be JPY");
    if (!f[kOrigAmount].empty()) {
        auto orig = ParseCount(f[kOrigAmount]);
        if (!orig) return Bad(line, "orig_amount_minor", "must be an integer of minor units or empty");
        r.orig_amount_minor = *orig;
    }
    r.orig_currency = f[kOrigCurrency];
    if (!r.orig_currency.empty() && (r.orig_currency.size() != 3 || !AllUpperAlpha(r.orig_currency))) {
        return Bad(line, "orig_currency", "must be an ISO 4217 code or empty");
    }
    if (r.orig_amount_minor.has_value() != !r.orig_currency.empty()) {
        return Bad(line, "orig_currency", "orig_amount_minor and orig_currency come together");
    }
    r.txn_datetime = f[kTxnDatetime];
    if (!IsoTime(r.txn_datetime)) return Bad(line, "txn_datetime", "must be an ISO 8601 date-time");
    r.auth_datetime = f[kAuthDatetime];
    if (!r.auth_datetime.empty() && !IsoTime(r.auth_datetime)) {
        return Bad(line, "auth_datetime", "must be an ISO 8601 date-time or empty");
    }
    auto posting = ParseDate(f[kPostingDate]);
    if (!posting) return Bad(line, "posting_date", "must be YYYY-MM-DD");
    r.posting_date = *posting;
    r.merchant_id = f[kMerchantId];
    r.merchant_name = f[kMerchantName];
    if (r.merchant_name.empty() || Utf8Length(r.merchant_name) > 25) {
        return Bad(line, "merchant_name", "must be 1 to 25 characters");
    }
    r.merchant_city = f[kMerchantCity];
    if (Utf8Length(r.merchant_city) > 13) return Bad(line, "merchant_city", "at most 13 characters");
    r.merchant_country = f[kMerchantCountry];
    if (r.merchant_country.size() != 2 || !AllUpperAlpha(r.merchant_country)) {
        return Bad(line, "merchant_country", "must be ISO 3166 alpha-2");
    }
    r.mcc = f[kMcc];
    if (r.mcc.size() != 4 || !AllDigits(r.mcc)) return Bad(line, "mcc", "must be 4 digits");
    r.rrn = f[kRrn];
    if (!r.rrn.empty() && (r.rrn.size() != 12 || !AllAlnum(r.rrn))) return Bad(line, "rrn", "must be 12 characters or empty");
    r.payment_plan = f[kPaymentPlan];
    if (!ValidPaymentPlan(r.payment_plan)) return Bad(line, "payment_plan", "unknown payment_plan '" + r.payment_plan + "'");
    return r;
}

}  // namespace

std::string CashflowError::ToString() const {
    std::string out = line > 0 ? "line " + std::to_string(line) + ": " : "";
    if (!field.empty()) out += field + ": ";
    return out + message;
}

core::Result<std::vector<Fields>, CashflowError> ParseCsv(std::string_view text) {
    std::vector<Fields> records;
    Fields current;
    std::string field;
    bool in_quotes = false, quoted = false, after_quote = false;
    int line = 1, record_line = 1;
    auto end_field = [&] {
        current.push_back(std::move(field));
        field.clear();
        quoted = after_quote = false;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_quotes) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    in_quotes = false;
                    after_quote = true;
                }
            } else {
                if (c == '\n') ++line;
                field.push_back(c);
            }
            continue;
        }
        if (c == ',') {
            end_field();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r') {
                if (i + 1 >= text.size() || text[i + 1] != '\n') return Bad(line, "record", "bare CR");
                ++i;
            }
            end_field();
            records.push_back(std::move(current));
            current.clear();
            ++line;
            record_line = line;
        } else if (c == '"') {
            if (!field.empty() || quoted) return Bad(line, "record", "quote inside an unquoted field");
            in_quotes = quoted = true;
        } else {
            if (after_quote) return Bad(line, "record", "text after a closing quote");
            field.push_back(c);
        }
    }
    if (in_quotes) return Bad(record_line, "record", "unterminated quoted field");
    if (!field.empty() || !current.empty() || quoted) {
        end_field();
        records.push_back(std::move(current));
    }
    return records;
}

core::Result<CashflowFile, CashflowError> ParseCashflow(std::string_view text, std::optional<Date> expected_date) {
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") return Bad(1, "file", "a byte-order mark is not allowed");
    auto parsed = ParseCsv(text);
    if (!parsed) return core::Fail(parsed.error());
    const std::vector<Fields>& rows = parsed.value();
    if (rows.empty()) return Bad(0, "file", "empty file: an H and a T record are required");
    CashflowFile file;
    const Fields& h = rows.front();
    if (h.empty() || h[0] != "H") return Bad(1, "record", "the first record must be H");
    if (h.size() != 7) return Bad(1, "record", "an H record has 7 fields");
    if (h[1] != "cashflow") return Bad(1, "file_type", "must be 'cashflow'");
    if (h[2] != "1.0") return Bad(1, "version", "unsupported version '" + h[2] + "'");
    file.processor_id = h[3];
    file.issuer_id = h[4];
    auto date = ParseCompactDate(h[5]);
    if (!date) return Bad(1, "file_date", "must be YYYYMMDD");
    if (expected_date && *date != *expected_date) {
        return Bad(1, "file_date", "file is for " + FormatDate(*date) + ", expected " + FormatDate(*expected_date));
    }
    file.file_date = *date;
    if (!IsoTime(h[6])) return Bad(1, "created_at", "must be an ISO 8601 date-time");
    file.created_at = h[6];

    std::set<std::string> txn_ids;
    bool trailer = false;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const int line = static_cast<int>(i) + 1;
        const Fields& row = rows[i];
        if (trailer) return Bad(line, "record", "nothing may follow the T record");
        if (row.empty() || row[0].empty()) return Bad(line, "record", "empty record");
        if (row[0] == "D") {
            auto rec = ParseDetail(row, line, static_cast<std::int64_t>(file.records.size()) + 1);
            if (!rec) return core::Fail(rec.error());
            if (!txn_ids.insert(rec->txn_id).second) return Bad(line, "txn_id", rec->txn_id + " appears twice in the file");
            if (rec->credit) {
                ++file.credit_count;
                file.credit_total += rec->amount;
            } else {
                ++file.debit_count;
                file.debit_total += rec->amount;
            }
            file.records.push_back(std::move(rec).value());
        } else if (row[0] == "T") {
            if (row.size() != 6) return Bad(line, "record", "a T record has 6 fields");
            const char* names[] = {"record_count", "debit_count", "debit_total", "credit_count", "credit_total"};
            const std::int64_t actual[] = {static_cast<std::int64_t>(file.records.size()), file.debit_count,
                                           file.debit_total, file.credit_count, file.credit_total};
            for (int k = 0; k < 5; ++k) {
                auto v = ParseCount(row[k + 1]);
                if (!v) return Bad(line, names[k], "must be a non-negative integer");
                if (*v != actual[k]) {
                    return Bad(line, names[k], "trailer says " + row[k + 1] + ", the records add up to " +
                                                   std::to_string(actual[k]));
                }
            }
            trailer = true;
        } else if (row[0] == "H") {
            return Bad(line, "record", "a second H record");
        } else {
            return Bad(line, "record", "unknown record type '" + row[0] + "'");
        }
    }
    if (!trailer) return Bad(static_cast<int>(rows.size()), "record", "the T record is missing (truncated file?)");
    return file;
}

core::Result<CashflowMarker, CashflowError> ParseCashflowMarker(std::string_view json_text) {
    nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Bad(0, "marker", "not a JSON object");
    CashflowMarker m;
    for (const char* name : {"records", "debit_total", "credit_total"}) {
        auto it = j.find(name);
        if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) {
            return Bad(0, name, "marker needs a non-negative integer");
        }
    }
    m.records = j["records"].get<std::int64_t>();
    m.debit_total = j["debit_total"].get<std::int64_t>();
    m.credit_total = j["credit_total"].get<std::int64_t>();
    auto sha = j.find("sha256");
    if (sha == j.end() || !sha->is_string() || sha->get<std::string>().size() != 64) {
        return Bad(0, "sha256", "marker needs the 64-hex-digit SHA-256 of the file");
    }
    m.sha256 = sha->get<std::string>();
    for (char& c : m.sha256) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    return m;
}

core::Result<CashflowFile, CashflowError> VerifyCashflow(std::string_view csv_text, std::string_view marker_json,
                                                         std::optional<Date> expected_date) {
    auto marker = ParseCashflowMarker(marker_json);
    if (!marker) return core::Fail(marker.error());
    if (Sha256Hex(csv_text) != marker->sha256) return Bad(0, "sha256", "the file's SHA-256 does not match its marker");
    auto file = ParseCashflow(csv_text, expected_date);
    if (!file) return file;
    if (static_cast<std::int64_t>(file->records.size()) != marker->records) {
        return Bad(0, "records", "marker says " + std::to_string(marker->records) + " records, the file has " +
                                     std::to_string(file->records.size()));
    }
    if (file->debit_total != marker->debit_total) return Bad(0, "debit_total", "marker and file totals differ");
    if (file->credit_total != marker->credit_total) return Bad(0, "credit_total", "marker and file totals differ");
    return file;
}

std::string CashflowKey(Date d, bool marker) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "cashflow/%04d/%02u/%02u/cashflow_%04d%02u%02u_01.%s", static_cast<int>(d.year()),
                  static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()), static_cast<int>(d.year()),
                  static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()), marker ? "done" : "csv");
    return buf;
}

}  // namespace sim::platform::statement::domain
