#pragma once
// PAN masking for anything that leaves the process as text (log lines first of all): PCI DSS 3.4.1
// allows at most BIN + last 4 to be shown (DOMAIN.md §1), so a card number never appears in full.
//
// The rule, applied by MaskPans / MaskPansInPlace:
//
//  1. Digits are read as *groups* (maximal runs of ASCII digits). Groups joined by exactly one space
//     or one dash form a *chain* ("4111 1111 1111 1111", "5555-5555-5555-4444").
//  2. A *candidate* is a run of consecutive groups of one chain, all joined by the same separator
//     character, holding 13 to 19 digits in total. A candidate never splits a group, so a 13-19
//     digit window inside a longer digit run (a 20-digit id, "PT" + 20 digits) is never a PAN.
//  3. A candidate must stand alone: the character before it must not be an ASCII letter (except
//     the last character of a %XX URL escape, so "pan%3D4111..." is still masked) and the
//     character after it must not be an ASCII letter. So digits inside hex trace ids, UUIDs and
//     other alphanumeric tokens are left alone. Non-ASCII bytes (UTF-8 text) count as boundaries.
//  4. A candidate is a PAN when it passes the Luhn check and none of these exclusions holds:
//     - it starts with '0' (MII 0 is not issued to cards; zero-padded ids, ISO 8583 amounts);
//     - it directly follows '+' (an E.164 phone number such as "+86 138 0013 8000");
//     - it is one unseparated group that reads as a timestamp: 13, 16 or 19 digits starting with
//       '1' (epoch milli-, micro- or nanoseconds from 2001-09-09 to 2033-05-18; no card scheme
//       issues such lengths under MII 1), or 14 / 17 digits forming yyyyMMddHHmmss[fff] with a
//       year 1970-2099 and a valid month, day, hour, minute and second (compact timestamps;
//       PANs of those lengths start with 30/36/38/5/6, never with 19/20).
//     - its groups lie inside a UUID (8-4-4-4-12 hex digits, dash-separated, standing alone): a
//       random UUID whose first groups happen to be digits ("29891196-1234-4750-…") is an id;
//     ISO 8601 timestamps, epoch seconds (10 digits), phone numbers, RRNs (12 digits) never reach
//     13 digits in one chain and are untouched anyway.
//  5. Candidates are taken left to right; from each starting group the longest qualifying candidate
//     wins, and scanning resumes after it.
//  6. Masking keeps the first six and the last four digits and replaces every digit in between by
//     '*'. Separators stay where they were, so the text keeps its length ("4111 11** **** 1111").
//
// Cost: one pass counting digits; a text with fewer than 13 digits is returned untouched after that.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace sim::core {

/// True when `digits` is non-empty, holds only ASCII digits and passes the Luhn check
/// (ISO/IEC 7812-1 Annex B): "79927398713", "4111111111111111" are valid.
bool LuhnValid(std::string_view digits);

/// A copy of `text` with every card number (see the rule above) masked to first six + last four.
std::string MaskPans(std::string_view text);

/// Masks in place (masking never changes the length). Returns how many card numbers were masked.
std::size_t MaskPansInPlace(std::span<char> text);

}  // namespace sim::core
