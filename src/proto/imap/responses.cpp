// Server responses (RFC 9051 §7 and §9; RFC 3501 §7; RFC 5161 ENABLE; RFC 7162 §3.2.10
// VANISHED; RFC 5258/5819/6154 LIST; RFC 4731/5267/9394 ESEARCH; RFC 5256 SORT/THREAD; RFC 2342
// NAMESPACE; RFC 9208 QUOTA; RFC 4314 ACL; RFC 5464 METADATA; RFC 2971 ID).
#include "proto/imap/responses.h"

#include <unordered_set>

namespace postern::proto::imap {
namespace {

std::string_view condition_word(ResponseCondition c) {
    switch (c) {
        case ResponseCondition::ok:
            return "OK";
        case ResponseCondition::no:
            return "NO";
        case ResponseCondition::bad:
            return "BAD";
        case ResponseCondition::preauth:
            return "PREAUTH";
        case ResponseCondition::bye:
            return "BYE";
    }
    return "BAD";
}

// IMAP4rev1 requires text after the code (resp-text = [...] text, text = 1*TEXT-CHAR).
std::string_view default_text(ResponseCondition c) {
    switch (c) {
        case ResponseCondition::ok:
            return "Completed";
        case ResponseCondition::no:
            return "Failed";
        case ResponseCondition::bad:
            return "Invalid command";
        case ResponseCondition::preauth:
            return "Logged in";
        case ResponseCondition::bye:
            return "Logging out";
    }
    return "Completed";
}

void append_resp_text(std::string& out, const std::optional<ResponseCode>& code,
                      std::string_view text, ResponseCondition condition, const SessionMode& mode) {
    if (code && !code->text.empty()) {
        out += '[';
        out += code->text;
        out += "] ";
    }
    const std::size_t before = out.size();
    append_text(out, text, mode);
    // Blank text reads as none; a text starting with "[" would read as a response code.
    bool blank = out.find_first_not_of(' ', before) == std::string::npos;
    if (blank) {
        out.resize(before);
        out += default_text(condition);
    } else if (out[before] == '[' && !(code && !code->text.empty())) {
        out.insert(before, "- ");
    }
}

void untagged_number(std::string& out, std::uint64_t n, std::string_view word) {
    out += "* ";
    append_number(out, n);
    out += ' ';
    out += word;
    out += "\r\n";
}

void append_delimiter(std::string& out, std::optional<char> delimiter) {
    if (!delimiter || *delimiter == '\0' || *delimiter == '\r' || *delimiter == '\n' ||
        static_cast<unsigned char>(*delimiter) >= 0x80) {
        append_nil(out);
        return;
    }
    out += '"';
    if (*delimiter == '"' || *delimiter == '\\')
        out += '\\';
    out += *delimiter;
    out += '"';
}

void append_list_like(std::string& out, std::string_view word, const ListResponse& e,
                      const SessionMode& mode) {
    out += "* ";
    out += word;
    out += " (";
    bool first = true;
    for (const auto& a : e.attributes) {
        if (!is_valid_flag(a))
            continue;
        if (!first)
            out += ' ';
        first = false;
        out += a;
    }
    out += ") ";
    append_delimiter(out, e.delimiter);
    out += ' ';
    append_mailbox(out, e.name, mode);
    if (!e.child_info.empty() || e.old_name) {
        out += " (";
        bool any = false;
        if (!e.child_info.empty()) {
            out += "CHILDINFO (";
            for (std::size_t i = 0; i < e.child_info.size(); ++i) {
                if (i)
                    out += ' ';
                append_quoted_only(out, e.child_info[i], SessionMode{});
            }
            out += ')';
            any = true;
        }
        if (e.old_name) {
            if (any)
                out += ' ';
            out += "OLDNAME (";
            append_mailbox(out, *e.old_name, mode);
            out += ')';
        }
        out += ')';
    }
    out += "\r\n";
}

// Numbers in the given order, joined by spaces.
void append_number_list(std::string& out, std::span<const std::uint32_t> numbers) {
    for (auto n : numbers) {
        out += ' ';
        append_number(out, n);
    }
}

void append_search_like(std::string& out, std::string_view word,
                        std::span<const std::uint32_t> numbers,
                        std::optional<std::uint64_t> modseq) {
    out += "* ";
    out += word;
    append_number_list(out, numbers);
    if (modseq && !numbers.empty()) {
        out += " (MODSEQ ";
        append_number(out, *modseq);
        out += ')';
    }
    out += "\r\n";
}

void append_signed(std::string& out, std::int64_t n) {
    if (n < 0) {
        out += '-';
        append_number(out, static_cast<std::uint64_t>(-(n + 1)) + 1);
    } else {
        append_number(out, static_cast<std::uint64_t>(n));
    }
}

// Nodes whose subtree holds a real message; dummy-only subtrees are not written (they would
// give "()"). Post-order without recursion.
std::unordered_set<const ThreadNode*> nonempty_nodes(std::span<const ThreadNode> roots) {
    std::unordered_set<const ThreadNode*> keep;
    std::vector<std::pair<const ThreadNode*, bool>> stack;  // node, children done
    for (const auto& r : roots)
        stack.push_back({&r, false});
    while (!stack.empty()) {
        auto [node, done] = stack.back();
        stack.pop_back();
        if (!done) {
            stack.push_back({node, true});
            for (const auto& c : node->children)
                stack.push_back({&c, false});
            continue;
        }
        bool any = node->message != 0;
        for (const auto& c : node->children)
            any = any || keep.contains(&c);
        if (any)
            keep.insert(node);
    }
    return keep;
}

class ThreadWriter {
  public:
    ThreadWriter(std::string& out, std::unordered_set<const ThreadNode*> keep)
        : out_(out), keep_(std::move(keep)) {}

