// Adapter from our parse results to the mail-parser corpus JSON (tests/conformance/data/
// mail-parser, Stalwart's serde shape), field by field, for the things we model.
#include "mime/conformance_adapter.h"

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "mime/address.h"
#include "mime/body_text.h"
#include "mime/content_type.h"
#include "mime/date.h"
#include "mime/header_text.h"
#include "mime/message_id.h"
#include "mime/parser.h"

namespace postern::mime::conformance {
namespace {

Json nullable(const std::string& s) {
    return s.empty() ? Json(nullptr) : Json(s);
}

Json mailbox_json(const Mailbox& m) {
    return Json{{"name", nullable(m.name)}, {"address", nullable(m.addr_spec())}};
}

// The corpus writes {"name","value"} objects in messages and [name, value] pairs in vectors.
Json normalise_attributes(const Json& attrs) {
    if (attrs.is_null())
        return Json(nullptr);
    Json out = Json::array();
    for (const auto& a : attrs) {
        if (a.is_array()) {
            out.push_back(a);
        } else {
            out.push_back(Json::array({a.at("name"), a.at("value")}));
        }
    }
    return out.empty() ? Json(nullptr) : out;
}

std::string header_key(const Json& name) {
    if (name.is_string())
        return name.get<std::string>();
    if (name.is_object() && name.contains("other"))
        return "other:" + name["other"].get<std::string>();
    return name.dump();
}

std::string our_header_key(std::string_view name) {
    static const std::set<std::string> kKnown = {"subject",
                                                 "from",
                                                 "to",
                                                 "cc",
                                                 "bcc",
                                                 "sender",
                                                 "reply_to",
                                                 "date",
                                                 "message_id",
                                                 "in_reply_to",
                                                 "references",
                                                 "return_path",
                                                 "received",
                                                 "mime_version",
                                                 "content_type",
                                                 "content_disposition",
                                                 "content_transfer_encoding",
                                                 "content_id",
                                                 "content_description",
                                                 "content_language",
                                                 "content_location",
                                                 "keywords",
                                                 "comments",
                                                 "resent_from",
                                                 "resent_to",
                                                 "resent_cc",
                                                 "resent_bcc",
                                                 "resent_sender",
                                                 "resent_date",
                                                 "resent_message_id",
                                                 "list_archive",
                                                 "list_help",
                                                 "list_id",
                                                 "list_owner",
                                                 "list_post",
                                                 "list_subscribe",
                                                 "list_unsubscribe",
                                                 "dkim_signature",
                                                 "arc_authentication_results",
                                                 "arc_message_signature",
                                                 "arc_seal"};
    std::string key = to_lower(name);
    std::replace(key.begin(), key.end(), '-', '_');
    if (kKnown.count(key))
        return key;
    return "other:" + std::string(name);
}

bool is_id_field(std::string_view key) {
    return key == "message_id" || key == "in_reply_to" || key == "references" ||
           key == "content_id" || key == "resent_message_id";
}

// Our value for one header, in the shape the expected value uses.
Json header_value_json(std::string_view key, std::string_view raw, const Json& expected) {
    std::string variant = expected.is_object() ? expected.begin().key() : expected.dump();
    if (variant == "\"Empty\"") {
        // The corpus gives Empty for values it could not parse; report what we make of it.
        if (trim(unfold(raw)).empty())
            return Json("Empty");
        if (key == "date")
            return parse_date(raw) ? Json("parsed") : Json("Empty");
        if (key == "content_type" || key == "content_disposition") {
            auto ct =
                key == "content_type" ? parse_content_type(raw) : parse_content_disposition(raw);
            return ct ? Json("parsed") : Json("Empty");
        }
        return Json(std::string(trim(unfold(raw))));
    }
    if (variant == "Address")
        return Json{{"Address", address_json(raw)}};
    if (variant == "DateTime")
        return Json{{"DateTime", date_json(raw)}};
    if (variant == "ContentType") {
        return Json{{"ContentType", content_type_json(raw, key == "content_disposition")}};
    }
    if (variant == "Received") {
        // We model the date of a Received field only (the text after its last ';').
        return Json{{"Received", {{"date", date_json(raw)}}}};
    }
    if (variant == "TextList") {
        if (is_id_field(key))
            return Json{{"TextList", parse_message_ids(raw)}};
        return Json{{"TextList", parse_phrase_list(raw)}};
    }
    if (variant == "Text") {
        if (is_id_field(key)) {
            auto ids = parse_message_ids(raw);
            return Json{{"Text", ids.empty() ? std::string() : ids.front()}};
        }
        if (key == "return_path") {
            auto list = flatten(parse_address_list(raw));
            return Json{{"Text", list.empty() ? std::string() : list.front().addr_spec()}};
        }
        if (key.starts_with("other:") || key == "dkim_signature" || key.starts_with("arc_")) {
            // Fields we do not interpret: the raw body, trimmed (folds kept).
            return Json{{"Text", std::string(trim(raw))}};
        }
        return Json{{"Text", decode_unstructured(raw)}};
    }
    return Json("unsupported variant " + variant);
}

Json normalise_expected_header(std::string_view key, const Json& v) {
    if (v.is_object() && v.contains("ContentType")) {
        Json ct = v["ContentType"];
        ct["attributes"] = normalise_attributes(ct["attributes"]);
        return Json{{"ContentType", ct}};
    }
    if (v.is_object() && v.contains("Received")) {
        return Json{{"Received", {{"date", v["Received"].value("date", Json(nullptr))}}}};
    }
    if (v.is_object() && v.contains("DateTime"))
        return v;
    (void)key;
    return v;
}

bool dates_equal(const Json& a, const Json& b) {
    if (a.is_null() || b.is_null())
        return a == b;
    for (const char* f :
         {"year", "month", "day", "hour", "minute", "second", "tz_hour", "tz_minute"}) {
        if (a.at(f) != b.at(f))
            return false;
    }
    // The sign of a zero offset carries nothing we model (-0000 is "unknown zone").
    bool zero = a.at("tz_hour") == 0 && a.at("tz_minute") == 0;
    return zero || a.at("tz_before_gmt") == b.at("tz_before_gmt");
}

bool values_equal(const Json& ours, const Json& theirs) {
    if (ours.is_object() && theirs.is_object() && ours.contains("DateTime") &&
        theirs.contains("DateTime")) {
        return dates_equal(ours["DateTime"], theirs["DateTime"]);
    }
    if (ours.is_object() && theirs.is_object() && ours.contains("Received") &&
        theirs.contains("Received")) {
        return dates_equal(ours["Received"]["date"], theirs["Received"]["date"]);
    }
    return ours == theirs;
}

// Parts of one message in the corpus order: pre-order, not entering nested messages.
std::vector<std::uint32_t> message_parts(const ParsedMessage& msg, std::uint32_t root) {
    std::vector<std::uint32_t> out;
    std::vector<std::uint32_t> stack{root};
    while (!stack.empty()) {
        std::uint32_t p = stack.back();
        stack.pop_back();
        out.push_back(p);
        const Part& part = msg.parts[p];
        if (part.kind != PartKind::multipart)
            continue;
        for (auto it = part.children.rbegin(); it != part.children.rend(); ++it)
            stack.push_back(*it);
    }
    return out;
}

std::string bytes_json_text(const std::string& s) {
    return Json(s).dump();
}

class Comparer {
  public:
    explicit Comparer(std::vector<std::string>& diffs) : diffs_(diffs) {}

