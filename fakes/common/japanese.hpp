#pragma once
// Name normalisation for matching Japanese personal names (DOMAIN.md §4): a subset of NFKC
// (full-width ASCII -> ASCII, half-width katakana -> full-width with (han)dakuten composed,
// ideographic space -> space), hiragana -> katakana, spaces and middle dots removed, old/variant
// kanji folded (髙→高, 﨑→崎, 齋→斎, 齊→斉, 邊/邉→辺, 國→国, 澤→沢, ...; 斎 and 斉 stay distinct),
// romaji upper-cased. KanaFold additionally folds small kana to large and drops long-vowel marks,
// for kana compares. Only the characters names need are covered, not the whole of NFKC.

#include <string>
#include <string_view>

namespace sim::fakes::common {

/// UTF-8 -> code points; invalid bytes become U+FFFD.
std::u32string DecodeUtf8(std::string_view text);
std::string EncodeUtf8(std::u32string_view text);

/// At most `max_chars` code points of `text` (never cutting a character); invalid bytes -> U+FFFD.
std::string TruncateUtf8(std::string_view text, std::size_t max_chars);
/// `text` with invalid UTF-8 replaced by U+FFFD, so it can go into JSON.
std::string ValidUtf8(std::string_view text);

/// The matching form of a name (see above). "ﾊﾝｼｬ ｲﾁﾛｳ" and "はんしゃ いちろう" -> "ハンシャイチロウ".
std::string NormalizeName(std::string_view text);
/// NormalizeName plus small kana -> large and long-vowel marks removed.
std::string KanaFold(std::string_view text);
/// Levenshtein distance in code points.
std::size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace sim::fakes::common
