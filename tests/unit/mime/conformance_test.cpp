// Corpus test against tests/conformance/data/mail-parser (README there): every .eml parsed
// with CRs removed against .json, and with bare LFs turned into CRLF against .crlf.json; every
// headers/*.json vector through the matching field parser. Differences must be listed in
// kKnownDifferences (and documented in docs/mime.md); entries that no longer match fail too.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "mime/conformance_adapter.h"
#include "mime/conformance_known.h"

namespace postern::mime::conformance {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(POSTERN_CONFORMANCE_DIR) / "mail-parser";

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string lf_only(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c != '\r')
            out += c;
    }
    return out;
}

std::string crlf(std::string_view lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

struct Outcome {
    int cases = 0;
    int identical = 0;   // no difference at all, LF and CRLF
    int documented = 0;  // only documented differences
    std::vector<std::string> unexpected;
};

// A difference is documented when an entry names its case and one of its path prefixes.
const KnownDifference* find_known(std::string_view id, std::string_view diff) {
    for (const auto& k : kKnownDifferences) {
        if (k.id != id)
            continue;
        std::string_view prefixes = k.path_prefix;
        while (true) {
            auto bar = prefixes.find('|');
            if (diff.starts_with(prefixes.substr(0, bar)))
                return &k;
            if (bar == std::string_view::npos)
                break;
            prefixes.remove_prefix(bar + 1);
        }
    }
    return nullptr;
}

std::map<std::string, int> g_known_hits;

void run_folder(const std::string& folder, Outcome& out) {
    std::vector<fs::path> emls;
    for (const auto& e : fs::directory_iterator(kCorpus / "eml" / folder)) {
        if (e.path().extension() == ".eml")
            emls.push_back(e.path());
    }
    std::sort(emls.begin(), emls.end());
    for (const auto& eml : emls) {
        std::string stem = eml.stem().string();
        std::string raw = lf_only(read_all(eml));
        bool any = false, unexplained = false;
        for (bool use_crlf : {false, true}) {
            std::string input = use_crlf ? crlf(raw) : raw;
            fs::path json_path = eml.parent_path() / (stem + (use_crlf ? ".crlf.json" : ".json"));
            Json expected = Json::parse(read_all(json_path));
            std::string id = folder + "/" + stem;
            for (const auto& d : compare_message(input, expected)) {
                any = true;
                const KnownDifference* k = find_known(id, d);
                if (k) {
                    ++g_known_hits[std::string(k->id) + "|" + std::string(k->path_prefix)];
                    continue;
                }
                unexplained = true;
                out.unexpected.push_back(id + (use_crlf ? " [crlf] " : " [lf] ") + d);
            }
        }
        ++out.cases;
        if (!any)
            ++out.identical;
        if (any && !unexplained)
            ++out.documented;
    }
}

// Every documented difference must still occur, so the list and docs/mime.md stay true.
// Each test checks the entries of its own kind (CTest runs the tests one per process).
void expect_no_stale_entries(bool header_vectors) {
    for (const auto& k : kKnownDifferences) {
        if (k.id.starts_with("headers/") != header_vectors)
            continue;
        EXPECT_GT(g_known_hits[std::string(k.id) + "|" + std::string(k.path_prefix)], 0)
            << "stale known difference: " << k.id << " " << k.path_prefix;
    }
}

void report(const std::string& name, const Outcome& o) {
    std::printf(
        "mail-parser %-12s %2d cases: %2d identical, %2d with documented differences, %2d "
        "unexplained\n",
        name.c_str(), o.cases, o.identical, o.documented, o.cases - o.identical - o.documented);
}

TEST(MailParserCorpus, Messages) {
    ASSERT_TRUE(fs::exists(kCorpus)) << kCorpus;
    for (const std::string folder : {"rfc", "malformed", "thirdparty"}) {
        Outcome o;
        run_folder(folder, o);
        report(folder, o);
        EXPECT_GT(o.cases, 0);
        for (const auto& u : o.unexpected)
            ADD_FAILURE() << u;
    }
    expect_no_stale_entries(false);
}

TEST(MailParserCorpus, HeaderVectors) {
    for (const std::string kind :
         {"address", "content_type", "date", "id", "list", "unstructured", "received"}) {
        Json vectors = Json::parse(read_all(kCorpus / "headers" / (kind + ".json")));
        int agree = 0, documented = 0;
        std::vector<std::string> unexpected;
        for (std::size_t i = 0; i < vectors.size(); ++i) {
            std::string d = compare_header_vector(kind, vectors[i]);
            if (d.empty()) {
                ++agree;
                continue;
            }
            std::string id = "headers/" + kind + "[" + std::to_string(i) + "]";
            if (const KnownDifference* k = find_known(id, "")) {
                ++g_known_hits[std::string(k->id) + "|" + std::string(k->path_prefix)];
                ++documented;
                continue;
            }
            unexpected.push_back(id + " " + vectors[i]["header"].dump() + ": " + d);
        }
        std::printf(
            "mail-parser headers/%-13s %3zu vectors: %3d agree, %2d documented, %2zu "
            "unexplained\n",
            kind.c_str(), vectors.size(), agree, documented, unexpected.size());
        for (const auto& u : unexpected)
            ADD_FAILURE() << u;
    }
    expect_no_stale_entries(true);
}

}  // namespace
}  // namespace postern::mime::conformance
