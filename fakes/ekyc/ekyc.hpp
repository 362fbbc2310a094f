#pragma once
// The fake eKYC provider's model (issue 7 §2, DOMAIN.md §5, §10): a submission of identity
// documents and personal data gets a verdict (VERIFIED, REJECTED with a reason, or MANUAL_REVIEW
// then a verdict) after a delay that depends on the method (IC chip / JPKI ≈ 5 minutes, photo ≈ 2
// hours), delivered by callback (through `notify`) and available by polling. The outcome is
// chosen by the applicant's given name in kana (magic applicants), otherwise derived from
// SHA-256(name + birth date + seed).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "fakes/common/problem.hpp"
#include "sim/clock/clock.hpp"

namespace sim::fakes::ekyc {

using common::ModelError;
using common::ModelResult;

enum class VerificationStatus { kPending, kManualReview, kVerified, kRejected };
std::string_view ToString(VerificationStatus s);

struct EkycOptions {
    std::uint64_t seed = 1;
    core::Duration photo_delay = std::chrono::hours(2);    ///< methods HO and TO
    core::Duration ic_delay = std::chrono::minutes(5);     ///< methods HE and WA
    int manual_review_business_days = 2;
    /// The "lost callback" applicant's verdict becomes visible to polling this long after submission.
    core::Duration lost_callback_poll_delay = std::chrono::hours(24);
};

struct Applicant {
    std::string family_name, given_name, family_name_kana, given_name_kana, birth_date, address;
};

struct SubmitInput {
    std::string applicant_ref;
    std::string method;  ///< HO, HE, TO, WA (犯収法施行規則 6条1項1号)
    Applicant applicant;
    std::size_t documents = 0;
    std::string trace_id;  ///< the submitting request's trace; the verdict callbacks carry it
};

struct Verification {
    std::string id;  ///< "EK" + 10 digits
    std::string applicant_ref, method;
    Applicant applicant;
    VerificationStatus status = VerificationStatus::kPending;
    std::string reason;  ///< REJECTED only
    core::TimePoint submitted_at{};
    std::optional<core::TimePoint> decided_at;
    int callbacks = 0;  ///< verdict callbacks sent
    std::string trace_id;  ///< of the submission (SubmitInput::trace_id)
};

/// The magic given names (normalised kana) and what they select; see the README.
enum class EkycScript { kVerified, kRejectBlurry, kRejectExpired, kRejectMismatch, kManualReview, kLostCallback, kHashed };
EkycScript ScriptFor(const Applicant& applicant);

class EkycService {
public:
    /// `notify` delivers a status change to the platform (VERIFIED, REJECTED, MANUAL_REVIEW).
    EkycService(clock::Clock& clock, EkycOptions options, std::function<void(const Verification&)> notify);

    ModelResult<Verification> Submit(const SubmitInput& input);
    ModelResult<Verification> Get(const std::string& id) const;
    void Reset();

private:
    void Decide(const std::string& id, VerificationStatus status, std::string reason, bool send);
    void After(core::Duration d, std::function<void()> fn);

    clock::Clock& clock_;
    EkycOptions options_;
    std::function<void(const Verification&)> notify_;
    std::map<std::string, Verification> verifications_;
    std::uint64_t next_id_ = 1, generation_ = 0;
};

}  // namespace sim::fakes::ekyc
