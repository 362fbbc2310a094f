#include "sim/aws/protocol/errors.hpp"

#include <nlohmann/json.hpp>

#include "sim/aws/protocol/xml.hpp"

namespace sim::aws::protocol {

core::Response JsonError(int status, std::string_view type, std::string_view message, std::string_view request_id,
                         std::string_view query_error, std::string_view content_type) {
    core::Response r;
    r.status = status;
    r.body = nlohmann::json{{"__type", type}, {"message", message}}.dump();
    r.headers.Set("Content-Type", content_type);
    r.headers.Set("x-amzn-RequestId", request_id);
    if (!query_error.empty()) r.headers.Set("x-amzn-query-error", query_error);
    return r;
}

core::Response QueryXmlError(int status, std::string_view code, std::string_view message,
                             std::string_view request_id, std::string_view xml_namespace) {
    XmlWriter w;
    w.Declaration()
        .Open("ErrorResponse", xml_namespace)
        .Open("Error")
        .Element("Type", status >= 500 ? "Receiver" : "Sender")
        .Element("Code", code)
        .Element("Message", message)
        .Close()
        .Element("RequestId", request_id);
    core::Response r;
    r.status = status;
    r.body = w.Finish();
    r.headers.Set("Content-Type", "text/xml");
    r.headers.Set("x-amzn-RequestId", request_id);
    return r;
}

core::Response RestXmlError(int status, std::string_view code, std::string_view message, std::string_view resource,
                            std::string_view request_id, bool head) {
    core::Response r;
    r.status = status;
    r.headers.Set("x-amz-request-id", request_id);
    if (head) return r;
    XmlWriter w;
    w.Declaration().Open("Error").Element("Code", code).Element("Message", message);
    if (!resource.empty()) w.Element("Resource", resource);
    w.Element("RequestId", request_id);
    r.body = w.Finish();
    r.headers.Set("Content-Type", "application/xml");
    return r;
}

}  // namespace sim::aws::protocol
