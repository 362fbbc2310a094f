#include "sim/aws/protocol/xml.hpp"

#include <cctype>
#include <cstdint>

namespace sim::aws::protocol {

std::string XmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            case '\r': out += "&#13;"; break;  // keep CR through parsers that normalise line ends
            default: out.push_back(c);
        }
    }
    return out;
}

XmlWriter& XmlWriter::Declaration() {
    out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    return *this;
}

XmlWriter& XmlWriter::Open(std::string_view name, std::string_view namespace_uri) {
    out_ += '<';
    out_ += name;
    if (!namespace_uri.empty()) {
        out_ += " xmlns=\"";
        out_ += XmlEscape(namespace_uri);
        out_ += '"';
    }
    out_ += '>';
    open_.emplace_back(name);
    return *this;
}

XmlWriter& XmlWriter::Close() {
    if (open_.empty()) return *this;
    out_ += "</";
    out_ += open_.back();
    out_ += '>';
    open_.pop_back();
    return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, std::string_view text) {
    out_ += '<';
    out_ += name;
    out_ += '>';
    out_ += XmlEscape(text);
    out_ += "</";
    out_ += name;
    out_ += '>';
    return *this;
}

std::string XmlWriter::Finish() {
    while (!open_.empty()) Close();
    return std::move(out_);
}

namespace {

std::string_view LocalName(std::string_view name) {
    auto colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

class Parser {
public:
    explicit Parser(std::string_view doc) : doc_(doc) {}

    core::Result<XmlElement> Document() {
        SkipMisc();
        if (pos_ >= doc_.size() || doc_[pos_] != '<') return Error("expected a root element");
        XmlElement root;
        if (auto s = Element(root, 0); !s) return core::Fail(s.error());
        SkipMisc();
        if (pos_ != doc_.size()) return Error("content after the root element");
        return root;
    }

private:
    static constexpr int kMaxDepth = 64;

    core::Failure<core::Error> Error(std::string what) const {
        return core::Fail(core::Error::InvalidArgument(what + " at byte " + std::to_string(pos_)));
    }

    bool StartsWith(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }

    void SkipSpace() {
        while (pos_ < doc_.size() && std::isspace(static_cast<unsigned char>(doc_[pos_]))) ++pos_;
    }

    // Whitespace, comments, processing instructions (the XML declaration) between elements.
    void SkipMisc() {
        for (;;) {
            SkipSpace();
            if (StartsWith("<?")) {
                auto end = doc_.find("?>", pos_);
                pos_ = end == std::string_view::npos ? doc_.size() : end + 2;
            } else if (StartsWith("<!--")) {
                auto end = doc_.find("-->", pos_);
                pos_ = end == std::string_view::npos ? doc_.size() : end + 3;
            } else {
                return;
            }
        }
    }

    std::string Name() {
        std::size_t start = pos_;
        while (pos_ < doc_.size()) {
            char c = doc_[pos_];
            if (std::isspace(static_cast<unsigned char>(c)) || c == '>' || c == '/' || c == '=') break;
            ++pos_;
        }
        return std::string(doc_.substr(start, pos_ - start));
    }

    core::Status<> DecodeText(std::string_view raw, std::string& out) {
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '&') {
                out.push_back(raw[i]);
                continue;
            }
            auto semi = raw.find(';', i);
            if (semi == std::string_view::npos) return Error("unterminated entity");
            std::string_view entity = raw.substr(i + 1, semi - i - 1);
            if (entity == "amp") out.push_back('&');
            else if (entity == "lt") out.push_back('<');
            else if (entity == "gt") out.push_back('>');
            else if (entity == "quot") out.push_back('"');
            else if (entity == "apos") out.push_back('\'');
            else if (entity.size() > 1 && entity[0] == '#') {
                std::uint32_t cp = 0;
                bool hex = entity[1] == 'x' || entity[1] == 'X';
                for (char c : entity.substr(hex ? 2 : 1)) {
                    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                            : hex && std::isxdigit(static_cast<unsigned char>(c))
                                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                                : -1;
                    if (v < 0) return Error("bad character reference &" + std::string(entity) + ";");
                    cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
                    if (cp > 0x10FFFF) return Error("character reference out of range");
                }
                AppendUtf8(cp, out);
            } else {
                return Error("unknown entity &" + std::string(entity) + ";");
            }
            i = semi;
        }
        return core::Ok();
    }

