// TEST FIXTURE: naive analyzer and message generator for the store tests and benchmarks.
#include "test_analyzer.h"

#include <cstdio>

#include "base/strings.h"

namespace postern::store::testing {

MessageAnalysis NaiveAnalyzer::analyze(std::string_view raw) {
    MessageAnalysis a;
    auto end = raw.find("\r\n\r\n");
    std::size_t body_start = end == std::string_view::npos ? raw.size() : end + 4;
    a.header_size = body_start;
    std::string current;
    auto flush = [&] {
        auto colon = current.find(':');
        if (colon == std::string::npos)
            return;
        auto name = to_lower(trim(std::string_view(current).substr(0, colon)));
        auto value = std::string(trim(std::string_view(current).substr(colon + 1)));
        a.headers.emplace_back(name, value);
        if (name == "subject")
            a.sort.subject_base = value;
        if (name == "from")
            a.sort.from = value;
        if (name == "to")
            a.sort.to = value;
        if (name == "cc")
            a.sort.cc = value;
    };
    for (auto line : split(raw.substr(0, body_start), '\n')) {
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            break;
        if (line[0] == ' ' || line[0] == '\t') {
            current += line;
        } else {
            flush();
            current.assign(line);
        }
    }
    flush();
    a.body_text = std::string(raw.substr(body_start));
    a.envelope = "(envelope " + a.sort.subject_base + ")";
    a.bodystructure = "(\"text\" \"plain\")";
    a.parts.push_back({"", 0, body_start, raw.size()});
    // One level of multipart, boundary "b1": parts "1", "2", ...
    std::string_view body = raw.substr(body_start);
    int n = 0;
    std::size_t pos = 0;
    while ((pos = body.find("--b1\r\n", pos)) != std::string_view::npos) {
        std::size_t hs = body_start + pos + 6;
        auto he = raw.find("\r\n\r\n", hs);
        if (he == std::string_view::npos)
            break;
        auto next = raw.find("\r\n--b1", he);
        if (next == std::string_view::npos)
            break;
        a.parts.push_back({std::to_string(++n), hs, he + 4, next});
        pos = next - body_start + 2;
    }
    return a;
}

std::string make_message(std::size_t size, unsigned seed, std::string_view subject,
                         std::string_view from, std::string_view body_words) {
    static const char* kWords[] = {"meeting", "report",   "quarterly", "budget",   "schedule",
                                   "project", "review",   "deadline",  "customer", "invoice",
                                   "travel",  "update",   "server",    "release",  "please",
                                   "thanks",  "tomorrow", "question"};
    std::string m;
    char buf[256];
    std::snprintf(buf, sizeof buf, "Message-ID: <%u.%u@example.org>\r\n", seed, seed * 7919u);
    m += buf;
    m += "From: " + std::string(from) + "\r\n";
    std::snprintf(buf, sizeof buf, "To: user%u@example.com\r\n", seed % 100);
    m += buf;
    m += "Date: Mon, 3 Nov 2025 10:00:00 +0000\r\n";
    if (subject.empty()) {
        std::snprintf(buf, sizeof buf, "Subject: %s %s #%u\r\n", kWords[seed % 18],
                      kWords[(seed / 18) % 18], seed);
        m += buf;
    } else {
        m += "Subject: " + std::string(subject) + "\r\n";
    }
    m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
    if (!body_words.empty())
        m += std::string(body_words) + "\r\n";
    unsigned x = seed * 2654435761u + 1;
    std::size_t col = 0;
    while (m.size() + 2 < size) {
        x = x * 1103515245u + 12345u;
        const char* w = kWords[(x >> 16) % 18];
        m += w;
        col += std::string_view(w).size();
        if (col > 68) {
            m += "\r\n";
            col = 0;
        } else {
            m += ' ';
            ++col;
        }
    }
    m += "\r\n";
    return m;
}

}  // namespace postern::store::testing
