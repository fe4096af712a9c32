// BODY / BODYSTRUCTURE data (RFC 9051 §7.5.2 and §9 "body", "body-type-1part", "body-type-mpart",
// "body-ext-1part", "body-ext-mpart"; RFC 3501 §7.4.2 and §9; RFC 2046 §4.1.2 default charset).
#include "proto/imap/bodystructure_format.h"

#include <vector>

#include "base/strings.h"
#include "mime/structure_codec.h"
#include "proto/imap/envelope_format.h"

namespace postern::proto::imap {
namespace {

using mime::BodyPart;

// What Dovecot writes where a body is required but there is none (without the closing
// parenthesis, so the extension fields can follow).
constexpr std::string_view kEmptyBody =
    R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)";

class BodyWriter {
  public:
    BodyWriter(std::string& out, const mime::MessageStructure& s, bool extensible,
               const SessionMode& mode)
        : out_(out), s_(s), extensible_(extensible), mode_(mode), visited_(s.parts.size()) {}

    void body(std::uint32_t index, int depth) {
        if (index >= s_.parts.size() || visited_[index] || depth > kMaxBodyDepth) {
            empty_body();
            return;
        }
        visited_[index] = true;
        const BodyPart& p = s_.parts[index];
        out_ += '(';
        if (p.kind == BodyPart::Kind::multipart)
            multipart(p, depth);
        else
            single(p, depth);
        out_ += ')';
    }

  private:
    void empty_body() {
        out_ += kEmptyBody;
        if (extensible_)
            out_ += " NIL NIL NIL NIL";
        out_ += ')';
    }

    void str(std::string_view s) { append_string(out_, s, mode_); }
    void nstr(const std::optional<std::string>& s) {
        if (s)
            str(*s);
        else
            append_nil(out_);
    }

    // body-fld-param: NIL when empty. `default_charset` adds charset=us-ascii if none is there.
    void params(const std::vector<mime::Param>& list, bool default_charset) {
        bool has_charset = false;
        for (const auto& p : list)
            has_charset = has_charset || iequals(p.name, "charset");
        const bool add_charset = default_charset && !has_charset;
        if (list.empty() && !add_charset) {
            append_nil(out_);
            return;
        }
        out_ += '(';
        bool first = true;
        for (const auto& p : list) {
            if (!first)
                out_ += ' ';
            first = false;
            str(p.name);
            out_ += ' ';
            str(p.value);
        }
        if (add_charset) {
            if (!first)
                out_ += ' ';
            out_ += R"("charset" "us-ascii")";
        }
        out_ += ')';
    }

    // body-fld-dsp SP body-fld-lang SP body-fld-loc: the tail both extension forms share.
    void extension_tail(const BodyPart& p) {
        out_ += ' ';
        if (p.disposition) {
            out_ += '(';
            str(*p.disposition);
            out_ += ' ';
            params(p.disposition_params, false);
            out_ += ')';
        } else {
            append_nil(out_);
        }
        out_ += ' ';
        if (p.languages.empty()) {
            append_nil(out_);
        } else {
            out_ += '(';
            for (std::size_t i = 0; i < p.languages.size(); ++i) {
                if (i)
                    out_ += ' ';
                str(p.languages[i]);
            }
            out_ += ')';
        }
        out_ += ' ';
        nstr(p.location);
    }

    void multipart(const BodyPart& p, int depth) {
        bool any = false;
        for (auto child : p.children) {
            body(child, depth + 1);
            any = true;
        }
        if (!any)
            empty_body();
        out_ += ' ';
        str(p.subtype.empty() ? std::string_view("x-unknown") : std::string_view(p.subtype));
        if (!extensible_)
            return;
        out_ += ' ';
        params(p.params, false);
        extension_tail(p);
    }

    // body-type-msg applies only to a message part with its enclosed message and envelope, and
    // to message/global only where the grammar has it (IMAP4rev2).
    bool writes_as_message(const BodyPart& p) const {
        if (p.kind != BodyPart::Kind::message || p.children.empty())
            return false;
        if (p.envelope < 0 || static_cast<std::size_t>(p.envelope) >= s_.envelopes.size())
            return false;
        return iequals(p.subtype, "rfc822") || (iequals(p.subtype, "global") && mode_.imap4rev2);
    }

    void single(const BodyPart& p, int depth) {
        const bool message = writes_as_message(p);
        const bool text = p.kind == BodyPart::Kind::text || iequals(p.type, "text");
        std::string_view type = p.type;
        std::string_view subtype = p.subtype;
        // A message part we cannot describe as one (no enclosed message) is opaque data, as the
        // MIME layer maps encoded message/rfc822 parts.
        if (p.kind == BodyPart::Kind::message && !message && !iequals(p.subtype, "global")) {
            type = "application";
            subtype = "octet-stream";
        }
        if (type.empty())
            type = "application";
        if (subtype.empty())
            subtype = text ? "plain" : "unknown";
        str(type);
        out_ += ' ';
        str(subtype);
        out_ += ' ';
        params(p.params, text);
        out_ += ' ';
        nstr(p.id);
        out_ += ' ';
        nstr(p.description);
        out_ += ' ';
        str(p.encoding.empty() ? std::string_view("7bit") : std::string_view(p.encoding));
        out_ += ' ';
        append_number(out_, p.size);
        if (text) {
            out_ += ' ';
            append_number(out_, p.lines);
        } else if (message) {
            out_ += ' ';
            append_envelope(out_, s_.envelopes[static_cast<std::size_t>(p.envelope)], mode_);
            out_ += ' ';
            body(p.children.front(), depth + 1);
            out_ += ' ';
            append_number(out_, p.lines);
        }
        if (!extensible_)
            return;
        out_ += ' ';
        nstr(p.md5);
        extension_tail(p);
    }

    std::string& out_;
    const mime::MessageStructure& s_;
    bool extensible_;
    const SessionMode& mode_;
    std::vector<bool> visited_;
};

}  // namespace

void append_body_structure(std::string& out, const mime::MessageStructure& structure,
                           bool extensible, const SessionMode& mode) {
    BodyWriter(out, structure, extensible, mode).body(0, 0);
}

postern::Status append_body_structure_blob(std::string& out, std::string_view blob, bool extensible,
                                           const SessionMode& mode) {
    auto s = mime::decode_structure(blob);
    if (!s)
        return fail(std::move(s.error()));
    append_body_structure(out, *s, extensible, mode);
    return ok();
}

}  // namespace postern::proto::imap
