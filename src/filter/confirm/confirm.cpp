// Identity confirmation: which senders are challenged (RFC 2369, RFC 2919, RFC 3834 §2,
// RFC 8601), the challenge message, and the store of pending challenges (SQLite, WAL).
#include "filter/confirm/confirm.h"

#include <ctime>
#include <vector>

#include "base/random.h"
#include "base/strings.h"
#include "filter/sender_auth/auth_results.h"
#include "filter/sqlite/sqlite_file.h"

namespace postern::filter::confirm {

namespace {

constexpr std::size_t kMaxHeaderScan = 64 * 1024;
constexpr std::size_t kMaxFields = 1000;
constexpr std::size_t kMaxSubject = 200;  // of the original subject quoted in the challenge

struct Field {
    std::string name;  // lower case
    std::string value;
};

// The unfolded fields of the header section.
std::vector<Field> header_fields(std::string_view raw) {
    std::vector<Field> out;
    raw = raw.substr(0, std::min(raw.size(), kMaxHeaderScan));
    while (!raw.empty() && out.size() < kMaxFields) {
        auto eol = raw.find('\n');
        std::string_view line = raw.substr(0, eol);
        raw.remove_prefix(eol == std::string_view::npos ? raw.size() : eol + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (line.empty())
            break;
        if (line.front() == ' ' || line.front() == '\t') {
            if (!out.empty())
                out.back().value.append(" ").append(trim(line));
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        out.push_back(Field{to_lower(trim(line.substr(0, colon))),
                            std::string(trim(line.substr(colon + 1)))});
    }
    return out;
}

// "spf=fail" or "dmarc=fail" as a method result of an Authentication-Results value.
bool says_failed(std::string_view value, std::string_view method) {
    auto lower = to_lower(value);
    std::string needle = std::string(method) + "=fail";
    for (std::size_t at = lower.find(needle); at != std::string::npos;
         at = lower.find(needle, at + 1)) {
        bool starts =
            at == 0 || lower[at - 1] == ';' || lower[at - 1] == ' ' || lower[at - 1] == '\t';
        auto end = at + needle.size();
        bool ends = end == lower.size() || lower[end] == ' ' || lower[end] == ';' ||
                    lower[end] == '\t' || lower[end] == '(';
        if (starts && ends)
            return true;
    }
    return false;
}

constexpr std::string_view kName = "confirmation store";

using sqlite::Stmt;

Error db_error(sqlite3* db, std::string_view what) {
    return sqlite::db_error(db, kName, what);
}

// Printable ASCII on one line: the original subject is quoted, not trusted.
std::string one_line(std::string_view text, std::size_t max) {
    std::string out;
    for (char c : text.substr(0, std::min(text.size(), max))) {
        auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
    return out;
}

}  // namespace

std::string_view skip_name(Skip skip) {
    switch (skip) {
        case Skip::none:
            return "none";
        case Skip::null_sender:
            return "null sender";
        case Skip::mailing_list:
            return "mailing list";
        case Skip::bulk:
            return "bulk";
        case Skip::auto_submitted:
            return "auto-submitted";
        case Skip::auth_failed:
            return "SPF or DMARC failed";
    }
    return "none";
}

Skip challenge_skip(std::string_view sender, std::string_view raw, std::string_view authserv_id) {
    if (trim(sender).empty())
        return Skip::null_sender;
    auto fields = header_fields(raw);
    for (const auto& f : fields) {
        if (f.name == "list-id" || f.name == "list-unsubscribe" || f.name == "list-post")
            return Skip::mailing_list;
    }
    for (const auto& f : fields) {
        if (f.name == "precedence") {
            auto v = to_lower(f.value);
            if (v == "bulk" || v == "list" || v == "junk")
                return Skip::bulk;
        }
        if (f.name == "auto-submitted") {
            // RFC 3834 §5: anything but "no" (parameters and comments aside) is automatic.
            auto v = to_lower(f.value);
            auto end = v.find_first_of("; (\t");
            if (trim(std::string_view(v).substr(0, end)) != "no")
                return Skip::auto_submitted;
        }
    }
    for (const auto& f : fields) {
        if (f.name != "authentication-results" || authserv_id.empty())
            continue;
        if (!iequals(sender_auth::authserv_id_of(f.value), authserv_id))
            continue;
        if (says_failed(f.value, "spf") || says_failed(f.value, "dmarc"))
            return Skip::auth_failed;
    }
    return Skip::none;
}

std::optional<std::string> token_in_subject(std::string_view raw) {
    for (const auto& f : header_fields(raw)) {
        if (f.name != "subject")
            continue;
        auto lower = to_lower(f.value);
        auto at = lower.find("[confirm:");
        if (at == std::string::npos)
            continue;
        auto start = at + 9;
        auto end = f.value.find(']', start);
        if (end == std::string::npos || end - start != kTokenLength)
            continue;
        std::string token = f.value.substr(start, end - start);
        bool alnum = true;
        for (char c : token)
            alnum = alnum &&
                    ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
        if (alnum)
            return token;
    }
    return std::nullopt;
}

std::string build_challenge(std::string_view account, std::string_view sender,
                            std::string_view token, std::string_view original_subject,
                            std::string_view hostname, std::int64_t now) {
    std::time_t t = now;
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    std::string subject = one_line(original_subject, kMaxSubject);
    std::string out;
    out += "From: Mail System <MAILER-DAEMON@" + std::string(hostname) + ">\r\n";
    out += "Reply-To: <" + std::string(account) + ">\r\n";
    out += "To: <" + std::string(sender) + ">\r\n";
    out += "Subject: Please confirm your message to " + std::string(account) +
           " [confirm:" + std::string(token) + "]\r\n";
    out += "Date: " + std::string(date) + "\r\n";
    out += "Message-ID: <confirm." + std::string(token) + "." + std::to_string(now) + "@" +
           std::string(hostname) + ">\r\n";
    out += "Auto-Submitted: auto-replied\r\n";
    out += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
    out +=
        std::string(account) + " accepts mail only from senders who confirm that they exist.\r\n";
    out += "Your message";
    if (!subject.empty())
        out += " \"" + subject + "\"";
    out += " is waiting until you do.\r\n\r\n";
    out += "To confirm, reply to this message and keep its subject (it carries the code\r\n";
    out +=
        "confirm:" + std::string(token) + "). Your later messages will be delivered at once.\r\n";
    out += "If you did not write to " + std::string(account) + ", ignore this message.\r\n";
    return out;
}

Result<std::unique_ptr<ConfirmStore>> ConfirmStore::open(const std::filesystem::path& file) {
    auto db = sqlite::open_wal(
        file, kName, 1,
        {"CREATE TABLE IF NOT EXISTS pending(account TEXT NOT NULL, sender TEXT NOT NULL, "
         "token TEXT NOT NULL, first_seen INTEGER NOT NULL, challenged INTEGER NOT NULL, "
         "PRIMARY KEY(account, sender))",
         "CREATE UNIQUE INDEX IF NOT EXISTS pending_token ON pending(account, token)"});
    if (!db)
        return fail(db.error());
    return std::unique_ptr<ConfirmStore>(new ConfirmStore(db->release()));
}

ConfirmStore::~ConfirmStore() {
    sqlite3_close(db_);
}

Result<ConfirmStore::Hold> ConfirmStore::hold(std::string_view account, std::string_view sender,
                                              bool may_challenge, std::int64_t now) {
    auto a = to_lower(trim(account));
    auto s = to_lower(trim(sender));
    std::lock_guard lock(mutex_);
    Hold out;
    Stmt q(db_, "SELECT token, challenged FROM pending WHERE account = ?1 AND sender = ?2");
    if (!q.ok())
        return fail(db_error(db_, "prepare"));
    q.bind(1, a);
    q.bind(2, s);
    int rc = q.step();
    if (rc == SQLITE_ROW) {
        out.token = q.text(0);
        std::int64_t challenged = q.integer(1);
        out.send_challenge =
            may_challenge && (challenged == 0 || now - challenged >= kResendSeconds);
        if (out.send_challenge) {
            Stmt u(db_, "UPDATE pending SET challenged = ?3 WHERE account = ?1 AND sender = ?2");
            u.bind(1, a);
            u.bind(2, s);
            u.bind(3, now);
            if (!u.ok() || u.step() != SQLITE_DONE)
                return fail(db_error(db_, "update"));
        }
        return out;
    }
    if (rc != SQLITE_DONE)
        return fail(db_error(db_, "lookup"));
    out.token = random_token(kTokenLength);
    out.send_challenge = may_challenge;
    Stmt w(db_,
           "INSERT INTO pending(account, sender, token, first_seen, challenged) "
           "VALUES(?1, ?2, ?3, ?4, ?5)");
    w.bind(1, a);
    w.bind(2, s);
    w.bind(3, out.token);
    w.bind(4, now);
    w.bind(5, may_challenge ? now : std::int64_t{0});
    if (!w.ok() || w.step() != SQLITE_DONE)
        return fail(db_error(db_, "insert"));
    return out;
}

Result<std::optional<std::string>> ConfirmStore::confirm(std::string_view account,
                                                         std::string_view token) {
    auto a = to_lower(trim(account));
    std::lock_guard lock(mutex_);
    std::optional<std::string> sender;
    Stmt q(db_, "SELECT sender FROM pending WHERE account = ?1 AND token = ?2");
    if (!q.ok())
        return fail(db_error(db_, "prepare"));
    q.bind(1, a);
    q.bind(2, token);
    int rc = q.step();
    if (rc == SQLITE_DONE)
        return sender;
    if (rc != SQLITE_ROW)
        return fail(db_error(db_, "lookup"));
    sender = q.text(0);
    Stmt d(db_, "DELETE FROM pending WHERE account = ?1 AND token = ?2");
    d.bind(1, a);
    d.bind(2, token);
    if (!d.ok() || d.step() != SQLITE_DONE)
        return fail(db_error(db_, "delete"));
    return sender;
}

}  // namespace postern::filter::confirm
