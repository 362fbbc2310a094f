#include "sim/scenario/actors.hpp"

#include <cstdio>
#include <map>

#include "sim/core/random.hpp"

namespace sim::scenario {

namespace {

std::uint64_t Fnv1a(const std::string& text) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

struct Place {
    const char* prefecture;
    const char* city;
    const char* town;
    const char* postal_prefix;
};

constexpr Place kPlaces[] = {
    {"東京都", "渋谷区", "神宮前", "150"}, {"東京都", "新宿区", "西新宿", "160"}, {"東京都", "世田谷区", "三軒茶屋", "154"},
    {"神奈川県", "横浜市中区", "山下町", "231"}, {"大阪府", "大阪市北区", "梅田", "530"}, {"愛知県", "名古屋市中村区", "名駅", "450"},
    {"福岡県", "福岡市博多区", "博多駅前", "812"}, {"北海道", "札幌市中央区", "大通西", "060"}, {"京都府", "京都市下京区", "四条通", "600"},
    {"埼玉県", "さいたま市大宮区", "桜木町", "330"},
};

const char* const kHousing[] = {"RENTED", "OWNED", "MORTGAGED"};

std::string Pad(std::int64_t v, int width) {
    std::string s = std::to_string(v);
    while (static_cast<int>(s.size()) < width) s = "0" + s;
    return s;
}

/// Romanized embossing for the magic names (cards are embossed in capitals).
std::string Romaji(const std::string& kana) {
    static const std::map<std::string, std::string> kNames = {
        {"ツウジョウ", "TSUJO"}, {"ヒニン", "HININ"},   {"キゲンギレ", "KIGENGIRE"}, {"フイッチ", "FUICCHI"},
        {"シンサ", "SHINSA"},   {"ムオウトウ", "MUOTO"}, {"イドウ", "IDO"},          {"エンタイ", "ENTAI"},
        {"タジュウ", "TAJU"},   {"ミトウロク", "MITOROKU"}};
    auto it = kNames.find(kana);
    return it == kNames.end() ? "MEMBER" : it->second;
}

}  // namespace

std::string ProfileOf(const std::string& kana) {
    static const std::map<std::string, std::string> kProfiles = {
        {"ツウジョウ", "normal"},         {"ヒニン", "ekyc_rejected"},    {"キゲンギレ", "ekyc_rejected"},
        {"フイッチ", "ekyc_rejected"},    {"シンサ", "manual_review"},    {"ムオウトウ", "no_callback"},
        {"イドウ", "bureau_idou"},        {"エンタイ", "bureau_delinquent"}, {"タジュウ", "multiple_debts"},
        {"ミトウロク", "bureau_no_record"}};
    auto it = kProfiles.find(kana);
    return it == kProfiles.end() ? "hash" : it->second;
}

Json GenerateActors(const ActorSet& set, std::uint64_t seed) {
    core::Random random(seed ^ Fnv1a(set.name) ^ (set.seed * 0x9E3779B97F4A7C15ull));
    std::int64_t total_weight = 0;
    for (const auto& [name, weight] : set.given_names.items()) total_weight += weight.get<std::int64_t>();
    Json out = Json::array();
    for (std::int64_t i = 0; i < set.count; ++i) {
        std::string given = set.given_names.begin().key();
        if (total_weight > 0) {
            auto draw = static_cast<std::int64_t>(random.Below(static_cast<std::uint64_t>(total_weight)));
            for (const auto& [name, weight] : set.given_names.items()) {
                draw -= weight.get<std::int64_t>();
                if (draw < 0) {
                    given = name;
                    break;
                }
            }
        }
        std::string id = set.id_prefix + "-" + Pad(i + 1, 4);
        const Place& place = kPlaces[random.Below(std::size(kPlaces))];
        auto year = random.Between(1955, 2004), month = random.Between(1, 12), day = random.Between(1, 28);
        std::string address = std::string(place.prefecture) + place.city + place.town + std::to_string(random.Between(1, 5)) +
                              "-" + std::to_string(random.Between(1, 30)) + "-" + std::to_string(random.Between(1, 20));
        std::string phone = std::string(random.Below(2) ? "090" : "080") + "-" + Pad(random.Between(0, 9999), 4) + "-" +
                            Pad(random.Between(0, 9999), 4);
        std::string seed_tag = "s" + std::to_string(seed);
        out.push_back(Json{
            {"index", i},
            {"id", id},
            {"family_name", "テスト"},
            {"given_name", given},
            {"family_name_kana", "テスト"},
            {"given_name_kana", given},
            {"full_name", "テスト " + given},
            {"full_name_kana", "テスト " + given},
            {"profile", ProfileOf(given)},
            {"birth_date", Pad(year, 4) + "-" + Pad(month, 2) + "-" + Pad(day, 2)},
            {"postal_code", std::string(place.postal_prefix) + "-" + Pad(random.Between(0, 9999), 4)},
            {"address", address},
            {"phone", phone},
            {"email", id + "." + seed_tag + "@example.test"},
            {"password", "correct-horse-" + id},
            {"device_token", "apns-" + id + "-" + seed_tag},
            {"annual_income", random.Between(20, 90) * 100'000},
            {"household_size", random.Between(1, 4)},
            {"housing", kHousing[random.Below(std::size(kHousing))]},
            {"embossed_name", Romaji(given) + " TESUTO"},
        });
    }
    return out;
}

}  // namespace sim::scenario
