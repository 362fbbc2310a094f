#include "sim/core/headers.hpp"

#include <algorithm>
#include <cctype>

namespace sim::core {

namespace {
char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return Lower(x) == Lower(y);
           });
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
    for (const auto& [k, v] : fields_) {
        if (EqualsIgnoreCase(k, name)) return std::string_view(v);
    }
    return std::nullopt;
}

void Headers::Set(std::string_view name, std::string_view value) {
    Remove(name);
    Add(name, value);
}

void Headers::Add(std::string_view name, std::string_view value) { fields_.emplace_back(name, value); }

void Headers::Remove(std::string_view name) {
    std::erase_if(fields_, [&](const Field& f) { return EqualsIgnoreCase(f.first, name); });
}

}  // namespace sim::core
