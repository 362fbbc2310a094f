#pragma once
// The fake convenience-store ATM network's model (issue 7 §6, DOMAIN.md §6, §10). A repayment at
// an ATM presents the platform-signed QR token and inserts notes; the token is verified
// (HMAC-SHA256 signature with the shared secret, expiry, single use), the amount checked (notes
// only: multiples of ¥1,000), and the repayment is notified to the platform (through `notify`;
// the api retries until acknowledged). A reconciliation file of each day's repayments is built
// daily (`recon_sink`).
//
// Token format (the platform signs it; see fakes/atm/README.md):
//   base64url(JSON payload) "." base64url(HMAC-SHA256(secret, base64url(JSON payload)))
//   payload: {"member_id": "...", "nonce": "...", "exp": <epoch seconds>, "amount": <yen, optional>}

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fakes/common/problem.hpp"
#include "sim/clock/clock.hpp"

namespace sim::fakes::atm {

using common::ModelError;
using common::ModelResult;
using Yen = std::int64_t;

struct AtmOptions {
    std::uint64_t seed = 1;
    std::string hmac_secret = "cardsim-atm-qr-secret";
    std::string network_id = "SIM7BANK";
    std::string issuer_id = "SIMISSUER01";
    std::string company_number = "8439";  ///< 企業番号 shown in the app
    core::Duration max_token_lifetime = std::chrono::minutes(5);
    Yen max_amount = 500'000;
    std::size_t max_notes = 100;
    /// The reconciliation file for day D is built at this JST time on D+1.
    std::chrono::minutes recon_time{5 * 60};
};

struct TokenPayload {
    std::string member_id, nonce;
    std::int64_t exp = 0;  ///< epoch seconds
    std::optional<Yen> amount;
};

/// Signs `payload` as the platform does (also used by the sandbox token endpoint and tests).
std::string SignToken(const TokenPayload& payload, const std::string& secret);

struct RepaymentInput {
    std::string token, store_code;
    std::vector<Yen> notes;        ///< inserted notes; or
    std::optional<Yen> amount;     ///< the total, when notes are not itemised
    std::string trace_id;          ///< the cash-in request's trace; its notifications carry it
};

struct Repayment {
    std::string id;  ///< atm_txn_id: "AT" + 12 digits
    std::string member_ref, store_code;
    Yen amount = 0;
    core::TimePoint received_at{};
    std::string status = "NOTIFYING";  ///< NOTIFYING, ACKNOWLEDGED, FAILED
    int attempts = 0;
    std::optional<core::TimePoint> acknowledged_at;
    std::string trace_id;  ///< of the cash-in (RepaymentInput::trace_id)
};

/// How the notification of one repayment should misbehave (magic store codes).
struct NotifyPlan {
    int copies = 1;             ///< SIM-DUP: 2
    int late_answers = 0;       ///< SIM-LATE: the first 3 answers are treated as timeouts
};

struct ReconFile {
    std::chrono::year_month_day date{};
    std::string key, body;
    std::size_t records = 0;
};

class AtmNetwork {
public:
    AtmNetwork(clock::Clock& clock, AtmOptions options,
               std::function<void(const Repayment&, const NotifyPlan&)> notify,
               std::function<void(const ReconFile&)> recon_sink);

    /// Verifies and records a repayment, then notifies it. Bad token or amount: invalid input.
    ModelResult<Repayment> Repay(const RepaymentInput& input);
    /// The platform acknowledged (or the sender gave up).
    void MarkNotified(const std::string& id, int attempts, bool acknowledged);
    ModelResult<Repayment> Get(const std::string& id) const;
    ModelResult<TokenPayload> VerifyToken(const std::string& token) const;
    ReconFile BuildReconFile(std::chrono::year_month_day date, core::TimePoint created_at) const;
    const AtmOptions& options() const { return options_; }
    void Reset();

private:
    void ScheduleRecon();

    clock::Clock& clock_;
    AtmOptions options_;
    std::function<void(const Repayment&, const NotifyPlan&)> notify_;
    std::function<void(const ReconFile&)> recon_sink_;
    std::map<std::string, Repayment> repayments_;
    std::vector<std::string> order_;
    std::set<std::string> used_nonces_;
    std::uint64_t next_id_ = 1, generation_ = 0;
};

}  // namespace sim::fakes::atm