    void write_root(const ThreadNode& root) {
        if (!keep_.contains(&root))
            return;
        out_ += '(';
        start_chain(root);
        while (!stack_.empty()) {
            Frame& f = stack_.back();
            const ThreadNode* child = next_kept(*f.node, f.next);
            if (!child) {
                stack_.pop_back();
                if (!stack_.empty())
                    out_ += ')';  // closes the "(" opened for the child whose chain this was
                continue;
            }
            out_ += '(';
            if (!start_chain(*child))
                out_ += ')';
        }
        out_ += ')';
    }

  private:
    struct Frame {
        const ThreadNode* node;
        std::size_t next = 0;  // next child to look at
    };

    const ThreadNode* next_kept(const ThreadNode& node, std::size_t& next) const {
        while (next < node.children.size()) {
            const ThreadNode* c = &node.children[next++];
            if (keep_.contains(c))
                return c;
        }
        return nullptr;
    }

    std::size_t kept_children(const ThreadNode& node, const ThreadNode** only) const {
        std::size_t n = 0;
        for (const auto& c : node.children) {
            if (keep_.contains(&c)) {
                *only = &c;
                ++n;
            }
        }
        return n;
    }

    // Writes "a b c" down a chain of single replies; at a branch writes the separating space,
    // pushes a frame and returns true.
    bool start_chain(const ThreadNode& start) {
        const ThreadNode* node = &start;
        bool first = true;
        while (true) {
            if (node->message != 0) {
                if (!first)
                    out_ += ' ';
                first = false;
                append_number(out_, node->message);
            }
            const ThreadNode* only = nullptr;
            std::size_t n = kept_children(*node, &only);
            if (n == 0)
                return false;
            if (n == 1) {
                node = only;
                continue;
            }
            if (!first)
                out_ += ' ';
            stack_.push_back(Frame{node, 0});
            return true;
        }
    }

    std::string& out_;
    std::unordered_set<const ThreadNode*> keep_;
    std::vector<Frame> stack_;
};

void append_namespace_class(std::string& out, std::span<const NamespaceEntry> entries,
                            const SessionMode& mode) {
    if (entries.empty()) {
        append_nil(out);
        return;
    }
    out += '(';
    for (const auto& e : entries) {
        out += '(';
        append_string(out, mailbox_wire_name(e.prefix, mode), mode);
        out += ' ';
        append_delimiter(out, e.delimiter);
        for (const auto& [name, values] : e.extensions) {
            out += ' ';
            append_string(out, name, mode);
            out += " (";
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (i)
                    out += ' ';
                append_string(out, values[i], mode);
            }
            out += ')';
        }
        out += ')';
    }
    out += ')';
}

}  // namespace

