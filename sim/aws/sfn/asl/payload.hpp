#pragma once
// Payload templates (Parameters, ResultSelector, ItemSelector, Assign): JSON in which a key ending
// in ".$" takes its value from a path or an intrinsic call. Compiled once, evaluated many times.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/aws/sfn/asl/errors.hpp"
#include "sim/aws/sfn/asl/intrinsics.hpp"
#include "sim/aws/sfn/asl/json_path.hpp"
#include "sim/core/result.hpp"

namespace sim::aws::sfn::asl {

struct TemplateNode;

class PayloadTemplate {
public:
    /// Compiles `source`. Every bad ".$" value (not a string, not a valid path or intrinsic call)
    /// is appended to `problems` with its JSON pointer below `location`; the template is usable
    /// only when nothing was appended.
    static PayloadTemplate Compile(const Json& source, const std::string& location,
                                   std::vector<ValidationError>& problems);

    /// Builds the payload. A definite path that selects nothing raises `path_error`
    /// (States.ParameterPathFailure for Parameters) with AWS's cause text; intrinsic failures are
    /// States.IntrinsicFailure.
    core::Result<Json, RuntimeError> Evaluate(const EvalEnv& env, std::string_view path_error) const;

private:
    std::shared_ptr<const TemplateNode> root_;
};

/// The cause AWS gives when a path in a template or field selects nothing.
std::string PathNotFoundCause(const std::string& path, const std::string& field, const Json& input);

}  // namespace sim::aws::sfn::asl