    void message(std::string_view raw, const ParsedMessage& msg, std::uint32_t root,
                 const Json& exp, const std::string& path) {
        auto list = message_parts(msg, root);
        auto position = [&](std::uint32_t part) -> long {
            auto it = std::find(list.begin(), list.end(), part);
            return it == list.end() ? -1 : static_cast<long>(it - list.begin());
        };
        const Json& exp_parts = exp.at("parts");
        if (exp_parts.size() != list.size()) {
            diff(path + "parts.size", std::to_string(list.size()),
                 std::to_string(exp_parts.size()));
        }
        BodyLists lists = classify_bodies(msg, root);
        auto positions = [&](const std::vector<std::uint32_t>& parts) {
            Json out = Json::array();
            for (auto p : parts)
                out.push_back(position(p));
            return out;
        };
        check(path + "text_body", positions(lists.text_body), exp.at("text_body"));
        check(path + "html_body", positions(lists.html_body), exp.at("html_body"));
        check(path + "attachments", positions(lists.attachments), exp.at("attachments"));
        std::size_t n = std::min(list.size(), exp_parts.size());
        for (std::size_t i = 0; i < n; ++i) {
            part(raw, msg, list[i], exp_parts[i], path + "parts[" + std::to_string(i) + "].",
                 position);
        }
    }