// --- status responses -------------------------------------------------------------------------

void append_status_response(std::string& out, const StatusResponse& r, const SessionMode& mode) {
    if (r.tag.empty()) {
        append_untagged(out, r.condition, r.code, r.text, mode);
        return;
    }
    append_tagged(out, r.tag, r.condition, r.code, r.text, mode);
}

void append_tagged(std::string& out, std::string_view tag, ResponseCondition condition,
                   const std::optional<ResponseCode>& code, std::string_view text,
                   const SessionMode& mode) {
    if (condition == ResponseCondition::preauth || condition == ResponseCondition::bye)
        condition = ResponseCondition::ok;
    out += tag;
    out += ' ';
    out += condition_word(condition);
    out += ' ';
    append_resp_text(out, code, text, condition, mode);
    out += "\r\n";
}

void append_untagged(std::string& out, ResponseCondition condition,
                     const std::optional<ResponseCode>& code, std::string_view text,
                     const SessionMode& mode) {
    out += "* ";
    out += condition_word(condition);
    out += ' ';
    append_resp_text(out, code, text, condition, mode);
    out += "\r\n";
}

void append_greeting(std::string& out, bool preauth, const std::optional<ResponseCode>& code,
                     std::string_view text, const SessionMode& mode) {
    append_untagged(out, preauth ? ResponseCondition::preauth : ResponseCondition::ok, code, text,
                    mode);
}

void append_bye(std::string& out, std::string_view text, const SessionMode& mode,
                const std::optional<ResponseCode>& code) {
    append_untagged(out, ResponseCondition::bye, code, text, mode);
}

void append_continuation(std::string& out, std::string_view text, const SessionMode& mode) {
    out += "+ ";
    const std::size_t before = out.size();
    append_text(out, text, mode);
    if (out.find_first_not_of(' ', before) == std::string::npos) {
        out.resize(before);
        out += "Ready";  // IMAP4rev1 resp-text needs text
    }
    out += "\r\n";
}

void append_continuation_base64(std::string& out, std::string_view challenge) {
    out += "+ ";
    out += challenge;
    out += "\r\n";
}

// --- server and mailbox status ----------------------------------------------------------------

void append_capability(std::string& out, std::span<const std::string> capabilities) {
    out += "* ";
    out += codes::capability(capabilities).text;
    out += "\r\n";
}

void append_enabled(std::string& out, std::span<const std::string> capabilities) {
    out += "* ENABLED";
    for (const auto& c : capabilities) {
        if (!is_atom(c))
            continue;
        out += ' ';
        out += c;
    }
    out += "\r\n";
}

void append_flags(std::string& out, std::span<const std::string> flags) {
    out += "* FLAGS ";
    append_flag_list(out, flags);
    out += "\r\n";
}

void append_exists(std::string& out, std::uint32_t count) {
    untagged_number(out, count, "EXISTS");
}

void append_recent(std::string& out, std::uint32_t count) {
    untagged_number(out, count, "RECENT");
}

void append_expunge(std::string& out, std::uint32_t seq) {
    untagged_number(out, seq, "EXPUNGE");
}

void append_vanished(std::string& out, std::span<const NumberRange> uids, bool earlier) {
    std::string set;
    append_range_set(set, uids);
    if (set.empty())
        return;
    out += earlier ? "* VANISHED (EARLIER) " : "* VANISHED ";
    out += set;
    out += "\r\n";
}

void append_vanished(std::string& out, std::span<const std::uint32_t> uids, bool earlier) {
    std::string set;
    append_number_set(set, uids);
    if (set.empty())
        return;
    out += earlier ? "* VANISHED (EARLIER) " : "* VANISHED ";
    out += set;
    out += "\r\n";
}

void append_list(std::string& out, const ListResponse& entry, const SessionMode& mode) {
    append_list_like(out, "LIST", entry, mode);
}

