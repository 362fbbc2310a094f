#include "fakes/atm/atm.hpp"

#include <nlohmann/json.hpp>

#include "fakes/common/support.hpp"

namespace sim::fakes::atm {

std::string SignToken(const TokenPayload& p, const std::string& secret) {
    nlohmann::json j = {{"member_id", p.member_id}, {"nonce", p.nonce}, {"exp", p.exp}};
    if (p.amount) j["amount"] = *p.amount;
    std::string body = common::Base64UrlEncode(j.dump());
    return body + "." + common::Base64UrlEncode(common::HmacSha256(secret, body));
}

AtmNetwork::AtmNetwork(clock::Clock& clock, AtmOptions options,
                       std::function<void(const Repayment&, const NotifyPlan&)> notify,
                       std::function<void(const ReconFile&)> recon_sink)
    : clock_(clock), options_(std::move(options)), notify_(std::move(notify)), recon_sink_(std::move(recon_sink)) {
    ScheduleRecon();
}

void AtmNetwork::Reset() {
    ++generation_;
    repayments_.clear();
    order_.clear();
    used_nonces_.clear();
    next_id_ = 1;
    ScheduleRecon();
}

ModelResult<TokenPayload> AtmNetwork::VerifyToken(const std::string& token) const {
    auto dot = token.find('.');
    if (dot == std::string::npos) return core::Fail(ModelError::Invalid("repay_token", "is malformed (payload.signature)"));
    std::string body = token.substr(0, dot);
    auto sig = common::Base64UrlDecode(token.substr(dot + 1));
    if (!sig || !common::ConstantTimeEquals(*sig, common::HmacSha256(options_.hmac_secret, body)))
        return core::Fail(ModelError::Invalid("repay_token", "signature does not verify"));
    auto raw = common::Base64UrlDecode(body);
    auto j = raw ? nlohmann::json::parse(*raw, nullptr, false) : nlohmann::json();
    if (!raw || j.is_discarded() || !j.is_object() || !j.contains("member_id") || !j["member_id"].is_string() ||
        !j.contains("nonce") || !j["nonce"].is_string() || !j.contains("exp") || !j["exp"].is_number_integer())
        return core::Fail(ModelError::Invalid("repay_token", "payload must be {member_id, nonce, exp[, amount]}"));
    TokenPayload p;
    p.member_id = j["member_id"].get<std::string>();
    p.nonce = j["nonce"].get<std::string>();
    p.exp = j["exp"].get<std::int64_t>();
    if (j.contains("amount")) {
        if (!j["amount"].is_number_integer()) return core::Fail(ModelError::Invalid("repay_token", "amount must be an integer"));
        p.amount = j["amount"].get<Yen>();
    }
    std::int64_t now = core::ToEpochMillis(clock_.Now()) / 1000;
    if (p.exp < now) return core::Fail(ModelError::Invalid("repay_token", "has expired"));
    if (p.exp > now + std::chrono::duration_cast<std::chrono::seconds>(options_.max_token_lifetime).count())
        return core::Fail(ModelError::Invalid("repay_token", "expires more than 5 minutes ahead"));
    if (used_nonces_.count(p.nonce)) return core::Fail(ModelError::Invalid("repay_token", "has already been used"));
    return p;
}

ModelResult<Repayment> AtmNetwork::Repay(const RepaymentInput& in) {
    if (in.store_code.empty()) return core::Fail(ModelError::Invalid("store_code", "is required"));
    Yen amount = 0;
    if (!in.notes.empty()) {
        if (in.notes.size() > options_.max_notes)
            return core::Fail(ModelError::Invalid("notes", "at most " + std::to_string(options_.max_notes) + " notes"));
        for (Yen n : in.notes) {
            if (n != 1000 && n != 2000 && n != 5000 && n != 10000)
                return core::Fail(ModelError::Invalid("notes", "only ¥1,000, ¥2,000, ¥5,000 and ¥10,000 notes are accepted"));
            amount += n;
        }
        if (in.amount && *in.amount != amount)
            return core::Fail(ModelError::Invalid("amount", "does not equal the sum of the notes"));
    } else if (in.amount) {
        amount = *in.amount;
        if (amount <= 0 || amount % 1000 != 0)
            return core::Fail(ModelError::Invalid("amount", "must be a positive multiple of ¥1,000 (notes only, no coins)"));
    } else {
        return core::Fail(ModelError::Invalid("notes", "notes or amount is required"));
    }
    if (amount > options_.max_amount)
        return core::Fail(ModelError::Invalid("amount", "exceeds the ATM's limit of " + std::to_string(options_.max_amount) + " yen"));
    auto token = VerifyToken(in.token);
    if (!token) return core::Fail(token.error());
    if (token->amount && *token->amount != amount)
        return core::Fail(ModelError::Invalid("amount", "differs from the amount in the repay token"));
    used_nonces_.insert(token->nonce);
    Repayment r;
    r.id = "AT" + common::ZeroPad(next_id_++, 12);
    r.member_ref = token->member_id;
    r.store_code = in.store_code;
    r.amount = amount;
    r.received_at = clock_.Now();
    r.trace_id = in.trace_id;
    repayments_[r.id] = r;
    order_.push_back(r.id);
    NotifyPlan plan;
    if (in.store_code == "SIM-DUP") plan.copies = 2;
    if (in.store_code == "SIM-LATE") plan.late_answers = 3;
    if (notify_) notify_(r, plan);
    return r;
}

void AtmNetwork::MarkNotified(const std::string& id, int attempts, bool acknowledged) {
    auto it = repayments_.find(id);
    if (it == repayments_.end()) return;
    it->second.attempts = attempts;
    it->second.status = acknowledged ? "ACKNOWLEDGED" : "FAILED";
    if (acknowledged) it->second.acknowledged_at = clock_.Now();
}

ModelResult<Repayment> AtmNetwork::Get(const std::string& id) const {
    auto it = repayments_.find(id);
    if (it == repayments_.end()) return core::Fail(ModelError::NotFound("atm_txn_id", "no repayment " + id));
    return it->second;
}

ReconFile AtmNetwork::BuildReconFile(std::chrono::year_month_day date, core::TimePoint created_at) const {
    ReconFile f;
    f.date = date;
    std::string ymd = common::FormatCompactDate(date);
    f.key = "atm/recon/" + ymd + ".csv";
    std::string body = "H,atm-recon,1.0," + options_.network_id + "," + options_.issuer_id + "," + ymd + "," +
                       common::FormatJst(created_at) + "\n";
    Yen total = 0;
    for (const auto& id : order_) {
        const Repayment& r = repayments_.at(id);
        if (common::JstDate(r.received_at) != date) continue;
        ++f.records;
        total += r.amount;
        body += "D," + std::to_string(f.records) + "," + r.id + "," + common::FormatJst(r.received_at) + "," +
                common::CsvField(r.store_code) + "," + common::CsvField(r.member_ref) + "," + std::to_string(r.amount) +
                "\n";
    }
    body += "T," + std::to_string(f.records) + "," + std::to_string(total) + "\n";
    f.body = std::move(body);
    return f;
}

void AtmNetwork::ScheduleRecon() {
    core::TimePoint at = common::NextJstTimeOfDay(clock_.Now(), options_.recon_time);
    clock_.Schedule(at, [this, gen = generation_, at] {
        if (gen != generation_) return;
        auto day_before = std::chrono::year_month_day{std::chrono::sys_days{common::JstDate(at)} - std::chrono::days{1}};
        ReconFile f = BuildReconFile(day_before, at);
        ScheduleRecon();
        if (recon_sink_) recon_sink_(f);
    });
}

}  // namespace sim::fakes::atm
