#include "fakes/common/japanese.hpp"

#include <algorithm>
#include <vector>

namespace sim::fakes::common {

std::u32string DecodeUtf8(std::string_view s) {
    std::u32string out;
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) {
            out += U'\uFFFD';
            ++i;
            continue;
        }
        char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        bool bad = false;
        for (int k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
            if ((cc >> 6) != 2) bad = true;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (bad) {
            out += U'\uFFFD';
            ++i;
            continue;
        }
        out += cp;
        i += static_cast<std::size_t>(len);
    }
    return out;
}

std::string EncodeUtf8(std::u32string_view text) {
    std::string out;
    for (char32_t cp : text) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    return out;
}

std::string TruncateUtf8(std::string_view text, std::size_t max_chars) {
    std::u32string cps = DecodeUtf8(text);
    if (cps.size() > max_chars) cps.resize(max_chars);
    return EncodeUtf8(cps);
}

std::string ValidUtf8(std::string_view text) {
    bool ascii = true;
    for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    return ascii ? std::string(text) : EncodeUtf8(DecodeUtf8(text));
}

namespace {

// U+FF61..U+FF9D half-width forms -> full-width.
constexpr char32_t kHalfWidth[] = {
    U'。', U'「', U'」', U'、', U'・', U'ヲ', U'ァ', U'ィ', U'ゥ', U'ェ', U'ォ', U'ャ', U'ュ', U'ョ', U'ッ', U'ー',
    U'ア', U'イ', U'ウ', U'エ', U'オ', U'カ', U'キ', U'ク', U'ケ', U'コ', U'サ', U'シ', U'ス', U'セ', U'ソ', U'タ',
    U'チ', U'ツ', U'テ', U'ト', U'ナ', U'ニ', U'ヌ', U'ネ', U'ノ', U'ハ', U'ヒ', U'フ', U'ヘ', U'ホ', U'マ', U'ミ',
    U'ム', U'メ', U'モ', U'ヤ', U'ユ', U'ヨ', U'ラ', U'リ', U'ル', U'レ', U'ロ', U'ワ', U'ン'};

struct Fold {
    char32_t from, to;
};
constexpr Fold kItaiji[] = {{U'髙', U'高'}, {U'﨑', U'崎'}, {U'碕', U'崎'}, {U'齋', U'斎'}, {U'齊', U'斉'},
                            {U'邊', U'辺'}, {U'邉', U'辺'}, {U'國', U'国'}, {U'澤', U'沢'}, {U'濱', U'浜'},
                            {U'櫻', U'桜'}, {U'廣', U'広'}, {U'嶋', U'島'}, {U'德', U'徳'}, {U'眞', U'真'},
                            {U'槇', U'槙'}, {U'冨', U'富'}, {U'曻', U'昇'}, {U'惠', U'恵'}, {U'龍', U'竜'}};

constexpr Fold kSmallKana[] = {{U'ァ', U'ア'}, {U'ィ', U'イ'}, {U'ゥ', U'ウ'}, {U'ェ', U'エ'}, {U'ォ', U'オ'},
                               {U'ッ', U'ツ'}, {U'ャ', U'ヤ'}, {U'ュ', U'ユ'}, {U'ョ', U'ヨ'}, {U'ヮ', U'ワ'},
                               {U'ヵ', U'カ'}, {U'ヶ', U'ケ'}};

bool Voiceable(char32_t c) {  // カ..ト (not small ッ), ハ..ホ, ウ
    if (c >= U'カ' && c <= U'チ') return (c - U'カ') % 2 == 0;
    if (c == U'ツ' || c == U'テ' || c == U'ト' || c == U'ウ') return true;
    return c >= U'ハ' && c <= U'ホ' && (c - U'ハ') % 3 == 0;
}

std::u32string Normalize(std::u32string_view in) {
    std::u32string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        char32_t c = in[i];
        if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;  // full-width ASCII
        if (c == 0x3000) c = U' ';
        if (c >= 0xFF61 && c <= 0xFF9D) c = kHalfWidth[c - 0xFF61];
        if (c == 0xFF9E || c == 0x309B || c == 0x3099) {  // dakuten (half-width, spacing, combining)
            if (!out.empty() && Voiceable(out.back())) {
                out.back() = out.back() == U'ウ' ? U'ヴ' : out.back() + 1;
            }
            continue;
        }
        if (c == 0xFF9F || c == 0x309C || c == 0x309A) {  // handakuten
            if (!out.empty() && out.back() >= U'ハ' && out.back() <= U'ホ' && (out.back() - U'ハ') % 3 == 0)
                out.back() += 2;
            continue;
        }
        if (c >= 0x3041 && c <= 0x3096) c += 0x60;  // hiragana -> katakana
        if (c == U' ' || c == U'\t' || c == U'・' || c == 0xFF65 || c == 0x00B7 || c == U'.') continue;
        if (c >= U'a' && c <= U'z') c = c - U'a' + U'A';
        for (const auto& f : kItaiji)
            if (c == f.from) c = f.to;
        out += c;
    }
    return out;
}

}  // namespace

std::string NormalizeName(std::string_view text) { return EncodeUtf8(Normalize(DecodeUtf8(text))); }

std::string KanaFold(std::string_view text) {
    std::u32string n = Normalize(DecodeUtf8(text));
    std::u32string out;
    for (char32_t c : n) {
        if (c == U'ー' || c == U'-') continue;
        for (const auto& f : kSmallKana)
            if (c == f.from) c = f.to;
        out += c;
    }
    return EncodeUtf8(out);
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
    std::u32string x = DecodeUtf8(a), y = DecodeUtf8(b);
    std::vector<std::size_t> prev(y.size() + 1), cur(y.size() + 1);
    for (std::size_t j = 0; j <= y.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= x.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= y.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[y.size()];
}

}  // namespace sim::fakes::common