  private:
    template <class Position>
    void part(std::string_view raw, const ParsedMessage& msg, std::uint32_t index, const Json& exp,
              const std::string& path, Position position) {
        const Part& p = msg.parts[index];
        check(path + "offset_header", Json(p.header_start), exp.at("offset_header"));
        check(path + "offset_body", Json(p.body_start), exp.at("offset_body"));
        check(path + "offset_end", Json(p.body_end), exp.at("offset_end"));

        auto headers = msg.headers_of(index);
        const Json& exp_headers = exp.at("headers");
        if (headers.size() != exp_headers.size()) {
            Json ours = Json::array();
            for (const auto& h : headers)
                ours.push_back(h.name);
            Json theirs = Json::array();
            for (const auto& h : exp_headers)
                theirs.push_back(header_key(h.at("name")));
            diff(path + "headers", ours.dump(), theirs.dump());
        } else {
            for (std::size_t k = 0; k < headers.size(); ++k) {
                const HeaderField& h = headers[k];
                const Json& e = exp_headers[k];
                std::string hp = path + "headers[" + std::to_string(k) + "].";
                std::string key = our_header_key(h.name);
                check(hp + "name", Json(key), Json(header_key(e.at("name"))));
                check(hp + "offset_field", Json(h.offset), e.at("offset_field"));
                check(hp + "offset_start", Json(h.value_offset), e.at("offset_start"));
                check(hp + "offset_end", Json(h.end), e.at("offset_end"));
                Json theirs = normalise_expected_header(key, e.at("value"));
                Json ours = header_value_json(key, h.raw_value, e.at("value"));
                if (!values_equal(ours, theirs))
                    diff(hp + "value", ours.dump(), theirs.dump());
            }
        }

        const Json& body = exp.at("body");
        std::string kind = body.is_object() ? body.begin().key() : body.dump();
        bool enc_problem = exp.value("is_encoding_problem", false);
        if (p.kind == PartKind::multipart) {
            Json ours = Json::array();
            for (auto c : p.children)
                ours.push_back(position(c));
            if (kind != "Multipart") {
                diff(path + "body", "Multipart" + ours.dump(), kind);
            } else {
                check(path + "body.Multipart", ours, body["Multipart"]);
            }
            return;
        }
        if (p.kind == PartKind::message) {
            if (kind != "Message") {
                diff(path + "body", "Message", kind);
                return;
            }
            message(raw, msg, p.children.front(), body["Message"], path + "body.Message.");
            return;
        }
        if ((p.flags & part_flag::encoded_message) != 0 && kind == "Message") {
            // A base64/QP message/rfc822: parsed from its decoded bytes, offsets into those.
            std::string decoded = decode_part(raw, p);
            ParsedMessage inner = parse_message(decoded);
            message(decoded, inner, 0, body["Message"], path + "body.Message.");
            return;
        }
        const ContentType& ct = p.content_type;
        std::string ours_kind = ct.is("text", "html") ? "Html"
                                : is_text_part(p)     ? "Text"
                                                      : "Binary";
        std::string theirs_kind = kind == "InlineBinary" ? "Binary" : kind;
        bool problem = false;
        if (ours_kind == "Binary") {
            std::string bytes = decode_part(raw, p, &problem);
            if (theirs_kind != "Binary") {
                if (enc_problem && problem)
                    return;  // they fall back to raw text on damage
                diff(path + "body", ours_kind, kind);
                return;
            }
            Json ours = Json::array();
            for (unsigned char c : bytes)
                ours.push_back(c);
            check(path + "body.Binary", ours, body.begin().value());
            return;
        }
        std::string text = decode_part_text(raw, p, &problem);
        if (ours_kind != theirs_kind) {
            if (enc_problem && problem)
                return;
            diff(path + "body", ours_kind, kind);
            return;
        }
        const Json& theirs = body.begin().value();
        if (text != theirs.get<std::string>()) {
            if (enc_problem && problem)
                return;
            diff(path + "body." + kind, bytes_json_text(text), theirs.dump());
        }
    }

    void check(const std::string& path, const Json& ours, const Json& theirs) {
        if (ours != theirs)
            diff(path, ours.dump(), theirs.dump());
    }

    void diff(const std::string& path, const std::string& ours, const std::string& theirs) {
        diffs_.push_back(path + ": ours=" + ours + " expected=" + theirs);
    }

