// Part content decoding (RFC 2045 §6, RFC 2046 §4.1.2) and the RFC 8621 §4.1.4 body
// classification algorithm (textBody / htmlBody / attachments).
#include "mime/body_text.h"

#include "base/strings.h"
#include "mime/charset.h"
#include "mime/transfer_encoding.h"

namespace postern::mime {

namespace {

std::string charset_of(const Part& part) {
    if (auto cs = part.content_type.param("charset"))
        return *cs;
    return {};
}

bool is_inline_media(const ContentType& ct) {
    return ct.type == "image" || ct.type == "audio" || ct.type == "video";
}

}  // namespace

struct TextDecoder::State {
    explicit State(const Part& part) : body(part.encoding), charset(charset_of(part)) {}
    BodyDecoder body;
    CharsetDecoder charset;
    std::string bytes;
};

TextDecoder::TextDecoder(const Part& part) : s_(std::make_unique<State>(part)) {}
TextDecoder::~TextDecoder() = default;

void TextDecoder::feed(std::string_view raw, std::string& out) {
    s_->bytes.clear();
    s_->body.feed(raw, s_->bytes);
    s_->charset.feed(s_->bytes, out);
}

void TextDecoder::finish(std::string& out) {
    s_->bytes.clear();
    s_->body.finish(s_->bytes);
    s_->charset.feed(s_->bytes, out);
    s_->charset.finish(out);
}

bool TextDecoder::problem() const {
    return s_->body.problem() || s_->charset.lossy();
}

std::string decode_part(std::string_view raw_message, const Part& part, bool* problem) {
    std::string_view body = raw_message.substr(part.body_start, part.body_end - part.body_start);
    return decode_body(part.encoding, body, problem);
}

std::string decode_part_text(std::string_view raw_message, const Part& part, bool* lossy) {
    std::string_view body = raw_message.substr(part.body_start, part.body_end - part.body_start);
    TextDecoder dec(part);
    std::string out;
    dec.feed(body, out);
    dec.finish(out);
    if (lossy)
        *lossy = dec.problem();
    return out;
}

bool is_text_part(const Part& part) {
    // A multipart that turned out to have no parts is shown as the text it holds.
    return part.kind == PartKind::leaf &&
           (part.content_type.type == "text" || part.content_type.type == "multipart");
}

void TextCollector::body_start(std::uint32_t index, const Part& part,
                               std::span<const HeaderField>) {
    current_.reset();
    if (!is_text_part(part))
        return;
    texts_.push_back(Text{index, {}, false, false});
    current_ = std::make_unique<TextDecoder>(part);
}

void TextCollector::body_data(std::uint32_t, std::string_view bytes) {
    if (!current_)
        return;
    Text& t = texts_.back();
    if (t.truncated)
        return;
    scratch_.clear();
    current_->feed(bytes, scratch_);
    if (t.text.size() + scratch_.size() > max_) {
        t.text.append(scratch_, 0, max_ - t.text.size());
        t.truncated = true;
        return;
    }
    t.text += scratch_;
}

void TextCollector::body_end(std::uint32_t) {
    if (!current_)
        return;
    Text& t = texts_.back();
    if (!t.truncated) {
        scratch_.clear();
        current_->finish(scratch_);
        if (t.text.size() + scratch_.size() > max_) {
            t.text.append(scratch_, 0, max_ - t.text.size());
            t.truncated = true;
        } else {
            t.text += scratch_;
        }
    }
    t.problem = current_->problem();
    current_.reset();
}

namespace {

class Classifier {
  public:
    explicit Classifier(const ParsedMessage& msg) : msg_(msg) {}

    // RFC 8621 §4.1.4 parseStructure(); null lists are modelled as nullptr.
    void walk(const std::vector<std::uint32_t>& parts, std::string_view multipart_type,
              bool in_alternative, std::vector<std::uint32_t>* html,
              std::vector<std::uint32_t>* text) {
        const long text_length = text ? static_cast<long>(text->size()) : -1;
        const long html_length = html ? static_cast<long>(html->size()) : -1;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const std::uint32_t index = parts[i];
            const Part& part = msg_.parts[index];
            const ContentType& ct = part.content_type;
            const bool is_multipart = part.kind == PartKind::multipart;
            const bool plain = part.kind == PartKind::leaf && ct.is("text", "plain");
            const bool html_type = part.kind == PartKind::leaf && ct.is("text", "html");
            const bool media = part.kind == PartKind::leaf && is_inline_media(ct);
            const bool is_inline =
                !is_attachment_disposition(index) && (plain || html_type || media) &&
                (i == 0 || (multipart_type != "related" && (media || !has_name(index))));
            if (is_multipart) {
                walk(part.children, ct.subtype, in_alternative || ct.subtype == "alternative", html,
                     text);
            } else if (is_inline) {
                if (multipart_type == "alternative") {
                    if (plain) {
                        if (text)
                            text->push_back(index);
                    } else if (html_type) {
                        if (html)
                            html->push_back(index);
                    } else {
                        lists_.attachments.push_back(index);
                    }
                    continue;
                }
                if (in_alternative) {
                    if (plain)
                        html = nullptr;
                    if (html_type)
                        text = nullptr;
                }
                if (text)
                    text->push_back(index);
                if (html)
                    html->push_back(index);
                if ((!text || !html) && media)
                    lists_.attachments.push_back(index);
            } else {
                lists_.attachments.push_back(index);
            }
        }
        if (multipart_type == "alternative" && text && html) {
            const auto tl = static_cast<std::size_t>(text_length);
            const auto hl = static_cast<std::size_t>(html_length);
            if (text_length == static_cast<long>(text->size()) &&
                html_length != static_cast<long>(html->size())) {
                for (std::size_t k = hl; k < html->size(); ++k)
                    text->push_back((*html)[k]);
            }
            if (html_length == static_cast<long>(html->size()) &&
                text_length != static_cast<long>(text->size())) {
                for (std::size_t k = tl; k < text->size(); ++k)
                    html->push_back((*text)[k]);
            }
        }
    }

    BodyLists lists_;

  private:
    bool is_attachment_disposition(std::uint32_t index) const {
        const HeaderField* h = msg_.find_header(index, "Content-Disposition");
        if (!h)
            return false;
        auto d = parse_content_disposition(h->raw_value);
        return d && d->type == "attachment";
    }

    bool has_name(std::uint32_t index) const {
        if (const HeaderField* h = msg_.find_header(index, "Content-Disposition")) {
            if (auto d = parse_content_disposition(h->raw_value); d && d->param("filename")) {
                return true;
            }
        }
        return msg_.parts[index].content_type.param("name").has_value();
    }

    const ParsedMessage& msg_;
};

}  // namespace

BodyLists classify_bodies(const ParsedMessage& msg, std::uint32_t root) {
    Classifier c(msg);
    std::vector<std::uint32_t> html, text;
    c.walk({root}, "mixed", false, &html, &text);
    c.lists_.html_body = std::move(html);
    c.lists_.text_body = std::move(text);
    return std::move(c.lists_);
}

}  // namespace postern::mime
