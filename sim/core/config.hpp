#pragma once
// Command-line flags and the optional JSON configuration file, with one set of definitions:
// every flag `--some-name` is also the key "some-name" in the file. Precedence: built-in default <
// file < command line. Unknown flags/keys and bad values are errors naming the flag and what it accepts.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/core/result.hpp"

namespace sim::core {

class FlagSet {
public:
    /// `usage` is the synopsis line ("cardsim serve [FLAGS]"), `summary` one paragraph.
    FlagSet(std::string usage, std::string summary) : usage_(std::move(usage)), summary_(std::move(summary)) {}

    void String(std::string name, std::string* out, std::string help, std::vector<std::string> choices = {});
    void UInt(std::string name, std::uint64_t* out, std::string help, std::uint64_t min = 0,
              std::uint64_t max = UINT64_MAX);
    void Port(std::string name, std::uint16_t* out, std::string help);
    /// Accepts ParseDuration forms ("250ms", "30s", "PT5M").
    void Millis(std::string name, std::chrono::milliseconds* out, std::string help);
    /// `--name` sets true; in the file, a JSON boolean.
    void Bool(std::string name, bool* out, std::string help);
    /// A flag whose value is a JSON object of string to string in the file, given on the command
    /// line as repeated `--name key=value`.
    void StringMap(std::string name, std::map<std::string, std::string>* out, std::string help);

    /// Parses `--name value`, `--name=value` and bare booleans. Non-flag arguments go to
    /// `positional` when it is given, else they are errors. "--" ends flags.
    Status<> Parse(const std::vector<std::string>& args, std::vector<std::string>* positional = nullptr);
    /// Applies a JSON object whose keys are flag names (without dashes).
    Status<> ApplyJson(const nlohmann::json& object);
    /// Reads a JSON file and applies it; errors name the file.
    Status<> ApplyJsonFile(const std::string& path);

    /// Full help text: usage, summary, every flag with its value form, default and choices.
    std::string Help() const;

private:
    struct Flag {
        std::string name;
        std::string value_hint;  // "ADDR", "N", "DURATION", "" for booleans
        std::string help;
        std::string default_text;
        std::vector<std::string> choices;
        bool is_bool = false;
        std::function<Status<>(std::string_view)> set_text;     // from the command line
        std::function<Status<>(const nlohmann::json&)> set_json;  // from the file
    };
    Flag* Find(std::string_view name);

    std::string usage_;
    std::string summary_;
    std::vector<Flag> flags_;
};

}  // namespace sim::core
