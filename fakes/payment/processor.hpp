#pragma once
// The fake payment processor's model (issue 7 §1, DOMAIN.md §1, §2, §7, §10): card accounts with
// open-to-buy, authorization simulation with ISO 8583 response codes and magic PANs/amounts,
// reversals, clearing after N days (possibly for another amount), hold expiry, refunds, an
// event feed for the platform's cursor polling, and the daily cashflow file. No HTTP here; all
// timing on the Clock; ids from a seeded generator.
//
// Open-to-buy: available = credit_limit - posted_unpaid - holds. Approve -> hold +amount;
// reversal -> hold -amount; clearing -> hold released, posted +clearing amount; expiry -> hold
// released. Repayment restoration lowers posted_unpaid (below zero = prepaid credit).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fakes/common/problem.hpp"
#include "sim/clock/clock.hpp"
#include "sim/core/random.hpp"

namespace sim::fakes::payment {

using Yen = std::int64_t;
using common::ModelError;
using common::ModelResult;

enum class Network { kVisa, kJcb };
enum class AccountStatus { kActive, kSuspended, kLost, kStolen, kClosed };
enum class AuthStatus { kPending, kDeclined, kReversed, kCleared, kExpired };

std::string_view ToString(Network n);
std::string_view ToString(AccountStatus s);
std::string_view ToString(AuthStatus s);
std::optional<AccountStatus> ParseAccountStatus(std::string_view text);

struct ProcessorOptions {
    std::uint64_t seed = 1;
    std::string processor_id = "SIMPROC01";
    std::string issuer_id = "SIMISSUER01";
    /// Clearing arrives this many days after the authorization (same time of day).
    int clearing_delay_days = 1;
    /// An uncleared hold expires after this many days.
    int hold_expiry_days = 7;
    /// The daily cashflow file for postings dated D is delivered at this JST time on D+1.
    std::chrono::minutes cashflow_time{4 * 60};
    /// Yen per US dollar for the foreign-currency magic amount.
    Yen usd_rate = 150;
    /// MCCs declined with 57 (not permitted): gambling, quasi-cash.
    std::vector<std::string> blocked_mccs = {"7995", "6051"};
    /// Single-transaction cap: more is declined with 61.
    Yen max_transaction_amount = 1'000'000;
    /// Years a new card is valid for.
    int card_validity_years = 5;
};

struct Account {
    std::string id;            ///< "CA" + 10 digits
    std::string external_ref;  ///< the platform's reference (member or card id)
    std::string card_token;    ///< UUID: what files and the feed carry instead of the PAN
    std::string pan;           ///< full card number: returned once at registration, never logged
    std::string expiry;        ///< YYMM (ISO 8583 field 14)
    Network network = Network::kVisa;
    Yen credit_limit = 0;
    Yen posted_unpaid = 0;
    Yen holds = 0;
    AccountStatus status = AccountStatus::kActive;
    core::TimePoint created_at{};
    Yen available() const { return credit_limit - posted_unpaid - holds; }
    std::string last4() const { return pan.substr(pan.size() - 4); }
};

struct Authorization {
    std::string id;  ///< "AU" + 10 digits
    std::string account_id;  ///< empty when the card is not on file
    std::string card_token, last4;
    Network network = Network::kVisa;
    Yen amount = 0;
    Yen hold = 0;       ///< still held
    Yen reversed = 0;
    Yen cleared = 0;
    std::string response_code;  ///< ISO 8583 field 39, "00" approved
    bool approved = false;
    bool stand_in = false;      ///< approved by network stand-in: the platform sees an advice (0120)
    std::string auth_code;      ///< field 38, 6 alphanumerics; empty when declined
    std::string rrn;            ///< field 37, 12 digits
    std::string merchant_id, merchant_name, merchant_city, merchant_country, mcc;
    std::optional<std::int64_t> orig_amount_minor;
    std::string orig_currency;
    core::TimePoint at{};
    AuthStatus status = AuthStatus::kPending;
    Yen magic_amount = 0;       ///< the lifecycle magic amount that shaped it, 0 if none
    /// The trace id of the merchant's authorization request (X-Cardsim-Trace-Id), "" if none. Not
    /// an ISO 8583 field: the simulator carries it so the card-use path is one trace end to end.
    std::string trace_id;
};

struct Posting {
    std::string txn_id;  ///< "PT" + 20 digits, stable across re-deliveries
    std::string auth_id, auth_code, account_id, card_token, last4;
    Network network = Network::kVisa;
    std::string txn_type;  ///< PURCHASE, REFUND
    char dc = 'D';
    Yen amount = 0;
    std::optional<std::int64_t> orig_amount_minor;
    std::string orig_currency;
    core::TimePoint txn_at{}, auth_at{}, posted_at{};
    std::chrono::year_month_day posting_date{};
    std::string merchant_id, merchant_name, merchant_city, merchant_country, mcc, rrn;
    std::string payment_plan = "ONE_TIME";
};

/// One entry of the polling feed. Types: AUTHORIZATION (approved or declined), AUTHORIZATION_ADVICE
/// (stand-in), REVERSAL, EXPIRY, CLEARING, REFUND.
struct FeedEvent {
    std::uint64_t seq = 0;
    std::string id;  ///< "EV" + 12 digits; the cursor
    std::string type;
    core::TimePoint at{};
    std::string auth_id;   ///< empty for unlinked refunds and force posts
    std::string txn_id;    ///< CLEARING / REFUND
    std::string account_id;  ///< the card account (also for force posts and unlinked refunds)
    Yen amount = 0;        ///< the amount this event concerns
    /// AUTHORIZATION / AUTHORIZATION_ADVICE: the authorization request's trace id; "" otherwise
    /// (events of timers and of other simulate calls are traced by the platform's poll).
    std::string trace_id;
};

struct FeedPage {
    std::vector<FeedEvent> events;
    std::string next_cursor;  ///< pass as `after` next time (the given cursor when nothing new)
    bool has_more = false;
};

struct CashflowFile {
    std::chrono::year_month_day date{};
    std::string key, body;            ///< cashflow/YYYY/MM/DD/cashflow_YYYYMMDD_01.csv
    std::string marker_key, marker_body;  ///< ... .done: {"records","debit_total","credit_total","sha256"}
    std::size_t records = 0;
};

struct RegisterInput {
    std::string external_ref;
    Yen credit_limit = 0;
    Network network = Network::kVisa;
    std::string requested_pan;  ///< sandbox-only: allocate this (magic) PAN
};

struct AuthorizeInput {
    std::string pan;
    std::string expiry;  ///< optional YYMM; checked when given
    Yen amount = 0;
    std::string merchant_name, mcc, merchant_city = "TOKYO", merchant_country = "JP", merchant_id;
    std::string trace_id;  ///< the request's trace, kept on the authorization and its feed event
};

struct ForcePostInput {
    std::string pan;
    Yen amount = 0;
    bool refund = false;
    std::string merchant_name, mcc, merchant_city = "TOKYO", merchant_country = "JP", merchant_id;
};

/// Magic PANs (DOMAIN.md §10): 411111 999900 0NN c / 356600 999900 0NN c -> response code NN.
std::optional<std::string> MagicPanCode(std::string_view pan);
/// The Luhn check digit for `body`.
char LuhnCheckDigit(std::string_view body);
/// Response codes the magic amounts ¥99,9NN and magic PANs can produce.
bool IsDeclineCode(std::string_view code);

class PaymentProcessor {
public:
    using FileSink = std::function<void(const CashflowFile&)>;

