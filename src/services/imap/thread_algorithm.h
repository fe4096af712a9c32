// THREAD algorithms of RFC 5256 §3: ORDEREDSUBJECT and REFERENCES (the §2.2 steps 1-6), over
// plain per-message data. Pure, iterative (no recursion whose depth follows the input),
// thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace postern::services::imap {

// What threading needs of one message. The span handed to the algorithms is in mailbox order
// (sequence order): ties on the sent date are broken by that order (RFC 5256 §2.2 step 6).
struct ThreadMessage {
    std::uint32_t number = 0;  // what the response names: sequence number or UID (never 0)
    std::int64_t date = 0;     // sent date; the internal date when Date is missing or unusable
    std::string base_subject;  // RFC 5256 §2.1 (mime::base_subject)
    bool reply = false;        // the subject had a subj-refwd or "(fwd)" (RFC 5256 §2.1)
    std::string message_id;    // without angle brackets; empty when missing
    // References ids, oldest first; In-Reply-To's first id when References is absent.
    std::vector<std::string> references;
};

// A forest of threads. Nodes name their children by index, so a deep thread costs no stack to
// build, copy or destroy.
struct ThreadTree {
    struct Node {
        std::uint32_t message = 0;            // ThreadMessage::number; 0 for a dummy parent
        std::vector<std::uint32_t> children;  // indexes into `nodes`, in thread order
    };
    std::vector<Node> nodes;
    std::vector<std::uint32_t> roots;  // in thread order
};

// RFC 5256 §3 ORDEREDSUBJECT: messages grouped by base subject (compared as i;ascii-casemap),
// each group's earliest message the parent of the others, groups ordered by that message.
ThreadTree thread_ordered_subject(std::span<const ThreadMessage> messages);

// RFC 5256 §3 REFERENCES. Duplicate or missing Message-IDs count as unique; links that would make
// a loop are not made. Cost: O(ids) hashing plus, per link into a message that already has
// replies, a walk up the would-be parent's ancestors.
ThreadTree thread_references(std::span<const ThreadMessage> messages);

// The untagged "* THREAD ..." line for `tree` (RFC 5256 §4), CRLF included.
std::string thread_response(const ThreadTree& tree);

}  // namespace postern::services::imap
