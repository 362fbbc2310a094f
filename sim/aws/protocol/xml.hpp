#pragma once
// Minimal XML for the AWS query and REST-XML protocols: a writer for responses and a small
// non-validating parser for request bodies (S3's CompleteMultipartUpload, Delete, Tagging, ...).
// Supported: elements, attributes, text, CDATA, the five predefined entities and numeric character
// references, comments and the XML declaration (skipped). Limitations: no DTDs, no namespaces
// processing (a prefix stays part of the name; xmlns attributes are kept as attributes).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/result.hpp"

namespace sim::aws::protocol {

/// Escapes &, <, >, " and ' for text and attribute values.
std::string XmlEscape(std::string_view text);

/// Builds an XML document with correct nesting and escaping.
///
///   XmlWriter w;
///   w.Declaration().Open("ListBucketResult", "http://s3.amazonaws.com/doc/2006-03-01/")
///    .Element("Name", bucket).Close();
class XmlWriter {
public:
    XmlWriter& Declaration();
    /// Opens `<name>` (with `xmlns="namespace_uri"` when given).
    XmlWriter& Open(std::string_view name, std::string_view namespace_uri = {});
    /// Closes the innermost open element.
    XmlWriter& Close();
    /// `<name>escaped text</name>`.
    XmlWriter& Element(std::string_view name, std::string_view text);
    /// Closes every open element and returns the document.
    std::string Finish();

private:
    std::string out_;
    std::vector<std::string> open_;
};

/// A parsed element: name, attributes, concatenated text content and child elements.
struct XmlElement {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text;
    std::vector<XmlElement> children;

    /// First child named `name` (local name match: "x:Key" matches "Key"), if any.
    const XmlElement* Child(std::string_view name) const;
    /// All children named `name`.
    std::vector<const XmlElement*> Children(std::string_view name) const;
    /// Text of the first child named `name`.
    std::optional<std::string> ChildText(std::string_view name) const;
};

/// Parses a document; errors describe the problem and its byte offset (callers map them to
/// MalformedXML and similar).
core::Result<XmlElement> ParseXml(std::string_view document);

}  // namespace sim::aws::protocol
