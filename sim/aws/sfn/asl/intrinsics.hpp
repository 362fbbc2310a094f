#pragma once
// Intrinsic functions (States.Format, States.Array, ... States.UUID): parsed once into a call tree,
// evaluated against a state's data. Arguments are literals ('strings' with \' \{ \} \\ escapes,
// numbers, true/false/null), paths ($..., $$..., $variable...) and nested calls.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/aws/sfn/asl/errors.hpp"
#include "sim/aws/sfn/asl/json_path.hpp"
#include "sim/core/random.hpp"
#include "sim/core/result.hpp"

namespace sim::aws::sfn::asl {

/// Everything an expression can read while it is evaluated. `random` feeds States.MathRandom
/// (without a seed argument) and States.UUID; it must be non-null when those are used.
struct EvalEnv {
    PathScope scope;
    core::Random* random = nullptr;
};

struct IntrinsicNode;

/// A compiled intrinsic invocation. Immutable, cheap to copy.
class Intrinsic {
public:
    /// True when `text` looks like an intrinsic call ("States.Name(...)"), valid or not.
    static bool LooksLikeCall(std::string_view text);
    /// Parses and checks the call: known function names, argument counts, literal argument types,
    /// at most 10 nested calls. The error message says what is wrong.
    static core::Result<Intrinsic> Parse(std::string_view text);

    /// Evaluates the call. Failures are States.IntrinsicFailure (bad argument values) or
    /// States.Runtime... as AWS raises them.
    core::Result<Json, RuntimeError> Evaluate(const EvalEnv& env) const;

    const std::string& text() const { return text_; }

private:
    std::string text_;
    std::shared_ptr<const IntrinsicNode> root_;
};

/// Lower-case hex digest of `data` with `algorithm` ("MD5", "SHA-1", "SHA-256", "SHA-384",
/// "SHA-512"); an unknown algorithm is an error.
core::Result<std::string> HashHex(std::string_view data, std::string_view algorithm);
std::string Base64Encode(std::string_view data);
/// Strict standard-alphabet decoding with padding; errors on anything else.
core::Result<std::string> Base64Decode(std::string_view text);

}  // namespace sim::aws::sfn::asl
