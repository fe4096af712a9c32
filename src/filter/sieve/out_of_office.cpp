// Out-of-office as generated Sieve: vacation (RFC 5230) guarded by currentdate (RFC 5260 §5)
// and envelope (RFC 5228 §5.4) tests.
#include "filter/sieve/out_of_office.h"

#include "base/utf8.h"

namespace postern::sieve {

namespace {

bool valid_date(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (d[i] < '0' || d[i] > '9')
            return false;
    int month = (d[5] - '0') * 10 + (d[6] - '0');
    int day = (d[8] - '0') * 10 + (d[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

std::string string_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i)
            out += ", ";
        out += sieve_quote(items[i]);
    }
    return out + "]";
}

}  // namespace

std::string_view reply_to_name(OutOfOffice::ReplyTo r) {
    switch (r) {
        case OutOfOffice::ReplyTo::internal:
            return "internal";
        case OutOfOffice::ReplyTo::external:
            return "external";
        case OutOfOffice::ReplyTo::all:
            break;
    }
    return "all";
}

bool parse_reply_to(std::string_view text, OutOfOffice::ReplyTo& out) {
    if (text == "all" || text == "both")
        out = OutOfOffice::ReplyTo::all;
    else if (text == "internal")
        out = OutOfOffice::ReplyTo::internal;
    else if (text == "external")
        out = OutOfOffice::ReplyTo::external;
    else
        return false;
    return true;
}

std::string validate(const OutOfOffice& ooo) {
    if (!ooo.start.empty() && !valid_date(ooo.start))
        return "start must be a date YYYY-MM-DD";
    if (!ooo.end.empty() && !valid_date(ooo.end))
        return "end must be a date YYYY-MM-DD";
    if (!ooo.start.empty() && !ooo.end.empty() && ooo.end < ooo.start)
        return "end is before start";
    if (ooo.days < 1 || ooo.days > 90)
        return "days must be between 1 and 90";
    if (ooo.subject.find_first_of("\r\n") != std::string::npos)
        return "subject must be one line";
    if (ooo.subject.size() > 998)
        return "subject is too long";
    if (ooo.text.size() > 64 * 1024)
        return "text is longer than 64K";
    if (!is_valid_utf8(ooo.subject) || !is_valid_utf8(ooo.text))
        return "subject and text must be UTF-8";
    if (ooo.enabled && ooo.text.empty())
        return "an enabled out-of-office needs a text";
    return "";
}

std::string sieve_quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string generate_out_of_office_script(const OutOfOffice& ooo,
                                          const std::vector<std::string>& addresses,
                                          const std::vector<std::string>& local_domains) {
    std::vector<std::string> tests;
    bool date = false, envelope = false;
    if (!ooo.start.empty()) {
        tests.push_back("currentdate :value \"ge\" \"date\" " + sieve_quote(ooo.start));
        date = true;
    }
    if (!ooo.end.empty()) {
        tests.push_back("currentdate :value \"le\" \"date\" " + sieve_quote(ooo.end));
        date = true;
    }
    if (ooo.reply_to != OutOfOffice::ReplyTo::all) {
        envelope = true;
        std::string test = "envelope :domain :is \"from\" " + string_list(local_domains);
        if (local_domains.empty())
            test = "false";  // no local domain: nobody is internal
        tests.push_back(ooo.reply_to == OutOfOffice::ReplyTo::internal ? test : "not " + test);
    }
    std::string script =
        "# Out of office: generated from the account's setting (posternctl account ooo);\n"
        "# changes here are overwritten.\n";
    script += "require [\"vacation\"";
    if (date)
        script += ", \"date\", \"relational\"";
    if (envelope)
        script += ", \"envelope\"";
    script += "];\n";
    std::string action = "vacation :days " + std::to_string(ooo.days);
    if (!ooo.subject.empty())
        action += " :subject " + sieve_quote(ooo.subject);
    if (!addresses.empty())
        action += " :addresses " + string_list(addresses);
    action += "\n    " + sieve_quote(ooo.text) + ";\n";
    if (tests.empty())
        return script + action;
    script += "if allof (";
    for (std::size_t i = 0; i < tests.size(); ++i) {
        if (i)
            script += ",\n          ";
        script += tests[i];
    }
    script += ") {\n    " + action + "}\n";
    return script;
}

}  // namespace postern::sieve
