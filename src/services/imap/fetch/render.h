// What one FETCH asks for (a plan made once per command) and the "* n FETCH (...)" response of
// one message (RFC 9051 §6.4.5, §7.5.2; RFC 3516 BINARY; RFC 7162 MODSEQ; RFC 8474 EMAILID and
// THREADID; RFC 8514 SAVEDATE; RFC 8970 PREVIEW). No I/O of its own: the raw message comes
// through a loader, so this runs on the blocking pool and is testable without a store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/imap/command.h"
#include "proto/imap/response_writer.h"
#include "store/api/types.h"

namespace postern::services::imap::fetch {

namespace wire = proto::imap;

struct FetchPlan {
    std::vector<wire::FetchItem> items;  // as asked, duplicates removed, in order
    bool uid = false;                    // UID FETCH: UID in every response (RFC 9051 §6.4.9)
    bool modseq = false;                 // MODSEQ in every response (asked, or CHANGEDSINCE)
    bool need_cached = false;            // the cached ENVELOPE/BODYSTRUCTURE blobs are used
    bool may_read_body = false;          // some item may need the message itself
    bool sets_seen = false;              // a non-PEEK body item: \Seen is set (RFC 9051 §6.4.5)
    bool asks_modseq = false;            // MODSEQ was asked for (enables CONDSTORE, RFC 7162 §3.1)
    bool asks_flags = false;
};
FetchPlan make_plan(const wire::Fetch& fetch, bool uid);

// One message to answer for.
struct MessageInput {
    const store::MessageMeta* meta = nullptr;
    std::uint32_t seq = 0;
    bool recent = false;        // \Recent in this session
    bool seen_changed = false;  // this FETCH set \Seen: FLAGS (and with CONDSTORE, MODSEQ) follow
    bool condstore = false;     // the session enabled CONDSTORE
};

// The response as pieces to write in order: text, or a view of bytes held elsewhere (a raw
// message, or FetchOutput::held) that is written straight to the connection, never copied.
struct FetchPiece {
    std::string text;
    std::string_view ref;  // written instead of `text` when non-empty
};

struct FetchOutput {
    std::vector<FetchPiece> pieces;
    std::vector<std::unique_ptr<std::string>> held;  // decoded data that a piece refers to
    std::uint64_t bytes = 0;                         // total size of the pieces
    void append(FetchOutput&& other);
};

// What rendering one message found.
enum class RenderStatus : std::uint8_t {
    ok,
    gone,    // the loader found the message expunged: nothing was produced
    failed,  // the loader failed otherwise, or the cached data is unusable
};
struct RenderResult {
    RenderStatus status = RenderStatus::ok;
    bool unknown_cte = false;  // a BINARY item was left out (RFC 3516 NO [UNKNOWN-CTE])
};

// Loads the raw message (once; it stays valid while the output is written). nullptr when it
// cannot; `gone` then says whether it was expunged.
using RawLoader = std::function<const std::string*(bool& gone)>;

// Literals at least this large are written from where the data lies rather than copied.
inline constexpr std::size_t kDirectLiteral = 64 * 1024;

// Appends the FETCH response of one message to `out`. On any status but ok, `out` is unchanged.
RenderResult render_message(const FetchPlan& plan, const MessageInput& input,
                            const wire::SessionMode& mode, const RawLoader& load_raw,
                            FetchOutput& out);

}  // namespace postern::services::imap::fetch
