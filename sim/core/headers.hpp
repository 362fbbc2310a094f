#pragma once
// HTTP header list with case-insensitive names, order preserved (AWS signatures depend on values,
// and some clients send a header twice).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sim::core {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);

class Headers {
public:
    using Field = std::pair<std::string, std::string>;

    /// First value of `name`, if present.
    std::optional<std::string_view> Get(std::string_view name) const;
    bool Has(std::string_view name) const { return Get(name).has_value(); }
    /// Replaces every field called `name` by one with `value`.
    void Set(std::string_view name, std::string_view value);
    /// Appends a field even if one of that name exists.
    void Add(std::string_view name, std::string_view value);
    void Remove(std::string_view name);

    const std::vector<Field>& fields() const { return fields_; }
    bool empty() const { return fields_.empty(); }

private:
    std::vector<Field> fields_;
};

}  // namespace sim::core