    /// Schedules the daily cashflow file (first at the next `cashflow_time`); files go to `sink`.
    PaymentProcessor(clock::Clock& clock, ProcessorOptions options, FileSink sink);

    ModelResult<Account> RegisterAccount(const RegisterInput& input);
    ModelResult<Account> GetAccount(const std::string& id) const;
    ModelResult<Account> SetCreditLimit(const std::string& id, Yen limit);
    /// Restores available credit after a repayment: posted_unpaid -= amount (may go below zero).
    ModelResult<Account> RestoreCredit(const std::string& id, Yen amount);
    ModelResult<Account> SetStatus(const std::string& id, AccountStatus status);

    /// Authorizes (a decline is a successful result with approved=false). Luhn-invalid PAN,
    /// amount <= 0 are invalid input (never reach "the network").
    ModelResult<Authorization> Authorize(const AuthorizeInput& input);
    /// Reverses `amount` (all that is held when unset) of a pending authorization.
    ModelResult<Authorization> Reverse(const std::string& auth_id, std::optional<Yen> amount);
    /// Clears an authorization now for `amount` (what is held when unset); pending or expired.
    ModelResult<Posting> Clear(const std::string& auth_id, std::optional<Yen> amount);
    /// A posting without authorization: force post (debit) or unlinked refund (credit).
    ModelResult<Posting> ForcePost(const ForcePostInput& input);

    ModelResult<Authorization> GetAuthorization(const std::string& id) const;
    /// Events after `after` (an event id; empty = from the start), at most `limit`.
    ModelResult<FeedPage> Feed(const std::string& after, std::size_t limit) const;
    const std::vector<Posting>& postings() const { return postings_; }
    /// The cashflow file of postings dated `date` (plus re-deliveries), as it would be delivered.
    CashflowFile BuildCashflowFile(std::chrono::year_month_day date, core::TimePoint created_at) const;
    /// Forgets everything; the daily file schedule restarts from now.
    void Reset();

private:
    Account* FindAccount(const std::string& id);
    Account* FindByPan(const std::string& pan);
    Authorization* FindAuth(const std::string& id);
    std::string AllocatePan(Network network);
    void AddEvent(std::string type, const std::string& auth_id, const std::string& txn_id, Yen amount,
                  std::string account_id = "");
    Posting& Post(Posting p, Account* account);
    void ScheduleLifecycle(const Authorization& auth);
    void ScheduleDailyFile();
    void After(core::Duration delay, std::function<void()> fn);
    std::string MerchantId(const std::string& name) const;

    clock::Clock& clock_;
    ProcessorOptions options_;
    FileSink sink_;
    core::IdGenerator ids_;
    std::uint64_t generation_ = 0;
    std::map<std::string, Account> accounts_;
    std::map<std::string, std::string> account_by_pan_;
    std::map<std::string, std::string> account_by_ref_;
    std::map<std::string, Authorization> auths_;
    std::vector<Posting> postings_;
    /// File date -> posting indexes delivered in that day's file (a posting may be delivered twice).
    std::map<std::chrono::year_month_day, std::vector<std::size_t>> file_index_;
    std::vector<FeedEvent> events_;
    std::uint64_t next_serial_visa_ = 1, next_serial_jcb_ = 1, next_account_ = 1, next_auth_ = 1, next_txn_ = 1;
};

}  // namespace sim::fakes::payment