    static void AppendUtf8(std::uint32_t cp, std::string& out) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    core::Status<> Element(XmlElement& el, int depth) {
        if (depth > kMaxDepth) return Error("elements nested too deeply");
        ++pos_;  // '<'
        el.name = Name();
        if (el.name.empty()) return Error("expected an element name");
        for (;;) {
            SkipSpace();
            if (pos_ >= doc_.size()) return Error("unterminated start tag <" + el.name + ">");
            if (StartsWith("/>")) {
                pos_ += 2;
                return core::Ok();
            }
            if (doc_[pos_] == '>') {
                ++pos_;
                break;
            }
            std::string attr = Name();
            if (attr.empty()) return Error("bad attribute in <" + el.name + ">");
            SkipSpace();
            if (pos_ >= doc_.size() || doc_[pos_] != '=') return Error("expected '=' after attribute " + attr);
            ++pos_;
            SkipSpace();
            if (pos_ >= doc_.size() || (doc_[pos_] != '"' && doc_[pos_] != '\'')) return Error("expected a quoted value");
            char quote = doc_[pos_++];
            auto end = doc_.find(quote, pos_);
            if (end == std::string_view::npos) return Error("unterminated attribute value");
            std::string value;
            if (auto s = DecodeText(doc_.substr(pos_, end - pos_), value); !s) return s;
            el.attributes.emplace_back(std::move(attr), std::move(value));
            pos_ = end + 1;
        }
        for (;;) {
            if (pos_ >= doc_.size()) return Error("unterminated element <" + el.name + ">");
            if (StartsWith("</")) {
                pos_ += 2;
                std::string closing = Name();
                SkipSpace();
                if (closing != el.name) return Error("</" + closing + "> does not close <" + el.name + ">");
                if (pos_ >= doc_.size() || doc_[pos_] != '>') return Error("expected '>'");
                ++pos_;
                return core::Ok();
            }
            if (StartsWith("<!--")) {
                auto end = doc_.find("-->", pos_);
                if (end == std::string_view::npos) return Error("unterminated comment");
                pos_ = end + 3;
            } else if (StartsWith("<![CDATA[")) {
                auto end = doc_.find("]]>", pos_);
                if (end == std::string_view::npos) return Error("unterminated CDATA");
                el.text.append(doc_.substr(pos_ + 9, end - pos_ - 9));
                pos_ = end + 3;
            } else if (StartsWith("<?")) {
                auto end = doc_.find("?>", pos_);
                if (end == std::string_view::npos) return Error("unterminated processing instruction");
                pos_ = end + 2;
            } else if (doc_[pos_] == '<') {
                XmlElement child;
                if (auto s = Element(child, depth + 1); !s) return s;
                el.children.push_back(std::move(child));
            } else {
                auto end = doc_.find('<', pos_);
                if (end == std::string_view::npos) end = doc_.size();
                if (auto s = DecodeText(doc_.substr(pos_, end - pos_), el.text); !s) return s;
                pos_ = end;
            }
        }
    }

    std::string_view doc_;
    std::size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view want) const {
    for (const auto& c : children)
        if (LocalName(c.name) == LocalName(want)) return &c;
    return nullptr;
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view want) const {
    std::vector<const XmlElement*> out;
    for (const auto& c : children)
        if (LocalName(c.name) == LocalName(want)) out.push_back(&c);
    return out;
}

std::optional<std::string> XmlElement::ChildText(std::string_view want) const {
    const XmlElement* c = Child(want);
    if (!c) return std::nullopt;
    return c->text;
}

core::Result<XmlElement> ParseXml(std::string_view document) { return Parser(document).Document(); }

}  // namespace sim::aws::protocol
