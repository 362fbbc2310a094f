#pragma once
// Generated actors (docs/scenarios.md, "Actors"): members with seeded Japanese personal data. The
// family name is always テスト and the given name is drawn from the set's weights, so each member
// meets the fakes' magic outcomes (README "Fakes: magic test data"): ツウジョウ normal, シンサ
// manual review, ヒニン/キゲンギレ/フイッチ eKYC rejected, イドウ bureau 異動, ... Same seed, same people.

#include <cstdint>

#include "sim/scenario/scenario.hpp"

namespace sim::scenario {

/// The array of member objects for `set` under the run's `seed`:
/// {index, id, family_name, given_name, family_name_kana, given_name_kana, full_name, full_name_kana,
///  profile, birth_date, postal_code, address, phone, email, password, device_token, annual_income,
///  household_size, housing, embossed_name}.
Json GenerateActors(const ActorSet& set, std::uint64_t seed);

/// The fakes' outcome behind a kana given name: "normal", "manual_review", "ekyc_rejected", ...,
/// "hash" for a name without a fixed outcome.
std::string ProfileOf(const std::string& given_name_kana);

}  // namespace sim::scenario
