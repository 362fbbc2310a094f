#include "fakes/bureau/bureau.hpp"

#include <algorithm>

#include "fakes/common/japanese.hpp"
#include "fakes/common/support.hpp"

namespace sim::fakes::bureau {

std::string IdentityKey(const Identity& id) {
    return common::KanaFold(id.family_name_kana + id.given_name_kana) + "|" + id.birth_date;
}

void CreditBureau::Reset() {
    inquiries_.clear();
    contracts_.clear();
    by_identity_.clear();
    next_inquiry_ = next_contract_ = 1;
}

namespace {

Contract MakeCard(const std::string& id, const std::string& company, Yen limit, Yen balance, std::string history) {
    Contract c;
    c.id = id;
    c.company = company;
    c.type = "REVOLVING";
    c.contract_date = "2022-04-01";
    c.limit = limit;
    c.balance = balance;
    c.annual_billing = balance * 12;
    c.payment_history = std::move(history);
    return c;
}

}  // namespace

std::vector<Contract> CreditBureau::BaseContracts(const Identity& id, const std::string& key, Report* r) const {
    std::string given = common::NormalizeName(id.given_name_kana);
    std::string clean(24, '$');
    std::vector<Contract> out;
    if (given == "ミトウロク") {
        r->found = false;
        return out;
    }
    r->found = true;
    if (given == "イドウ") {
        std::string h = std::string(18, '$') + "AAAAAA";
        out.push_back(MakeCard("EXT-IDO-1", "SIMCARD-A", 300'000, 280'000, h));
        r->incident = true;
        r->incident_since = "2025-05";
        r->incident_reason = "61_DAYS_OVERDUE";
    } else if (given == "エンタイ") {
        out.push_back(MakeCard("EXT-ENT-1", "SIMCARD-A", 200'000, 150'000, std::string(23, '$') + "A"));
    } else if (given == "タジュウ") {
        for (int i = 0; i < 5; ++i) {
            Contract c = MakeCard("EXT-TAJ-" + std::to_string(i + 1), "SIMCARD-" + std::string(1, char('A' + i)),
                                  500'000, 400'000, clean);
            c.annual_billing = 480'000;  // 5 x 480,000 = 2,400,000
            out.push_back(c);
        }
        r->inquiries_6m = 4;
    } else if (given == "ツウジョウ" || given == "シンサ" || given == "ムオウトウ") {
        out.push_back(MakeCard("EXT-STD-1", "SIMCARD-A", 300'000, 20'000, clean));
    } else {
        // Everyone else: 0-3 clean cards from the identity's hash; 1 in 20 has one late month.
        std::uint64_t h = common::StableHash(key + "|" + std::to_string(seed_));
        int n = static_cast<int>(h % 4);
        for (int i = 0; i < n; ++i) {
            std::string hist = clean;
            if ((h >> 8) % 20 == 0 && i == 0) hist[20] = 'A';
            Yen limit = static_cast<Yen>(100'000 * (1 + (h >> (16 + i * 4)) % 5));
            out.push_back(MakeCard("EXT-" + common::ZeroPad((h >> 24) % 100000, 5) + "-" + std::to_string(i + 1),
                                   "SIMCARD-" + std::string(1, char('A' + i)), limit, limit / 5, hist));
        }
        r->inquiries_6m = static_cast<int>((h >> 40) % 3);
    }
    return out;
}

ModelResult<Report> CreditBureau::Inquire(const Identity& id, const std::string& inquirer, const std::string& purpose) {
    if (!common::IsDate(id.birth_date)) return core::Fail(ModelError::Invalid("birth_date", "must be a date YYYY-MM-DD"));
    std::string key = IdentityKey(id);
    Report r;
    r.at = clock_.Now();
    r.contracts = BaseContracts(id, key, &r);
    if (auto it = by_identity_.find(key); it != by_identity_.end()) {
        r.found = true;
        for (const auto& cid : it->second) r.contracts.push_back(contracts_.at(cid));
    }
    // Inquiry records are kept 6 months and show up in later reports.
    for (const auto& q : inquiries_)
        if (q.identity_key == key && r.at - q.at <= std::chrono::days(183)) ++r.inquiries_6m;
    int score = r.found ? 750 : 500;
    for (const auto& c : r.contracts) {
        r.total_balance += c.balance;
        r.total_annual_billing += c.annual_billing;
        score -= 10;
        score -= 60 * static_cast<int>(std::count(c.payment_history.begin() + 12, c.payment_history.end(), 'A'));
    }
    if (r.incident) score = std::min(score, 150);
    score -= 20 * r.inquiries_6m;
    r.score = std::clamp(score, 0, 999);
    r.inquiry_id = "IQ" + common::ZeroPad(next_inquiry_++, 10);
    inquiries_.push_back(InquiryRecord{r.inquiry_id, inquirer, purpose, key, id, r.at});
    return r;
}

ModelResult<Contract> CreditBureau::RegisterContract(const ContractInput& in) {
    if (!common::IsDate(in.identity.birth_date))
        return core::Fail(ModelError::Invalid("birth_date", "must be a date YYYY-MM-DD"));
    if (in.type != "REVOLVING" && in.type != "INSTALLMENT" && in.type != "LOAN")
        return core::Fail(ModelError::Invalid("contract_type", "must be one of REVOLVING, INSTALLMENT, LOAN"));
    if (in.limit <= 0) return core::Fail(ModelError::Invalid("limit", "must be a positive number of yen"));
    Contract c;
    c.id = "CC" + common::ZeroPad(next_contract_++, 10);
    c.company = in.company;
    c.type = in.type;
    c.contract_date = in.contract_date;
    c.limit = in.limit;
    c.payment_history = std::string(24, '-');
    contracts_[c.id] = c;
    by_identity_[IdentityKey(in.identity)].push_back(c.id);
    return c;
}

ModelResult<Contract> CreditBureau::UpdatePaymentStatus(const std::string& id, char symbol, Yen balance) {
    auto it = contracts_.find(id);
    if (it == contracts_.end()) return core::Fail(ModelError::NotFound("contract_id", "no contract " + id));
    if (std::string("$PRABC-").find(symbol) == std::string::npos)
        return core::Fail(ModelError::Invalid("symbol", "must be one of $ P R A B C -"));
    if (balance < 0) return core::Fail(ModelError::Invalid("balance", "must not be negative"));
    Contract& c = it->second;
    c.payment_history = c.payment_history.substr(1) + symbol;
    c.balance = balance;
    return c;
}

ModelResult<Contract> CreditBureau::GetContract(const std::string& id) const {
    auto it = contracts_.find(id);
    if (it == contracts_.end()) return core::Fail(ModelError::NotFound("contract_id", "no contract " + id));
    return it->second;
}

}  // namespace sim::fakes::bureau
