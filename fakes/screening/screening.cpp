#include "fakes/screening/screening.hpp"

#include "fakes/common/japanese.hpp"
#include "fakes/common/support.hpp"

namespace sim::fakes::screening {

WatchList DefaultWatchList() {
    WatchList l;
    l.version = "cardsim-default-1";
    l.entries = {
        {"WL-0001", "反社 一郎", "ハンシャ イチロウ", "ICHIRO HANSHA", "1965-04-01", "ANTI_SOCIAL", "test entry"},
        {"WL-0002", "髙橋 反社", "タカハシ ハンシャ", "HANSHA TAKAHASHI", "1970-07-07", "ANTI_SOCIAL", "test entry (異体字)"},
        {"WL-0003", "", "", "JOHN PEPSON", "1960-01-01", "PEP", "former foreign minister"},
        {"WL-0004", "", "", "MARY PEPSON", "1962-02-02", "PEP_FAMILY", "spouse of WL-0003"},
    };
    return l;
}

ModelResult<WatchList> ParseWatchList(const nlohmann::json& j) {
    if (!j.is_object()) return core::Fail(ModelError::Invalid("body", "must be a JSON object"));
    WatchList l;
    auto v = j.find("version");
    if (v == j.end() || !v->is_string() || v->get<std::string>().empty())
        return core::Fail(ModelError::Invalid("version", "is required (a string)"));
    l.version = v->get<std::string>();
    auto e = j.find("entries");
    if (e == j.end() || !e->is_array()) return core::Fail(ModelError::Invalid("entries", "must be a JSON array"));
    for (std::size_t i = 0; i < e->size(); ++i) {
        const auto& x = (*e)[i];
        std::string p = "entries[" + std::to_string(i) + "].";
        if (!x.is_object()) return core::Fail(ModelError::Invalid(p.substr(0, p.size() - 1), "must be a JSON object"));
        WatchEntry w;
        auto str = [&](const char* k) { return x.contains(k) && x[k].is_string() ? x[k].get<std::string>() : ""; };
        w.id = str("id");
        w.name = str("name");
        w.name_kana = str("name_kana");
        w.name_roman = str("name_roman");
        w.birth_date = str("birth_date");
        w.category = str("category");
        w.note = str("note");
        if (w.id.empty()) return core::Fail(ModelError::Invalid(p + "id", "is required"));
        if (w.name.empty() && w.name_kana.empty() && w.name_roman.empty())
            return core::Fail(ModelError::Invalid(p + "name", "one of name, name_kana, name_roman is required"));
        if (!w.birth_date.empty() && !common::IsDate(w.birth_date))
            return core::Fail(ModelError::Invalid(p + "birth_date", "must be a date YYYY-MM-DD"));
        if (w.category != "ANTI_SOCIAL" && w.category != "PEP" && w.category != "PEP_FAMILY")
            return core::Fail(ModelError::Invalid(p + "category", "must be one of ANTI_SOCIAL, PEP, PEP_FAMILY"));
        l.entries.push_back(std::move(w));
    }
    return l;
}

nlohmann::json ToJson(const WatchEntry& w) {
    return {{"id", w.id},           {"name", w.name},         {"name_kana", w.name_kana}, {"name_roman", w.name_roman},
            {"birth_date", w.birth_date}, {"category", w.category}, {"note", w.note}};
}

nlohmann::json ToJson(const WatchList& l) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : l.entries) entries.push_back(ToJson(e));
    return {{"version", l.version}, {"entries", entries}};
}

void Screening::Reset(WatchList list) {
    list_ = std::move(list);
    checks_.clear();
    next_id_ = 1;
}

ModelResult<CheckResult> Screening::Check(const CheckInput& in) {
    if (in.name.empty() && in.name_kana.empty() && in.name_roman.empty())
        return core::Fail(ModelError::Invalid("name", "one of name, name_kana, name_roman is required"));
    if (!in.birth_date.empty() && !common::IsDate(in.birth_date))
        return core::Fail(ModelError::Invalid("birth_date", "must be a date YYYY-MM-DD"));
    // Every given form is compared with every form of the entry: a half-width kana name typed
    // into the kanji field still matches.
    std::vector<std::string> given;
    for (const auto* s : {&in.name, &in.name_kana, &in.name_roman})
        if (!s->empty()) given.push_back(*s);
    CheckResult best;
    best.result = "NO_HIT";
    for (const auto& e : list_.entries) {
        bool exact = false, fuzzy = false;
        for (const auto* f : {&e.name, &e.name_kana, &e.name_roman}) {
            if (f->empty()) continue;
            std::string entry_norm = common::NormalizeName(*f), entry_fold = common::KanaFold(*f);
            for (const auto& g : given) {
                if (common::NormalizeName(g) == entry_norm || common::KanaFold(g) == entry_fold) exact = true;
                else if (common::EditDistance(common::KanaFold(g), entry_fold) <= 1) fuzzy = true;
            }
        }
        bool same_dob = !in.birth_date.empty() && in.birth_date == e.birth_date;
        int score = 0;
        std::string result = "NO_HIT";
        if (exact && same_dob) {
            score = 100;
            result = e.category == "ANTI_SOCIAL" ? "HIT" : "PEP_HIT";
        } else if (fuzzy && same_dob) {
            score = 80;
            result = "POSSIBLE_HIT";
        } else if (exact) {
            score = 70;
            result = "POSSIBLE_HIT";
        }
        if (score > best.score) {
            best.score = score;
            best.result = result;
            best.matched = e;
        }
    }
    best.id = "SC" + common::ZeroPad(next_id_++, 10);
    best.list_version = list_.version;
    best.input = in;
    best.at = clock_.Now();
    checks_[best.id] = best;
    return best;
}

ModelResult<CheckResult> Screening::Get(const std::string& id) const {
    auto it = checks_.find(id);
    if (it == checks_.end()) return core::Fail(ModelError::NotFound("check_id", "no check " + id));
    return it->second;
}

}  // namespace sim::fakes::screening