void append_lsub(std::string& out, const ListResponse& entry, const SessionMode& mode) {
    append_list_like(out, "LSUB", entry, mode);
}

void append_mailbox_status(std::string& out, std::string_view mailbox, const MailboxStatus& s,
                           const SessionMode& mode) {
    out += "* STATUS ";
    append_mailbox(out, mailbox, mode);
    out += " (";
    bool first = true;
    auto item = [&](std::string_view name) {
        if (!first)
            out += ' ';
        first = false;
        out += name;
        out += ' ';
    };
    auto number = [&](std::string_view name, const auto& value) {
        if (!value)
            return;
        item(name);
        append_number(out, *value);
    };
    number("MESSAGES", s.messages);
    number("RECENT", s.recent);
    number("UIDNEXT", s.uid_next);
    number("UIDVALIDITY", s.uid_validity);
    number("UNSEEN", s.unseen);
    number("DELETED", s.deleted);
    number("SIZE", s.size);
    number("HIGHESTMODSEQ", s.highest_modseq);
    if (s.has_append_limit) {
        item("APPENDLIMIT");
        if (s.append_limit)
            append_number(out, *s.append_limit);
        else
            append_nil(out);
    }
    if (s.mailbox_id && is_atom(*s.mailbox_id)) {
        item("MAILBOXID");
        out += '(';
        out += *s.mailbox_id;
        out += ')';
    }
    number("DELETED-STORAGE", s.deleted_storage);
    out += ")\r\n";
}

// --- search results ---------------------------------------------------------------------------

void append_search(std::string& out, std::span<const std::uint32_t> numbers,
                   std::optional<std::uint64_t> modseq) {
    append_search_like(out, "SEARCH", numbers, modseq);
}

void append_sort(std::string& out, std::span<const std::uint32_t> numbers,
                 std::optional<std::uint64_t> modseq) {
    append_search_like(out, "SORT", numbers, modseq);
}

void append_esearch(std::string& out, const EsearchResponse& r, const SessionMode& mode) {
    out += "* ESEARCH";
    if (r.tag) {
        out += " (TAG ";
        append_string(out, *r.tag, mode);
        out += ')';
    }
    if (r.uid)
        out += " UID";
    if (r.min) {
        out += " MIN ";
        append_number(out, *r.min);
    }
    if (r.max) {
        out += " MAX ";
        append_number(out, *r.max);
    }
    if (!r.all.empty()) {
        out += " ALL ";
        if (r.all_in_given_order)
            append_ordered_number_set(out, r.all);
        else
            append_number_set(out, r.all);
    }
    if (r.count) {
        out += " COUNT ";
        append_number(out, *r.count);
    }
    if (r.modseq) {
        out += " MODSEQ ";
        append_number(out, *r.modseq);
    }
    if (r.partial) {
        out += " PARTIAL (";
        append_signed(out, r.partial->first);
        out += ':';
        append_signed(out, r.partial->last);
        out += ' ';
        if (r.partial->numbers.empty())
            append_nil(out);
        else
            append_ordered_number_set(out, r.partial->numbers);
        out += ')';
    }
    // Consecutive updates of one kind share one ADDTO/REMOVETO item (RFC 5267 §4.3).
    for (std::size_t i = 0; i < r.updates.size();) {
        const bool add = r.updates[i].add;
        out += add ? " ADDTO (" : " REMOVETO (";
        bool first = true;
        for (; i < r.updates.size() && r.updates[i].add == add; ++i) {
            if (!first)
                out += ' ';
            first = false;
            append_number(out, r.updates[i].position);
            out += ' ';
            append_ordered_number_set(out, r.updates[i].numbers);
        }
        out += ')';
    }
    out += "\r\n";
}

void append_thread(std::string& out, std::span<const ThreadNode> roots) {
    out += "* THREAD";
    if (!roots.empty()) {
        const std::size_t mark = out.size();
        out += ' ';
        ThreadWriter writer(out, nonempty_nodes(roots));
        for (const auto& r : roots)
            writer.write_root(r);
        if (out.size() == mark + 1)
            out.resize(mark);  // only dummies: no thread-list at all
    }
    out += "\r\n";
}

