#include "sim/core/pan_mask.hpp"

#include <array>

namespace sim::core {

namespace {

constexpr std::size_t kMinPanDigits = 13;
constexpr std::size_t kMaxPanDigits = 19;
constexpr std::size_t kKeepFirst = 6;
constexpr std::size_t kKeepLast = 4;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsSeparator(char c) { return c == ' ' || c == '-'; }

/// Luhn over the digits of text[begin, end), skipping separators.
bool LuhnOverRange(std::span<const char> text, std::size_t begin, std::size_t end) {
    unsigned sum = 0;
    bool double_it = false;
    for (std::size_t i = end; i-- > begin;) {
        char c = text[i];
        if (!IsDigit(c)) continue;
        unsigned d = static_cast<unsigned>(c - '0');
        if (double_it) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        sum += d;
        double_it = !double_it;
    }
    return sum % 10 == 0;
}

/// Two digits at p as a number.
int TwoDigits(std::span<const char> t, std::size_t p) { return (t[p] - '0') * 10 + (t[p + 1] - '0'); }

/// yyyyMMddHHmmss[fff] with a plausible year and valid fields (14 or 17 digits at `begin`).
bool IsCompactTimestamp(std::span<const char> t, std::size_t begin, std::size_t len) {
    if (len != 14 && len != 17) return false;
    int year = TwoDigits(t, begin) * 100 + TwoDigits(t, begin + 2);
    int month = TwoDigits(t, begin + 4);
    int day = TwoDigits(t, begin + 6);
    int hour = TwoDigits(t, begin + 8);
    int minute = TwoDigits(t, begin + 10);
    int second = TwoDigits(t, begin + 12);
    return year >= 1970 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 &&
           minute <= 59 && second <= 60;
}

/// Epoch milli-, micro- or nanoseconds between 2001-09-09 and 2033-05-18.
bool IsEpochTimestamp(std::span<const char> t, std::size_t begin, std::size_t len) {
    return (len == 13 || len == 16 || len == 19) && t[begin] == '1';
}

/// Whether the character before position `begin` lets a candidate start there.
bool LeftBoundaryOk(std::span<const char> t, std::size_t begin) {
    if (begin == 0) return true;
    char prev = t[begin - 1];
    if (prev == '+') return false;  // E.164 phone number
    if (!IsAsciiLetter(prev)) return true;
    // "%3D4111..." : the letter closes a URL escape, which is a boundary.
    return begin >= 3 && t[begin - 3] == '%' && IsHex(t[begin - 2]) && IsHex(prev);
}

bool RightBoundaryOk(std::span<const char> t, std::size_t end) { return end == t.size() || !IsAsciiLetter(t[end]); }

/// End (exclusive) of the digit group starting at `begin`.
std::size_t GroupEnd(std::span<const char> t, std::size_t begin) {
    std::size_t i = begin;
    while (i < t.size() && IsDigit(t[i])) ++i;
    return i;
}

/// When a single separator followed by a digit comes at `end`, returns true (the chain goes on).
bool ChainContinues(std::span<const char> t, std::size_t end) {
    return end + 1 < t.size() && IsSeparator(t[end]) && IsDigit(t[end + 1]);
}

/// Whether text[begin, end) lies inside a UUID (8-4-4-4-12 hex digits standing alone): its first
/// groups may be all digits and join into a Luhn-valid 16-digit run ("29891196-1234-4750-…").
bool InsideUuid(std::span<const char> t, std::size_t begin, std::size_t end) {
    constexpr std::size_t kUuidLength = 36;
    if (end - begin > kUuidLength) return false;
    std::size_t first = end >= kUuidLength ? end - kUuidLength : 0;
    for (std::size_t s = first; s <= begin && s + kUuidLength <= t.size(); ++s) {
        bool uuid = (s == 0 || !IsHex(t[s - 1])) && (s + kUuidLength == t.size() || !IsHex(t[s + kUuidLength]));
        for (std::size_t i = 0; uuid && i < kUuidLength; ++i) {
            bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            uuid = dash ? t[s + i] == '-' : IsHex(t[s + i]);
        }
        if (uuid) return true;
    }
    return false;
}

void Mask(std::span<char> t, std::size_t begin, std::size_t end, std::size_t digit_count) {
    std::size_t seen = 0;
    for (std::size_t i = begin; i < end; ++i) {
        if (!IsDigit(t[i])) continue;
        if (seen >= kKeepFirst && seen < digit_count - kKeepLast) t[i] = '*';
        ++seen;
    }
}

/// Finds and masks PANs in the chain whose first group starts at `chain_begin`; returns the
/// position just after the chain and adds the number of masked PANs to `masked`.
std::size_t ProcessChain(std::span<char> t, std::size_t chain_begin, std::size_t& masked) {
    std::size_t group_begin = chain_begin;
    for (;;) {
        std::size_t group_end = GroupEnd(t, group_begin);
        if (group_end - group_begin < kMinPanDigits && !ChainContinues(t, group_end)) return group_end;
        // Try candidates starting at this group: extend group by group while the separator stays
        // the same and the digit count stays within 19; remember those of 13..19 digits.
        struct Candidate {
            std::size_t end;
            std::size_t digits;
            std::size_t groups;
        };
        // Each extension adds at least one digit, so at most 7 candidates (13..19 digits).
        std::array<Candidate, kMaxPanDigits - kMinPanDigits + 1> candidates{};
        std::size_t candidate_count = 0;
        std::size_t digits = group_end - group_begin;
        std::size_t end = group_end;
        std::size_t groups = 1;
        char separator = 0;
        while (digits <= kMaxPanDigits) {
            if (digits >= kMinPanDigits) candidates[candidate_count++] = {end, digits, groups};
            if (!ChainContinues(t, end)) break;
            if (separator == 0) separator = t[end];
            if (t[end] != separator) break;
            std::size_t next_end = GroupEnd(t, end + 1);
            digits += next_end - end - 1;
            end = next_end;
            ++groups;
        }
        if (t[group_begin] != '0' && LeftBoundaryOk(t, group_begin)) {
            for (std::size_t c = candidate_count; c-- > 0;) {
                const Candidate& cand = candidates[c];
                if (!RightBoundaryOk(t, cand.end)) continue;
                if (cand.groups == 1 &&
                    (IsEpochTimestamp(t, group_begin, cand.digits) || IsCompactTimestamp(t, group_begin, cand.digits)))
                    continue;
                if (!LuhnOverRange(t, group_begin, cand.end)) continue;
                if (separator == '-' && InsideUuid(t, group_begin, cand.end)) continue;
                Mask(t, group_begin, cand.end, cand.digits);
                ++masked;
                group_end = cand.end;  // resume after the masked number
                break;
            }
        }
        if (!ChainContinues(t, group_end)) return group_end;
        group_begin = group_end + 1;
    }
}

}  // namespace

bool LuhnValid(std::string_view digits) {
    if (digits.empty()) return false;
    for (char c : digits)
        if (!IsDigit(c)) return false;
    return LuhnOverRange(std::span<const char>(digits.data(), digits.size()), 0, digits.size());
}

std::size_t MaskPansInPlace(std::span<char> text) {
    // Fast path: most lines hold fewer than 13 digits in total and cannot contain a PAN.
    std::size_t digit_total = 0;
    for (char c : text) digit_total += IsDigit(c) ? 1 : 0;
    if (digit_total < kMinPanDigits) return 0;

    std::size_t masked = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!IsDigit(text[i])) {
            ++i;
            continue;
        }
        i = ProcessChain(text, i, masked);
    }
    return masked;
}

std::string MaskPans(std::string_view text) {
    std::string out(text);
    MaskPansInPlace(std::span<char>(out.data(), out.size()));
    return out;
}

}  // namespace sim::core
