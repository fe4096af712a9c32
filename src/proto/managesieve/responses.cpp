// ManageSieve response formatting (RFC 5804 §4: response-ok/no/bye, string, resp-code).
#include "proto/managesieve/responses.h"

namespace postern::proto::managesieve {

namespace {

void status(std::string& out, std::string_view head, std::string_view text, std::string_view code) {
    out += head;
    if (!code.empty()) {
        out += " (";
        out += code;
        out += ')';
    }
    if (!text.empty()) {
        out += ' ';
        append_string(out, text);
    }
    out += "\r\n";
}

}  // namespace

void append_string(std::string& out, std::string_view text) {
    if (text.size() <= 1024 && text.find_first_of(std::string_view("\r\n\0", 3)) == text.npos) {
        out += '"';
        for (char c : text) {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
        out += '"';
        return;
    }
    out += '{';
    out += std::to_string(text.size());
    out += "}\r\n";
    out += text;
}

void append_ok(std::string& out, std::string_view text, std::string_view code) {
    status(out, "OK", text, code);
}
void append_no(std::string& out, std::string_view text, std::string_view code) {
    status(out, "NO", text, code);
}
void append_bye(std::string& out, std::string_view text, std::string_view code) {
    status(out, "BYE", text, code);
}

std::string code_with_string(std::string_view name, std::string_view value) {
    std::string out(name);
    out += ' ';
    append_string(out, value);
    return out;
}

void append_capability(std::string& out, std::string_view name, std::string_view value) {
    append_string(out, name);
    if (!value.empty() || name == "SIEVE" || name == "SASL") {
        out += ' ';
        append_string(out, value);
    }
    out += "\r\n";
}

void append_capability_flag(std::string& out, std::string_view name) {
    append_string(out, name);
    out += "\r\n";
}

void append_script_line(std::string& out, std::string_view name, bool active) {
    append_string(out, name);
    if (active)
        out += " ACTIVE";
    out += "\r\n";
}

void append_challenge(std::string& out, std::string_view base64) {
    append_string(out, base64);
    out += "\r\n";
}

}  // namespace postern::proto::managesieve