// --- namespaces, quota, ACL, metadata, ID -----------------------------------------------------

void append_namespace(std::string& out, std::span<const NamespaceEntry> personal,
                      std::span<const NamespaceEntry> other_users,
                      std::span<const NamespaceEntry> shared, const SessionMode& mode) {
    out += "* NAMESPACE ";
    append_namespace_class(out, personal, mode);
    out += ' ';
    append_namespace_class(out, other_users, mode);
    out += ' ';
    append_namespace_class(out, shared, mode);
    out += "\r\n";
}

void append_quota(std::string& out, std::string_view root, std::span<const QuotaResource> resources,
                  const SessionMode& mode) {
    out += "* QUOTA ";
    append_astring(out, root, mode);
    out += " (";
    bool first = true;
    for (const auto& r : resources) {
        if (!is_atom(r.name))
            continue;
        if (!first)
            out += ' ';
        first = false;
        out += r.name;
        out += ' ';
        append_number(out, r.usage);
        out += ' ';
        append_number(out, r.limit);
    }
    out += ")\r\n";
}

void append_quota_root(std::string& out, std::string_view mailbox,
                       std::span<const std::string> roots, const SessionMode& mode) {
    out += "* QUOTAROOT ";
    append_mailbox(out, mailbox, mode);
    for (const auto& r : roots) {
        out += ' ';
        append_astring(out, r, mode);
    }
    out += "\r\n";
}

void append_acl(std::string& out, std::string_view mailbox, std::span<const AclEntry> entries,
                const SessionMode& mode) {
    out += "* ACL ";
    append_mailbox(out, mailbox, mode);
    for (const auto& e : entries) {
        out += ' ';
        append_astring(out, e.identifier, mode);
        out += ' ';
        append_astring(out, e.rights, mode);
    }
    out += "\r\n";
}

void append_list_rights(std::string& out, std::string_view mailbox, std::string_view identifier,
                        std::string_view required, std::span<const std::string> optional_groups,
                        const SessionMode& mode) {
    out += "* LISTRIGHTS ";
    append_mailbox(out, mailbox, mode);
    out += ' ';
    append_astring(out, identifier, mode);
    out += ' ';
    append_astring(out, required, mode);
    for (const auto& g : optional_groups) {
        out += ' ';
        append_astring(out, g, mode);
    }
    out += "\r\n";
}

void append_my_rights(std::string& out, std::string_view mailbox, std::string_view rights,
                      const SessionMode& mode) {
    out += "* MYRIGHTS ";
    append_mailbox(out, mailbox, mode);
    out += ' ';
    append_astring(out, rights, mode);
    out += "\r\n";
}

void append_metadata(std::string& out, std::string_view mailbox,
                     std::span<const MetadataValue> values, const SessionMode& mode) {
    out += "* METADATA ";
    append_mailbox(out, mailbox, mode);
    out += " (";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i)
            out += ' ';
        append_astring(out, values[i].entry, mode);
        out += ' ';
        if (!values[i].value)
            append_nil(out);
        else if (contains_nul(*values[i].value))
            append_literal(out, *values[i].value, true);
        else
            append_string(out, *values[i].value, mode);
    }
    out += ")\r\n";
}

void append_metadata_changed(std::string& out, std::string_view mailbox,
                             std::span<const std::string> entries, const SessionMode& mode) {
    out += "* METADATA ";
    append_mailbox(out, mailbox, mode);
    for (const auto& e : entries) {
        out += ' ';
        append_astring(out, e, mode);
    }
    out += "\r\n";
}

void append_id(std::string& out, std::span<const IdField> fields, const SessionMode& mode) {
    out += "* ID ";
    if (fields.empty()) {
        append_nil(out);
        out += "\r\n";
        return;
    }
    out += '(';
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i)
            out += ' ';
        append_string(out, fields[i].key, mode);
        out += ' ';
        append_nstring(out, fields[i].value, mode);
    }
    out += ")\r\n";
}

}  // namespace postern::proto::imap
