// One message's FETCH response (RFC 9051 §7.5.2 msg-att; RFC 3516 §4.2 BINARY, BINARY.SIZE;
// RFC 7162 §3.1.4 MODSEQ; RFC 8474 §5 EMAILID, THREADID; RFC 8514 SAVEDATE; RFC 8970 PREVIEW)
// from the message's metadata, cached structure and, when an item needs it, the message itself.
#include "services/imap/fetch/render.h"

#include <algorithm>

#include "mime/parser.h"
#include "mime/structure_codec.h"
#include "proto/imap/fetch_response.h"
#include "services/imap/fetch/body_sections.h"
#include "services/imap/fetch/preview.h"
#include "services/imap/selected.h"

namespace postern::services::imap::fetch {

using wire::FetchAttr;

FetchPlan make_plan(const wire::Fetch& fetch, bool uid) {
    FetchPlan plan;
    plan.uid = uid;
    for (const auto& item : fetch.items) {
        if (std::find(plan.items.begin(), plan.items.end(), item) != plan.items.end())
            continue;
        plan.items.push_back(item);
        const bool parts = !item.section.part.empty();
        switch (item.attr) {
            case FetchAttr::envelope:
            case FetchAttr::body:
            case FetchAttr::bodystructure:
                plan.need_cached = true;
                break;
            case FetchAttr::rfc822:
            case FetchAttr::rfc822_text:
                plan.may_read_body = true;
                plan.sets_seen = true;
                break;
            case FetchAttr::rfc822_header:
                plan.may_read_body = true;
                break;
            case FetchAttr::body_section:
            case FetchAttr::binary:
                plan.may_read_body = true;
                plan.need_cached = plan.need_cached || parts;
                plan.sets_seen = plan.sets_seen || !item.peek;
                break;
            case FetchAttr::binary_size:
                plan.may_read_body = true;
                plan.need_cached = plan.need_cached || parts;
                break;
            case FetchAttr::preview:
                plan.may_read_body = true;
                plan.need_cached = true;
                break;
            case FetchAttr::modseq:
                plan.asks_modseq = true;
                break;
            case FetchAttr::flags:
                plan.asks_flags = true;
                break;
            case FetchAttr::internaldate:
            case FetchAttr::rfc822_size:
            case FetchAttr::uid:
            case FetchAttr::emailid:
            case FetchAttr::threadid:
            case FetchAttr::savedate:
                break;
        }
    }
    plan.modseq = plan.asks_modseq || fetch.changed_since.has_value();
    return plan;
}

void FetchOutput::append(FetchOutput&& other) {
    for (auto& p : other.pieces)
        pieces.push_back(std::move(p));
    for (auto& h : other.held)
        held.push_back(std::move(h));
    bytes += other.bytes;
    other = {};
}

namespace {

class MessageRenderer {
  public:
    MessageRenderer(const FetchPlan& plan, const MessageInput& input, const wire::SessionMode& mode,
                    const RawLoader& load_raw)
        : plan_(plan),
          in_(input),
          meta_(*input.meta),
          load_raw_(load_raw),
          w_(text_, input.seq, mode) {}

    RenderResult run(FetchOutput& out) {
        const bool uid_asked = std::any_of(plan_.items.begin(), plan_.items.end(),
                                           [](const auto& i) { return i.attr == FetchAttr::uid; });
        // RFC 7162 §3.1: with CONDSTORE on, a FETCH that sets \Seen carries UID and MODSEQ.
        const bool condstore_seen = in_.seen_changed && in_.condstore;
        if ((plan_.uid || condstore_seen) && !uid_asked)
            w_.uid(meta_.uid);
        if ((plan_.modseq || condstore_seen) && !plan_.asks_modseq)
            w_.modseq(meta_.modseq);
        for (const auto& item : plan_.items) {
            write_item(item);
            if (result_.status != RenderStatus::ok)
                return result_;
        }
        if (in_.seen_changed && !plan_.asks_flags)
            flags();
        w_.finish();
        piece(std::move(text_));
        out.append(std::move(local_));
        return result_;
    }

  private:
    void piece(std::string text) {
        local_.bytes += text.size();
        local_.pieces.push_back({std::move(text), {}});
    }

