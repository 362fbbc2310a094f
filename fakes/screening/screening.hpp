#pragma once
// The fake anti-social-forces / foreign-PEPs screening service's model (issue 7 §4, DOMAIN.md §4,
// §10). A check by name (kanji, kana and/or romaji) and birth date is matched against a watch list
// after normalisation (fakes/common/japanese.hpp: width, case, spacing, hiragana/katakana,
// 旧字・異体字). Scoring (DOMAIN.md §4 proposal):
//   exact name (any of kanji / kana / romaji) + same birth date -> HIT 100 (PEP_HIT for PEP entries)
//   exact name, birth date differs or missing                  -> POSSIBLE_HIT 70
//   name within edit distance 1 (kana folded) + same birth date -> POSSIBLE_HIT 80
//   otherwise                                                    -> NO_HIT 0
// The best match over the list wins. Every check is kept as evidence (list version, time).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/common/problem.hpp"
#include "sim/clock/clock.hpp"

namespace sim::fakes::screening {

using common::ModelError;
using common::ModelResult;

struct WatchEntry {
    std::string id;
    std::string name, name_kana, name_roman, birth_date;
    std::string category;  ///< ANTI_SOCIAL, PEP, PEP_FAMILY
    std::string note;
};

struct WatchList {
    std::string version;
    std::vector<WatchEntry> entries;
};

/// The list shipped with the fake (DOMAIN.md §10).
WatchList DefaultWatchList();
/// {"version": "...", "entries": [{"id","name","name_kana","name_roman","birth_date","category","note"}]}.
ModelResult<WatchList> ParseWatchList(const nlohmann::json& json);
nlohmann::json ToJson(const WatchList& list);
nlohmann::json ToJson(const WatchEntry& e);

struct CheckInput {
    std::string name, name_kana, name_roman, birth_date;
};

struct CheckResult {
    std::string id;  ///< "SC" + 10 digits
    std::string result;  ///< HIT, PEP_HIT, POSSIBLE_HIT, NO_HIT
    int score = 0;
    std::optional<WatchEntry> matched;
    std::string list_version;
    CheckInput input;
    core::TimePoint at{};
};

class Screening {
public:
    Screening(clock::Clock& clock, WatchList list) : clock_(clock), list_(std::move(list)) {}

    ModelResult<CheckResult> Check(const CheckInput& input);
    ModelResult<CheckResult> Get(const std::string& id) const;
    void Load(WatchList list) { list_ = std::move(list); }
    const WatchList& list() const { return list_; }
    /// Forgets the checks and goes back to `list`.
    void Reset(WatchList list);

private:
    clock::Clock& clock_;
    WatchList list_;
    std::map<std::string, CheckResult> checks_;
    std::uint64_t next_id_ = 1;
};

}  // namespace sim::fakes::screening
