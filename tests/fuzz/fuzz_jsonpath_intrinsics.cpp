// libFuzzer target: Step Functions' JSONPath (sim/aws/sfn/asl/json_path) and intrinsic functions
// (intrinsics): parse the text, and when it compiles evaluate it against a fixed input, context
// object and variables. The first byte picks the parser: 0 JSONPath, 1 reference path, 2 intrinsic.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/aws/sfn/asl/intrinsics.hpp"
#include "sim/aws/sfn/asl/json_path.hpp"
#include "sim/core/random.hpp"

namespace asl = sim::aws::sfn::asl;

namespace {
const asl::Json& Input() {
    static const asl::Json input = asl::Json::parse(R"({
        "store": {"book": [{"title": "a", "price": 8.95, "tags": ["x", "y"]},
                           {"title": "b", "price": 12.99, "isbn": "0-553"},
                           {"title": "c", "price": -1, "nested": {"deep": [[1, 2], [3]]}}],
                  "bicycle": {"color": "red", "price": 19.95}},
        "numbers": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "text": "hello {} world", "empty": [], "null": null,
        "unicode": "\u65e5\u672c", "big": 1e308, "neg": -9223372036854775808, "json": "{\"a\":[1,2]}"})");
    return input;
}
const asl::Json& Context() {
    static const asl::Json context = asl::Json::parse(
        R"({"Execution": {"Id": "arn:e", "Input": {"a": 1}, "Name": "e"}, "State": {"Name": "S", "RetryCount": 0},
            "Task": {"Token": "tok"}, "Map": {"Item": {"Index": 2, "Value": {"v": 1}}}})");
    return context;
}
const asl::Json& Variables() {
    static const asl::Json variables = asl::Json::parse(R"({"x": 1, "list": [3, 1, 2], "obj": {"k": "v"}})");
    return variables;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    asl::PathScope scope{&Input(), &Context(), &Variables()};
    switch (data[0] % 3) {
        case 0:
            if (auto path = asl::JsonPath::Parse(text)) {
                (void)path->Select(scope);
                (void)path->Evaluate(scope);
            }
            break;
        case 1:
            if (auto path = asl::JsonPath::ParseReference(text)) (void)path->Evaluate(scope);
            break;
        default:
            if (auto call = asl::Intrinsic::Parse(text)) {
                sim::core::Random random(1);
                (void)call->Evaluate(asl::EvalEnv{scope, &random});
            }
            break;
    }
    return 0;
}