    const std::string* raw() {
        if (!raw_tried_) {
            raw_tried_ = true;
            bool gone = false;
            raw_ = load_raw_(gone);
            if (!raw_)
                result_.status = gone ? RenderStatus::gone : RenderStatus::failed;
        }
        return raw_;
    }

    // The decoded BODYSTRUCTURE blob; when it is unusable (damaged, or of a format this build
    // does not know), the message is parsed again.
    const mime::MessageStructure* structure() {
        if (!structure_tried_) {
            structure_tried_ = true;
            if (auto decoded = mime::decode_structure(meta_.bodystructure)) {
                structure_ = std::move(*decoded);
            } else if (const auto* r = raw()) {
                structure_ = mime::build_structure(mime::parse_message(*r));
            }
        }
        return structure_ ? &*structure_ : nullptr;
    }

    std::uint64_t header_size() {
        if (structure_ && !structure_->parts.empty())
            return structure_->parts.front().body_start;
        return meta_.header_size;
    }

    void fail() {
        if (result_.status == RenderStatus::ok)
            result_.status = RenderStatus::failed;
    }

    void flags() {
        auto names = flag_names(meta_.flags.system, meta_.flags.keywords, in_.recent);
        w_.flags(names);
    }

    // Ends the text so far and queues `data` to be written from where it lies.
    void direct(std::string_view data) {
        piece(std::move(text_));
        text_.clear();
        local_.bytes += data.size();
        local_.pieces.push_back({{}, data});
    }

    // `stable`: `data` outlives the output (it lies in the raw message or in held storage).
    void body_literal(std::string_view spec, std::optional<std::uint32_t> origin,
                      std::string_view data, bool stable) {
        if (stable && data.size() >= kDirectLiteral && !wire::contains_nul(data)) {
            w_.begin_body_section(spec, origin, data.size());
            direct(data);
            w_.literal_data_sent(data.size());
            return;
        }
        w_.body_section(spec, origin, data);
    }

    void body_section(const wire::FetchItem& item) {
        const mime::MessageStructure* s = item.section.part.empty() ? nullptr : structure();
        const std::string* r = raw();
        if (!r)
            return;
        auto spec = wire::section_spec(item.section);
        std::optional<std::uint32_t> origin;
        if (item.partial)
            origin = item.partial->offset;
        auto data = section_data(*r, header_size(), s, item.section);
        if (!data) {
            w_.body_section(spec, origin, std::nullopt);
            return;
        }
        body_literal(spec, origin, apply_partial(data->data(), item.partial), !data->owned());
    }

    void binary(const wire::FetchItem& item) {
        const mime::MessageStructure* s = item.section.part.empty() ? nullptr : structure();
        const std::string* r = raw();
        if (!r)
            return;
        auto part = wire::section_part(item.section.part);
        std::optional<std::uint32_t> origin;
        if (item.partial)
            origin = item.partial->offset;
        auto content = BinaryContent::of(*r, s, item.section.part);
        switch (content.status()) {
            case BinaryContent::Status::unknown_cte:
                result_.unknown_cte = true;
                return;
            case BinaryContent::Status::missing:
                w_.binary_section(part, origin, std::nullopt);
                return;
            case BinaryContent::Status::ok:
                break;
        }
        std::string_view data = apply_partial(content.data(), item.partial);
        if (data.size() < kDirectLiteral) {
            w_.binary_section(part, origin, data);
            return;
        }
        if (content.decoded()) {
            // Decoded bytes: keep them with the output instead of copying them into it.
            local_.held.push_back(std::make_unique<std::string>(content.take()));
            data = apply_partial(*local_.held.back(), item.partial);
        }
        w_.begin_binary_section(part, origin, data.size(), wire::contains_nul(data));
        direct(data);
        w_.literal_data_sent(data.size());
    }

