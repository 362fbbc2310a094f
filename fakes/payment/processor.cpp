#include "fakes/payment/processor.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "fakes/common/japanese.hpp"
#include "fakes/common/support.hpp"
#include "sim/core/pan_mask.hpp"

namespace sim::fakes::payment {

using common::ZeroPad;

namespace {

constexpr const char* kDeclineCodes[] = {"05", "12", "13", "14", "41", "43", "46", "51",
                                         "54", "57", "59", "61", "62", "91", "96"};

// Lifecycle magic amounts (DOMAIN.md §10).
constexpr Yen kStandIn = 99'899;
constexpr Yen kClearPlusTenPercent = 99'898;
constexpr Yen kNeverCleared = 99'897;
constexpr Yen kLateClearing = 99'896;
constexpr Yen kDoubleDelivery = 99'895;
constexpr Yen kPartialReversal = 99'894;
constexpr Yen kLateRefund = 99'893;
constexpr Yen kForeign = 99'892;

constexpr std::chrono::days Days(int n) { return std::chrono::days{n}; }

}  // namespace

std::string_view ToString(Network n) { return n == Network::kJcb ? "JCB" : "VISA"; }

std::string_view ToString(AccountStatus s) {
    switch (s) {
        case AccountStatus::kActive: return "ACTIVE";
        case AccountStatus::kSuspended: return "SUSPENDED";
        case AccountStatus::kLost: return "LOST";
        case AccountStatus::kStolen: return "STOLEN";
        case AccountStatus::kClosed: return "CLOSED";
    }
    return "ACTIVE";
}

std::string_view ToString(AuthStatus s) {
    switch (s) {
        case AuthStatus::kPending: return "PENDING";
        case AuthStatus::kDeclined: return "DECLINED";
        case AuthStatus::kReversed: return "REVERSED";
        case AuthStatus::kCleared: return "CLEARED";
        case AuthStatus::kExpired: return "EXPIRED";
    }
    return "PENDING";
}

std::optional<AccountStatus> ParseAccountStatus(std::string_view t) {
    for (auto s : {AccountStatus::kActive, AccountStatus::kSuspended, AccountStatus::kLost, AccountStatus::kStolen,
                   AccountStatus::kClosed})
        if (ToString(s) == t) return s;
    return std::nullopt;
}

bool IsDeclineCode(std::string_view code) {
    return std::find(std::begin(kDeclineCodes), std::end(kDeclineCodes), code) != std::end(kDeclineCodes);
}

char LuhnCheckDigit(std::string_view body) {
    int sum = 0;
    // With the check digit appended, the body's last digit sits at odd offset 1 from the right.
    for (std::size_t i = 0; i < body.size(); ++i) {
        int d = body[body.size() - 1 - i] - '0';
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
    }
    return static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::optional<std::string> MagicPanCode(std::string_view pan) {
    if (pan.size() != 16) return std::nullopt;
    if (pan.substr(0, 6) != "411111" && pan.substr(0, 6) != "356600") return std::nullopt;
    if (pan.substr(6, 7) != "9999000") return std::nullopt;
    std::string code(pan.substr(13, 2));
    if (code != "00" && !IsDeclineCode(code)) return std::nullopt;
    if (!core::LuhnValid(pan)) return std::nullopt;
    return code;
}

PaymentProcessor::PaymentProcessor(clock::Clock& clock, ProcessorOptions options, FileSink sink)
    : clock_(clock), options_(std::move(options)), sink_(std::move(sink)), ids_(options_.seed ^ 0x5041594d454e54ull) {
    ScheduleDailyFile();
}

void PaymentProcessor::Reset() {
    ++generation_;
    accounts_.clear();
    account_by_pan_.clear();
    account_by_ref_.clear();
    auths_.clear();
    postings_.clear();
    file_index_.clear();
    events_.clear();
    next_serial_visa_ = next_serial_jcb_ = next_account_ = next_auth_ = next_txn_ = 1;
    ids_ = core::IdGenerator(options_.seed ^ 0x5041594d454e54ull);
    ScheduleDailyFile();
}

void PaymentProcessor::After(core::Duration delay, std::function<void()> fn) {
    clock_.ScheduleAfter(delay, [this, gen = generation_, fn = std::move(fn)] {
        if (gen == generation_) fn();
    });
}

Account* PaymentProcessor::FindAccount(const std::string& id) {
    auto it = accounts_.find(id);
    return it == accounts_.end() ? nullptr : &it->second;
}

Account* PaymentProcessor::FindByPan(const std::string& pan) {
    auto it = account_by_pan_.find(pan);
    return it == account_by_pan_.end() ? nullptr : FindAccount(it->second);
}

Authorization* PaymentProcessor::FindAuth(const std::string& id) {
    auto it = auths_.find(id);
    return it == auths_.end() ? nullptr : &it->second;
}

std::string PaymentProcessor::AllocatePan(Network network) {
    for (;;) {
        std::uint64_t& serial = network == Network::kJcb ? next_serial_jcb_ : next_serial_visa_;
        std::string body = std::string(network == Network::kJcb ? "356600" : "411111") + ZeroPad(serial++, 9);
        std::string pan = body + LuhnCheckDigit(body);
        if (body.substr(6, 4) == "9999") continue;  // the magic range is never allocated
        if (!account_by_pan_.count(pan)) return pan;
    }
}

std::string PaymentProcessor::MerchantId(const std::string& name) const {
    return ZeroPad(common::StableHash("merchant:" + name) % 1'000'000'000'000ull, 15);
}

ModelResult<Account> PaymentProcessor::RegisterAccount(const RegisterInput& in) {
    if (in.external_ref.empty()) return core::Fail(ModelError::Invalid("external_ref", "is required"));
    if (in.credit_limit < 0 || in.credit_limit > 100'000'000)
        return core::Fail(ModelError::Invalid("credit_limit", "must be between 0 and 100000000 yen"));
    if (account_by_ref_.count(in.external_ref))
        return core::Fail(ModelError::Conflict("external_ref", "already has card account " +
                                                                   account_by_ref_.at(in.external_ref)));
    std::string pan;
    if (!in.requested_pan.empty()) {
        const std::string& p = in.requested_pan;
        if (p.size() != 16 || !core::LuhnValid(p))
            return core::Fail(ModelError::Invalid("x-sim-pan", "must be a Luhn-valid 16-digit card number"));
        if (p[0] != (in.network == Network::kJcb ? '3' : '4'))
            return core::Fail(ModelError::Invalid("x-sim-pan", "does not belong to the requested network"));
        if (account_by_pan_.count(p)) return core::Fail(ModelError::Conflict("x-sim-pan", "is already on file"));
        pan = p;
    } else {
        pan = AllocatePan(in.network);
    }
    Account a;
    a.id = "CA" + ZeroPad(next_account_++, 10);
    a.external_ref = in.external_ref;
    a.card_token = ids_.Uuid();
    a.pan = pan;
    a.network = in.network;
    a.credit_limit = in.credit_limit;
    a.created_at = clock_.Now();
    auto today = common::JstDate(clock_.Now());
    int yy = (static_cast<int>(today.year()) + options_.card_validity_years) % 100;
    a.expiry = ZeroPad(static_cast<std::uint64_t>(yy), 2) + ZeroPad(static_cast<unsigned>(today.month()), 2);
    account_by_pan_[pan] = a.id;
    account_by_ref_[a.external_ref] = a.id;
    accounts_[a.id] = a;
    return a;
}

ModelResult<Account> PaymentProcessor::GetAccount(const std::string& id) const {
    auto it = accounts_.find(id);
    if (it == accounts_.end()) return core::Fail(ModelError::NotFound("card_account_id", "no card account " + id));
    return it->second;
}

ModelResult<Account> PaymentProcessor::SetCreditLimit(const std::string& id, Yen limit) {
    Account* a = FindAccount(id);
    if (!a) return core::Fail(ModelError::NotFound("card_account_id", "no card account " + id));
    if (limit < 0 || limit > 100'000'000)
        return core::Fail(ModelError::Invalid("credit_limit", "must be between 0 and 100000000 yen"));
    if (a->status == AccountStatus::kClosed)
        return core::Fail(ModelError::Conflict("card_account_id", "the account is closed"));
    a->credit_limit = limit;
    return *a;
}

ModelResult<Account> PaymentProcessor::RestoreCredit(const std::string& id, Yen amount) {
    Account* a = FindAccount(id);
    if (!a) return core::Fail(ModelError::NotFound("card_account_id", "no card account " + id));
    if (amount <= 0) return core::Fail(ModelError::Invalid("amount", "must be a positive number of yen"));
    a->posted_unpaid -= amount;
    return *a;
}

ModelResult<Account> PaymentProcessor::SetStatus(const std::string& id, AccountStatus status) {
    Account* a = FindAccount(id);
    if (!a) return core::Fail(ModelError::NotFound("card_account_id", "no card account " + id));
    if (a->status == AccountStatus::kClosed && status != AccountStatus::kClosed)
        return core::Fail(ModelError::Conflict("status", "a closed account cannot be reopened"));
    a->status = status;
    return *a;
}

void PaymentProcessor::AddEvent(std::string type, const std::string& auth_id, const std::string& txn_id, Yen amount,
                                std::string account_id) {
    FeedEvent e;
    if (account_id.empty() && !auth_id.empty()) {
        if (const Authorization* a = FindAuth(auth_id)) account_id = a->account_id;
    }
    e.account_id = std::move(account_id);
    e.seq = events_.size() + 1;
    e.id = "EV" + ZeroPad(e.seq, 12);
    e.type = std::move(type);
    e.at = clock_.Now();
    e.auth_id = auth_id;
    e.txn_id = txn_id;
    e.amount = amount;
    events_.push_back(std::move(e));
}

ModelResult<Authorization> PaymentProcessor::Authorize(const AuthorizeInput& in) {
    if (in.pan.size() < 13 || in.pan.size() > 19 || !core::LuhnValid(in.pan))
        return core::Fail(ModelError::Invalid("card", "is not a valid card number (Luhn check failed)"));
    if (in.amount <= 0) return core::Fail(ModelError::Invalid("amount", "must be a positive number of yen"));
    if (in.mcc.size() != 4 || in.mcc.find_first_not_of("0123456789") != std::string::npos)
        return core::Fail(ModelError::Invalid("mcc", "must be 4 digits (ISO 18245)"));
    if (in.merchant_name.empty()) return core::Fail(ModelError::Invalid("merchant_name", "is required"));
    if (!in.expiry.empty() && (in.expiry.size() != 4 || in.expiry.find_first_not_of("0123456789") != std::string::npos))
        return core::Fail(ModelError::Invalid("expiry", "must be YYMM"));

    Authorization auth;
    auth.id = "AU" + ZeroPad(next_auth_++, 10);
    auth.amount = in.amount;
    auth.trace_id = in.trace_id;
    auth.last4 = in.pan.substr(in.pan.size() - 4);
    auth.network = in.pan[0] == '3' ? Network::kJcb : Network::kVisa;
    auth.merchant_name = common::TruncateUtf8(in.merchant_name, 25);
    auth.merchant_city = common::TruncateUtf8(in.merchant_city, 13);
    auth.merchant_country = in.merchant_country;
    auth.merchant_id = in.merchant_id.empty() ? MerchantId(in.merchant_name) : in.merchant_id;
    auth.mcc = in.mcc;
    auth.rrn = ZeroPad(ids_.random().Below(1'000'000'000'000ull), 12);
    auth.at = clock_.Now();

    Account* account = FindByPan(in.pan);
    std::optional<std::string> magic_pan = MagicPanCode(in.pan);
    std::string code = "00";
    bool ignore_limit = false;
    if (account) {
        auth.account_id = account->id;
        auth.card_token = account->card_token;
        auth.network = account->network;
    }
    if (magic_pan) {
        code = *magic_pan;
        ignore_limit = code == "00";
    } else if (!account) {
        code = "14";
    }
    if (code == "00" && account && !magic_pan) {
        switch (account->status) {
            case AccountStatus::kActive: break;
            case AccountStatus::kSuspended: code = "62"; break;
            case AccountStatus::kLost: code = "41"; break;
            case AccountStatus::kStolen: code = "43"; break;
            case AccountStatus::kClosed: code = "46"; break;
        }
        if (code == "00" && !in.expiry.empty() && in.expiry != account->expiry) code = "54";
    }
    if (code == "00" && in.amount >= 99'900 && in.amount <= 99'999) {
        std::string nn = ZeroPad(static_cast<std::uint64_t>(in.amount - 99'900), 2);
        if (IsDeclineCode(nn)) code = nn;
    }
    if (code == "00" && in.amount >= kForeign && in.amount <= kStandIn) auth.magic_amount = in.amount;
    if (code == "00" && auth.magic_amount == kStandIn) {
        auth.stand_in = true;
        ignore_limit = true;
    }
    if (code == "00" && !ignore_limit) {
        if (std::find(options_.blocked_mccs.begin(), options_.blocked_mccs.end(), in.mcc) != options_.blocked_mccs.end())
            code = "57";
        else if (in.amount > options_.max_transaction_amount)
            code = "61";
        else if (account && in.amount > account->available())
            code = "51";
    }
    auth.response_code = code;
    auth.approved = code == "00";
    if (auth.magic_amount == kForeign && auth.approved) {
        auth.orig_currency = "USD";
        auth.orig_amount_minor = in.amount * 100 / options_.usd_rate;
    }
    if (auth.approved) {
        static constexpr char kAlnum[] = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
        for (int i = 0; i < 6; ++i) auth.auth_code += kAlnum[ids_.random().Below(sizeof kAlnum - 1)];
        auth.status = AuthStatus::kPending;
        if (account) {
            auth.hold = in.amount;
            account->holds += in.amount;
        }
    } else {
        auth.status = AuthStatus::kDeclined;
    }
    auths_[auth.id] = auth;
    // Only the issuer's own cards reach the issuer's feed.
    if (account) {
        AddEvent(auth.stand_in ? "AUTHORIZATION_ADVICE" : "AUTHORIZATION", auth.id, "", auth.amount);
        events_.back().trace_id = auth.trace_id;
        if (auth.approved) ScheduleLifecycle(auth);
    }
    return auth;
}

void PaymentProcessor::ScheduleLifecycle(const Authorization& auth) {
    const std::string id = auth.id;
    const Yen amount = auth.amount;
    const auto clearing = Days(options_.clearing_delay_days);
    const auto expiry = Days(options_.hold_expiry_days);
    auto clear = [this, id](std::optional<Yen> how_much) {
        Authorization* a = FindAuth(id);
        if (a && (a->status == AuthStatus::kPending || a->status == AuthStatus::kExpired)) (void)Clear(id, how_much);
    };
    auto expire = [this, id] {
        Authorization* a = FindAuth(id);
        if (!a || a->status != AuthStatus::kPending) return;
        if (Account* acc = FindAccount(a->account_id)) acc->holds -= a->hold;
        AddEvent("EXPIRY", id, "", a->hold);
        a->hold = 0;
        a->status = AuthStatus::kExpired;
    };
    switch (auth.magic_amount) {
        case kClearPlusTenPercent: After(clearing, [clear, amount] { clear(amount * 110 / 100); }); break;
        case kNeverCleared: break;
        case kLateClearing: After(Days(10), [clear] { clear(std::nullopt); }); break;
        case kPartialReversal:
            After(std::chrono::hours(1), [this, id, amount] { (void)Reverse(id, amount / 2); });
            After(clearing, [clear] { clear(std::nullopt); });
            break;
        case kForeign: After(clearing, [clear, amount] { clear(amount * 101 / 100); }); break;
        case kLateRefund:
            After(clearing, [clear] { clear(std::nullopt); });
            After(Days(14), [this, id, amount] {
                Authorization* a = FindAuth(id);
                Account* acc = a ? FindAccount(a->account_id) : nullptr;
                if (!a || !acc) return;
                ForcePostInput r;
                r.pan = acc->pan;
                r.amount = amount;
                r.refund = true;
                r.merchant_name = a->merchant_name;
                r.merchant_city = a->merchant_city;
                r.merchant_country = a->merchant_country;
                r.merchant_id = a->merchant_id;
                r.mcc = a->mcc;
                (void)ForcePost(r);
            });
            break;
        default: After(clearing, [clear] { clear(std::nullopt); }); break;
    }
    After(expiry, expire);
}

ModelResult<Authorization> PaymentProcessor::Reverse(const std::string& auth_id, std::optional<Yen> amount) {
    Authorization* a = FindAuth(auth_id);
    if (!a) return core::Fail(ModelError::NotFound("authorization_id", "no authorization " + auth_id));
    if (a->status != AuthStatus::kPending)
        return core::Fail(ModelError::Conflict("authorization_id", "is " + std::string(ToString(a->status)) +
                                                                       ", only a pending authorization can be reversed"));
    Yen held = a->account_id.empty() ? a->amount - a->reversed : a->hold;
    Yen n = amount.value_or(held);
    if (n <= 0 || n > held)
        return core::Fail(ModelError::Invalid("amount", "must be between 1 and the " + std::to_string(held) +
                                                            " yen still authorized"));
    a->reversed += n;
    if (!a->account_id.empty()) {
        a->hold -= n;
        if (Account* acc = FindAccount(a->account_id)) acc->holds -= n;
        AddEvent("REVERSAL", a->id, "", n);
    }
    if (a->reversed >= a->amount) a->status = AuthStatus::kReversed;
    return *a;
}

Posting& PaymentProcessor::Post(Posting p, Account* account) {
    p.txn_id = "PT" + ZeroPad(next_txn_++, 20);
    p.posted_at = clock_.Now();
    p.posting_date = common::JstDate(p.posted_at);
    if (account) account->posted_unpaid += p.dc == 'D' ? p.amount : -p.amount;
    postings_.push_back(std::move(p));
    std::size_t index = postings_.size() - 1;
    file_index_[postings_[index].posting_date].push_back(index);
    AddEvent(postings_[index].txn_type == "REFUND" ? "REFUND" : "CLEARING", postings_[index].auth_id,
             postings_[index].txn_id, postings_[index].amount, account ? account->id : "");
    return postings_[index];
}

ModelResult<Posting> PaymentProcessor::Clear(const std::string& auth_id, std::optional<Yen> amount) {
    Authorization* a = FindAuth(auth_id);
    if (!a) return core::Fail(ModelError::NotFound("authorization_id", "no authorization " + auth_id));
    if (a->status != AuthStatus::kPending && a->status != AuthStatus::kExpired)
        return core::Fail(ModelError::Conflict("authorization_id", "is " + std::string(ToString(a->status)) +
                                                                       ", only a pending or expired authorization clears"));
    if (a->account_id.empty())
        return core::Fail(ModelError::Conflict("authorization_id", "the card is not on file with this issuer"));
    Yen n = amount.value_or(a->status == AuthStatus::kExpired ? a->amount - a->reversed : a->hold);
    if (n <= 0) return core::Fail(ModelError::Invalid("amount", "must be a positive number of yen"));
    Account* acc = FindAccount(a->account_id);
    if (acc) acc->holds -= a->hold;
    a->hold = 0;
    a->cleared = n;
    a->status = AuthStatus::kCleared;
    Posting p;
    p.auth_id = a->id;
    p.auth_code = a->auth_code;
    p.account_id = a->account_id;
    p.card_token = a->card_token;
    p.last4 = a->last4;
    p.network = a->network;
    p.txn_type = "PURCHASE";
    p.dc = 'D';
    p.amount = n;
    p.orig_currency = a->orig_currency;
    if (a->orig_amount_minor) p.orig_amount_minor = *a->orig_amount_minor * n / a->amount;
    p.txn_at = a->at;
    p.auth_at = a->at;
    p.merchant_id = a->merchant_id;
    p.merchant_name = a->merchant_name;
    p.merchant_city = a->merchant_city;
    p.merchant_country = a->merchant_country;
    p.mcc = a->mcc;
    p.rrn = a->rrn;
    Yen magic = a->magic_amount;
    Posting& posted = Post(std::move(p), acc);
    if (magic == kDoubleDelivery) {
        auto next_day = std::chrono::year_month_day{std::chrono::sys_days{posted.posting_date} + Days(1)};
        file_index_[next_day].push_back(postings_.size() - 1);
    }
    return posted;
}

ModelResult<Posting> PaymentProcessor::ForcePost(const ForcePostInput& in) {
    if (in.pan.size() < 13 || in.pan.size() > 19 || !core::LuhnValid(in.pan))
        return core::Fail(ModelError::Invalid("card", "is not a valid card number (Luhn check failed)"));
    if (in.amount <= 0) return core::Fail(ModelError::Invalid("amount", "must be a positive number of yen"));
    if (in.mcc.size() != 4 || in.mcc.find_first_not_of("0123456789") != std::string::npos)
        return core::Fail(ModelError::Invalid("mcc", "must be 4 digits (ISO 18245)"));
    if (in.merchant_name.empty()) return core::Fail(ModelError::Invalid("merchant_name", "is required"));
    Account* acc = FindByPan(in.pan);
    if (!acc) return core::Fail(ModelError::NotFound("card", "is not on file with this issuer"));
    Posting p;
    p.account_id = acc->id;
    p.card_token = acc->card_token;
    p.last4 = acc->last4();
    p.network = acc->network;
    p.txn_type = in.refund ? "REFUND" : "PURCHASE";
    p.dc = in.refund ? 'C' : 'D';
    p.amount = in.amount;
    p.txn_at = clock_.Now();
    p.merchant_id = in.merchant_id.empty() ? MerchantId(in.merchant_name) : in.merchant_id;
    p.merchant_name = common::TruncateUtf8(in.merchant_name, 25);
    p.merchant_city = common::TruncateUtf8(in.merchant_city, 13);
    p.merchant_country = in.merchant_country;
    p.mcc = in.mcc;
    p.rrn = ZeroPad(ids_.random().Below(1'000'000'000'000ull), 12);
    return Post(std::move(p), acc);
}

ModelResult<Authorization> PaymentProcessor::GetAuthorization(const std::string& id) const {
    auto it = auths_.find(id);
    if (it == auths_.end()) return core::Fail(ModelError::NotFound("authorization_id", "no authorization " + id));
    return it->second;
}

ModelResult<FeedPage> PaymentProcessor::Feed(const std::string& after, std::size_t limit) const {
    std::uint64_t from = 0;
    if (!after.empty()) {
        if (after.size() != 14 || after.rfind("EV", 0) != 0 ||
            after.find_first_not_of("0123456789", 2) != std::string::npos)
            return core::Fail(ModelError::Invalid("after", "is not a cursor returned by this API"));
        from = std::stoull(after.substr(2));
    }
    FeedPage page;
    page.next_cursor = after;
    for (std::size_t i = from; i < events_.size() && page.events.size() < limit; ++i) {
        page.events.push_back(events_[i]);
        page.next_cursor = events_[i].id;
    }
    page.has_more = from + page.events.size() < events_.size();
    return page;
}

CashflowFile PaymentProcessor::BuildCashflowFile(std::chrono::year_month_day date, core::TimePoint created_at) const {
    CashflowFile f;
    f.date = date;
    std::string ymd = common::FormatCompactDate(date);
    std::string dir = "cashflow/" + ymd.substr(0, 4) + "/" + ymd.substr(4, 2) + "/" + ymd.substr(6, 2) + "/";
    f.key = dir + "cashflow_" + ymd + "_01.csv";
    f.marker_key = dir + "cashflow_" + ymd + "_01.done";
    std::string body = "H,cashflow,1.0," + options_.processor_id + "," + options_.issuer_id + "," + ymd + "," +
                       common::FormatJst(created_at) + "\n";
    std::size_t seq = 0, debit_count = 0, credit_count = 0;
    Yen debit_total = 0, credit_total = 0;
    auto it = file_index_.find(date);
    if (it != file_index_.end()) {
        for (std::size_t index : it->second) {
            const Posting& p = postings_[index];
            ++seq;
            (p.dc == 'D' ? debit_count : credit_count)++;
            (p.dc == 'D' ? debit_total : credit_total) += p.amount;
            std::vector<std::string> fields = {
                "D", std::to_string(seq), p.txn_id, p.auth_id, p.auth_code, p.card_token, p.last4,
                std::string(ToString(p.network)), p.txn_type, std::string(1, p.dc), std::to_string(p.amount), "JPY",
                p.orig_amount_minor ? std::to_string(*p.orig_amount_minor) : "", p.orig_currency,
                common::FormatJst(p.txn_at), p.auth_id.empty() ? "" : common::FormatJst(p.auth_at),
                common::FormatDate(p.posting_date), p.merchant_id, p.merchant_name, p.merchant_city,
                p.merchant_country, p.mcc, p.rrn, p.payment_plan};
            std::string line;
            for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + common::CsvField(fields[i]);
            body += line + "\n";
        }
    }
    body += "T," + std::to_string(seq) + "," + std::to_string(debit_count) + "," + std::to_string(debit_total) + "," +
            std::to_string(credit_count) + "," + std::to_string(credit_total) + "\n";
    f.records = seq;
    f.marker_body = nlohmann::json{{"records", seq},
                                   {"debit_total", debit_total},
                                   {"credit_total", credit_total},
                                   {"sha256", common::Sha256Hex(body)}}
                        .dump();
    f.body = std::move(body);
    return f;
}

void PaymentProcessor::ScheduleDailyFile() {
    core::TimePoint at = common::NextJstTimeOfDay(clock_.Now(), options_.cashflow_time);
    clock_.Schedule(at, [this, gen = generation_, at] {
        if (gen != generation_) return;
        auto day_before = std::chrono::year_month_day{std::chrono::sys_days{common::JstDate(at)} - Days(1)};
        CashflowFile f = BuildCashflowFile(day_before, at);
        ScheduleDailyFile();
        if (sink_) sink_(f);
    });
}

}  // namespace sim::fakes::payment