    std::vector<std::string>& diffs_;
};

}  // namespace

std::string field_value(std::string_view header) {
    std::size_t i = 0;
    while ((i = header.find('\n', i)) != std::string_view::npos) {
        if (i + 1 < header.size() && (header[i + 1] == ' ' || header[i + 1] == '\t')) {
            ++i;
            continue;
        }
        std::size_t end = i;
        if (end > 0 && header[end - 1] == '\r')
            --end;
        return std::string(header.substr(0, end));
    }
    return std::string(header);
}

Json address_json(std::string_view raw_value) {
    auto list = parse_address_list(raw_value);
    bool any_group = std::any_of(list.begin(), list.end(),
                                 [](const Address& a) { return std::holds_alternative<Group>(a); });
    if (!any_group) {
        Json out = Json::array();
        for (const auto& a : list)
            out.push_back(mailbox_json(std::get<Mailbox>(a)));
        return Json{{"List", out}};
    }
    // With groups, the corpus puts loose mailboxes into unnamed groups.
    Json groups = Json::array();
    Json loose = Json::array();
    auto flush_loose = [&] {
        if (loose.empty())
            return;
        groups.push_back(Json{{"name", nullptr}, {"addresses", loose}});
        loose = Json::array();
    };
    for (const auto& a : list) {
        if (const auto* m = std::get_if<Mailbox>(&a)) {
            loose.push_back(mailbox_json(*m));
            continue;
        }
        flush_loose();
        const auto& g = std::get<Group>(a);
        Json members = Json::array();
        for (const auto& m : g.members)
            members.push_back(mailbox_json(m));
        groups.push_back(Json{{"name", nullable(g.name)}, {"addresses", members}});
    }
    flush_loose();
    return Json{{"Group", groups}};
}

Json content_type_json(std::string_view raw_value, bool disposition) {
    auto ct = disposition ? parse_content_disposition(raw_value) : parse_content_type(raw_value);
    if (!ct)
        return Json(nullptr);
    Json attrs = Json::array();
    for (const auto& p : decode_params(ct->params)) {
        if (!p.language.empty())
            attrs.push_back(Json::array({p.name + "-language", p.language}));
        attrs.push_back(Json::array({p.name, p.value}));
    }
    return Json{{"c_type", ct->type},
                {"c_subtype", nullable(ct->subtype)},
                {"attributes", attrs.empty() ? Json(nullptr) : attrs}};
}

Json date_json(std::string_view raw_value) {
    auto d = parse_date(raw_value);
    if (!d)
        return Json(nullptr);
    int zone = d->zone_minutes;
    return Json{{"year", d->year},
                {"month", d->month},
                {"day", d->day},
                {"hour", d->hour},
                {"minute", d->minute},
                {"second", d->second},
                {"tz_before_gmt", zone < 0},
                {"tz_hour", (zone < 0 ? -zone : zone) / 60},
                {"tz_minute", (zone < 0 ? -zone : zone) % 60}};
}

std::vector<std::string> compare_message(std::string_view raw, const Json& expected) {
    std::vector<std::string> diffs;
    ParsedMessage msg = parse_message(raw);
    Comparer(diffs).message(raw, msg, 0, expected, "");
    return diffs;
}

std::string compare_header_vector(std::string_view kind, const Json& vector) {
    std::string raw = field_value(vector.at("header").get<std::string>());
    const Json& expected = vector.at("expected");
    Json ours;
    if (kind == "address") {
        ours = address_json(raw);
    } else if (kind == "content_type") {
        ours = content_type_json(raw, false);
        Json theirs = expected;
        if (theirs.is_object()) {
            theirs["attributes"] = normalise_attributes(theirs.value("attributes", Json(nullptr)));
            if (!expected.contains("attributes"))
                theirs["attributes"] = nullptr;
        }
        return ours == theirs ? std::string()
                              : "ours=" + ours.dump() + " expected=" + theirs.dump();
    } else if (kind == "date") {
        ours = date_json(raw);
        return dates_equal(ours, expected) ? std::string()
                                           : "ours=" + ours.dump() + " expected=" + expected.dump();
    } else if (kind == "id") {
        auto ids = parse_message_ids(raw);
        ours = ids.empty() ? Json(nullptr) : Json(ids);
    } else if (kind == "list") {
        ours = parse_phrase_list(raw);
    } else if (kind == "unstructured") {
        ours = decode_unstructured(raw);
    } else if (kind == "received") {
        // Only the date of a Received field is modelled.
        Json d = date_json(raw);
        Json theirs = expected.is_object() ? expected.value("date", Json(nullptr)) : Json(nullptr);
        return dates_equal(d, theirs) ? std::string()
                                      : "date: ours=" + d.dump() + " expected=" + theirs.dump();
    }
    return ours == expected ? std::string()
                            : "ours=" + ours.dump() + " expected=" + expected.dump();
}

}  // namespace postern::mime::conformance
