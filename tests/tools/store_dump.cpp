// Test tool: prints one account's messages as JSON so end-to-end tests can check what was
// delivered. Opens the store directly, so the daemon must be stopped.
//   store_dump DATA_DIR ACCOUNT_ID [MAILBOX]  →  [{"uid": 1, "flags": [...], "raw": "..."}, ...]
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/utf8.h"
#include "store/api/store.h"

using namespace postern;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: store_dump DATA_DIR ACCOUNT_ID [MAILBOX]\n";
        return 2;
    }
    store::StoreOptions options;
    options.data_root = std::filesystem::path(argv[1]) / "store";
    auto s = store::Store::open(options);
    if (!s) {
        std::cerr << "store_dump: " << s.error().to_string() << "\n";
        return 1;
    }
    auto account = (*s)->account(argv[2]);
    if (!account) {
        std::cerr << "store_dump: " << account.error().to_string() << "\n";
        return 1;
    }
    auto box = (*account)->open_mailbox(argc > 3 ? argv[3] : "INBOX");
    if (!box) {
        std::cerr << "store_dump: " << box.error().to_string() << "\n";
        return 1;
    }
    auto metas = (*box)->messages(store::UidSet::all());
    if (!metas) {
        std::cerr << "store_dump: " << metas.error().to_string() << "\n";
        return 1;
    }
    auto out = nlohmann::json::array();
    for (auto& m : *metas) {
        auto raw = (*box)->fetch_body(m.uid);
        if (!raw) {
            std::cerr << "store_dump: uid " << m.uid << ": " << raw.error().to_string() << "\n";
            return 1;
        }
        // Bytes as Latin-1 code points: JSON needs valid UTF-8 and the test decodes it back.
        std::string latin;
        for (unsigned char c : *raw)
            append_utf8(latin, c);
        out.push_back({{"uid", m.uid}, {"size", m.size}, {"raw", latin}});
    }
    std::cout << out.dump() << "\n";
    return 0;
}