    void binary_size(const wire::FetchItem& item) {
        auto part = wire::section_part(item.section.part);
        if (item.section.part.empty()) {
            w_.binary_size(part, meta_.size);
            return;
        }
        const auto* s = structure();
        auto index = s ? find_part(*s, item.section.part) : std::nullopt;
        if (!index)
            return;  // no such part: BINARY.SIZE has no NIL, so the item is left out
        const auto& p = s->parts[*index];
        switch (binary_decoding(p)) {
            case BinaryDecoding::as_stored:
                w_.binary_size(part, p.body_end >= p.body_start ? p.body_end - p.body_start : 0);
                return;
            case BinaryDecoding::unknown:
                result_.unknown_cte = true;
                return;
            case BinaryDecoding::decode:
                break;
        }
        const std::string* r = raw();
        if (!r)
            return;
        auto content = BinaryContent::of(*r, s, item.section.part);
        if (content.status() == BinaryContent::Status::ok)
            w_.binary_size(part, content.data().size());
    }

    void envelope() {
        if (structure_ && !structure_->envelopes.empty()) {
            w_.envelope(structure_->envelopes.front());
            return;
        }
        if (w_.envelope_blob(meta_.envelope))
            return;
        const auto* s = structure();
        if (s && !s->envelopes.empty())
            w_.envelope(s->envelopes.front());
        else
            fail();
    }

    void preview() {
        const auto* s = structure();
        if (!s) {
            fail();
            return;
        }
        if (!preview_part(*s)) {
            w_.preview(std::string_view());
            return;
        }
        const std::string* r = raw();
        if (!r)
            return;
        auto text = make_preview(*r, *s);
        w_.preview(std::string_view(text));
    }

    void write_item(const wire::FetchItem& item) {
        switch (item.attr) {
            case FetchAttr::envelope:
                envelope();
                break;
            case FetchAttr::flags:
                flags();
                break;
            case FetchAttr::internaldate:
                w_.internal_date(meta_.internal_date, 0);
                break;
            case FetchAttr::rfc822:
                if (const auto* r = raw())
                    w_.rfc822(*r);
                break;
            case FetchAttr::rfc822_header:
                if (const auto* r = raw())
                    w_.rfc822_header(std::string_view(*r).substr(
                        0, std::min<std::uint64_t>(header_size(), r->size())));
                break;
            case FetchAttr::rfc822_size:
                w_.rfc822_size(meta_.size);
                break;
            case FetchAttr::rfc822_text:
                if (const auto* r = raw())
                    w_.rfc822_text(std::string_view(*r).substr(
                        std::min<std::uint64_t>(header_size(), r->size())));
                break;
            case FetchAttr::body:
            case FetchAttr::bodystructure:
                if (const auto* s = structure())
                    w_.body_structure(*s, item.attr == FetchAttr::bodystructure);
                else
                    fail();
                break;
            case FetchAttr::uid:
                w_.uid(meta_.uid);
                break;
            case FetchAttr::body_section:
                body_section(item);
                break;
            case FetchAttr::binary:
                binary(item);
                break;
            case FetchAttr::binary_size:
                binary_size(item);
                break;
            case FetchAttr::modseq:
                w_.modseq(meta_.modseq);
                break;
            case FetchAttr::emailid:
                w_.email_id(meta_.email_id);
                break;
            case FetchAttr::threadid: {
                // RFC 8474 §5.2: "T" + the thread's GUID; NIL for a message without one.
                std::optional<std::string> id;
                if (!meta_.thread_id.empty())
                    id = "T" + meta_.thread_id;
                w_.thread_id(id);
                break;
            }
            case FetchAttr::savedate:
                w_.save_date(meta_.save_date ? std::optional(meta_.save_date) : std::nullopt, 0);
                break;
            case FetchAttr::preview:
                preview();
                break;
        }
    }

    const FetchPlan& plan_;
    const MessageInput& in_;
    const store::MessageMeta& meta_;
    const RawLoader& load_raw_;
    std::string text_;
    wire::FetchResponseWriter w_;
    FetchOutput local_;
    RenderResult result_;
    const std::string* raw_ = nullptr;
    bool raw_tried_ = false;
    std::optional<mime::MessageStructure> structure_;
    bool structure_tried_ = false;
};

}  // namespace

RenderResult render_message(const FetchPlan& plan, const MessageInput& input,
                            const wire::SessionMode& mode, const RawLoader& load_raw,
                            FetchOutput& out) {
    MessageRenderer renderer(plan, input, mode, load_raw);
    return renderer.run(out);
}

}  // namespace postern::services::imap::fetch
