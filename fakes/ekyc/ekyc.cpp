#include "fakes/ekyc/ekyc.hpp"

#include "fakes/common/japanese.hpp"
#include "fakes/common/support.hpp"

namespace sim::fakes::ekyc {

std::string_view ToString(VerificationStatus s) {
    switch (s) {
        case VerificationStatus::kPending: return "PENDING";
        case VerificationStatus::kManualReview: return "MANUAL_REVIEW";
        case VerificationStatus::kVerified: return "VERIFIED";
        case VerificationStatus::kRejected: return "REJECTED";
    }
    return "PENDING";
}

EkycScript ScriptFor(const Applicant& a) {
    std::string given = common::NormalizeName(a.given_name_kana);
    if (given == "ツウジョウ") return EkycScript::kVerified;
    if (given == "ヒニン") return EkycScript::kRejectBlurry;
    if (given == "キゲンギレ") return EkycScript::kRejectExpired;
    if (given == "フイッチ") return EkycScript::kRejectMismatch;
    if (given == "シンサ") return EkycScript::kManualReview;
    if (given == "ムオウトウ") return EkycScript::kLostCallback;
    if (given == "イドウ" || given == "エンタイ" || given == "タジュウ" || given == "ミトウロク")
        return EkycScript::kVerified;
    return EkycScript::kHashed;
}

EkycService::EkycService(clock::Clock& clock, EkycOptions options, std::function<void(const Verification&)> notify)
    : clock_(clock), options_(std::move(options)), notify_(std::move(notify)) {}

void EkycService::Reset() {
    ++generation_;
    verifications_.clear();
    next_id_ = 1;
}

void EkycService::After(core::Duration d, std::function<void()> fn) {
    clock_.ScheduleAfter(d, [this, gen = generation_, fn = std::move(fn)] {
        if (gen == generation_) fn();
    });
}

ModelResult<Verification> EkycService::Submit(const SubmitInput& in) {
    static const char* kMethods[] = {"HO", "HE", "TO", "WA"};
    bool known = false;
    for (const char* m : kMethods) known = known || in.method == m;
    if (!known) return core::Fail(ModelError::Invalid("method", "must be one of HO, HE, TO, WA"));
    if (in.applicant_ref.empty()) return core::Fail(ModelError::Invalid("applicant_ref", "is required"));
    if ((in.method == "HO" || in.method == "TO") && in.documents == 0)
        return core::Fail(ModelError::Invalid("documents", "photo methods need at least one document image"));
    Verification v;
    v.id = "EK" + common::ZeroPad(next_id_++, 10);
    v.applicant_ref = in.applicant_ref;
    v.method = in.method;
    v.applicant = in.applicant;
    v.submitted_at = clock_.Now();
    v.trace_id = in.trace_id;
    verifications_[v.id] = v;

    core::Duration delay = (in.method == "HE" || in.method == "WA") ? options_.ic_delay : options_.photo_delay;
    std::string id = v.id;
    EkycScript script = ScriptFor(in.applicant);
    if (script == EkycScript::kHashed) {
        std::uint64_t h = common::StableHash(common::NormalizeName(in.applicant.family_name_kana + in.applicant.given_name_kana) +
                                             "|" + in.applicant.birth_date + "|" + std::to_string(options_.seed));
        std::uint64_t roll = h % 100;
        script = roll < 85 ? EkycScript::kVerified
                 : roll < 90 ? EkycScript::kManualReview
                 : roll < 95 ? EkycScript::kRejectBlurry
                             : EkycScript::kRejectMismatch;
    }
    switch (script) {
        case EkycScript::kVerified:
        case EkycScript::kHashed:
            After(delay, [this, id] { Decide(id, VerificationStatus::kVerified, "", true); });
            break;
        case EkycScript::kRejectBlurry:
            After(delay, [this, id] { Decide(id, VerificationStatus::kRejected, "IMAGE_BLURRY", true); });
            break;
        case EkycScript::kRejectExpired:
            After(delay, [this, id] { Decide(id, VerificationStatus::kRejected, "DOCUMENT_EXPIRED", true); });
            break;
        case EkycScript::kRejectMismatch:
            After(delay, [this, id] { Decide(id, VerificationStatus::kRejected, "NAME_MISMATCH", true); });
            break;
        case EkycScript::kManualReview:
            After(delay, [this, id] {
                Decide(id, VerificationStatus::kManualReview, "", true);
                core::TimePoint now = clock_.Now();
                core::Duration wait = common::AddBusinessDays(now, options_.manual_review_business_days) - now;
                After(wait, [this, id] { Decide(id, VerificationStatus::kVerified, "", true); });
            });
            break;
        case EkycScript::kLostCallback:
            // The verdict is reached but its callback is lost; polling finds it a day later.
            After(std::max(delay, options_.lost_callback_poll_delay),
                  [this, id] { Decide(id, VerificationStatus::kVerified, "", false); });
            break;
    }
    return v;
}

void EkycService::Decide(const std::string& id, VerificationStatus status, std::string reason, bool send) {
    auto it = verifications_.find(id);
    if (it == verifications_.end()) return;
    Verification& v = it->second;
    v.status = status;
    v.reason = std::move(reason);
    if (status != VerificationStatus::kManualReview) v.decided_at = clock_.Now();
    if (send) {
        ++v.callbacks;
        if (notify_) notify_(v);
    }
}

ModelResult<Verification> EkycService::Get(const std::string& id) const {
    auto it = verifications_.find(id);
    if (it == verifications_.end()) return core::Fail(ModelError::NotFound("verification_id", "no verification " + id));
    return it->second;
}

}  // namespace sim::fakes::ekyc
