// The queue's state machine: the full table of recipient transitions, the derived message
// state, and the message transitions that may and may not happen.
#include "queue/state_machine.h"

#include <set>

#include <gtest/gtest.h>

namespace postern::queue {
namespace {

using RS = RecipientState;
using MS = MessageState;

TEST(StateMachine, RecipientTransitionTable) {
    // Every allowed (from, to) pair, besides staying put; everything else must be refused.
    const std::set<std::pair<RS, RS>> allowed = {
        {RS::pending, RS::queued},   {RS::pending, RS::rejected},  {RS::pending, RS::discarded},
        {RS::pending, RS::expanded}, {RS::pending, RS::failed},    {RS::pending, RS::removed},
        {RS::queued, RS::sending},   {RS::queued, RS::deferred},   {RS::queued, RS::failed},
        {RS::queued, RS::removed},   {RS::sending, RS::delivered}, {RS::sending, RS::deferred},
        {RS::sending, RS::failed},   {RS::sending, RS::queued},    {RS::sending, RS::removed},
        {RS::deferred, RS::sending}, {RS::deferred, RS::queued},   {RS::deferred, RS::failed},
        {RS::deferred, RS::removed},
    };
    for (int f = 0; f <= static_cast<int>(RS::removed); ++f)
        for (int t = 0; t <= static_cast<int>(RS::removed); ++t) {
            auto from = static_cast<RS>(f), to = static_cast<RS>(t);
            bool expect = from == to || allowed.count({from, to});
            EXPECT_EQ(recipient_transition_allowed(from, to), expect)
                << recipient_state_name(from) << " -> " << recipient_state_name(to);
        }
}

TEST(StateMachine, FinalStatesHaveNoWayOut) {
    for (int f = 0; f < static_cast<int>(kMessageStateCount); ++f) {
        auto from = static_cast<MS>(f);
        if (!is_final(from))
            continue;
        for (int t = 0; t < static_cast<int>(kMessageStateCount); ++t) {
            if (t != f) {
                EXPECT_FALSE(message_transition_allowed(from, static_cast<MS>(t)))
                    << message_state_name(from);
            }
        }
    }
    for (auto s :
         {RS::delivered, RS::failed, RS::rejected, RS::discarded, RS::expanded, RS::removed})
        EXPECT_TRUE(is_final(s));
    for (auto s : {RS::pending, RS::queued, RS::sending, RS::deferred})
        EXPECT_FALSE(is_final(s));
}

TEST(StateMachine, MessageTransitionsSpotChecks) {
    EXPECT_TRUE(message_transition_allowed(MS::incoming, MS::received));
    EXPECT_TRUE(message_transition_allowed(MS::received, MS::processing));
    EXPECT_TRUE(message_transition_allowed(MS::processing, MS::processed));
    EXPECT_TRUE(message_transition_allowed(MS::processing, MS::filter_reject));
    EXPECT_TRUE(message_transition_allowed(MS::processed, MS::sending));
    EXPECT_TRUE(message_transition_allowed(MS::sending, MS::sent));
    EXPECT_TRUE(message_transition_allowed(MS::sending, MS::send_failure));
    EXPECT_TRUE(message_transition_allowed(MS::send_failure, MS::sending));
    EXPECT_TRUE(message_transition_allowed(MS::send_failure, MS::relay_error));
    EXPECT_TRUE(message_transition_allowed(MS::held, MS::received));
    EXPECT_FALSE(message_transition_allowed(MS::incoming, MS::sent));
    EXPECT_FALSE(message_transition_allowed(MS::received, MS::sent));
    EXPECT_FALSE(message_transition_allowed(MS::received, MS::sending));
    EXPECT_FALSE(message_transition_allowed(MS::processed, MS::processing));
    EXPECT_FALSE(message_transition_allowed(MS::send_failure, MS::sent));
    for (int i = 0; i < static_cast<int>(kMessageStateCount); ++i) {
        auto s = static_cast<MS>(i);
        EXPECT_EQ(parse_message_state(message_state_name(s)), s);
    }
    EXPECT_FALSE(parse_message_state("bogus"));
}

RecipientRecord rcpt(RS s, Lane lane = Lane::remote) {
    RecipientRecord r;
    r.address = "x@example.org";
    r.state = s;
    r.lane = lane;
    return r;
}

TEST(StateMachine, DerivedMessageState) {
    MessageFacts f;
    std::vector<RecipientRecord> rs = {rcpt(RS::pending)};
    EXPECT_EQ(derive_state(f, rs), MS::received);
    f.leased = true;
    EXPECT_EQ(derive_state(f, rs), MS::processing);
    f.held = true;
    EXPECT_EQ(derive_state(f, rs), MS::held);
    f = {};
    f.writing = true;
    EXPECT_EQ(derive_state(f, rs), MS::incoming);

    f = {};
    f.stage = Stage::processed;
    rs = {rcpt(RS::queued), rcpt(RS::delivered)};
    EXPECT_EQ(derive_state(f, rs), MS::processed);
    rs = {rcpt(RS::deferred), rcpt(RS::queued)};
    EXPECT_EQ(derive_state(f, rs), MS::send_failure);
    rs = {rcpt(RS::deferred), rcpt(RS::sending)};
    EXPECT_EQ(derive_state(f, rs), MS::sending);
    f.io_error = true;
    EXPECT_EQ(derive_state(f, rs), MS::io_error);
    f.io_error = false;

    rs = {rcpt(RS::delivered), rcpt(RS::discarded)};
    EXPECT_EQ(derive_state(f, rs), MS::sent);
    rs = {rcpt(RS::discarded)};
    EXPECT_EQ(derive_state(f, rs), MS::filter_discard);
    rs = {rcpt(RS::delivered), rcpt(RS::rejected)};
    EXPECT_EQ(derive_state(f, rs), MS::filter_reject);
    rs = {rcpt(RS::failed, Lane::local), rcpt(RS::rejected)};
    EXPECT_EQ(derive_state(f, rs), MS::local_error);
    rs = {rcpt(RS::failed, Lane::local), rcpt(RS::failed, Lane::remote)};
    EXPECT_EQ(derive_state(f, rs), MS::relay_error);
    rs = {rcpt(RS::removed), rcpt(RS::failed)};
    EXPECT_EQ(derive_state(f, rs), MS::removed);
    rs = {rcpt(RS::expanded), rcpt(RS::delivered)};
    EXPECT_EQ(derive_state(f, rs), MS::sent);
    f.notice_failed = true;
    EXPECT_EQ(derive_state(f, rs), MS::cleanup_error);
}

}  // namespace
}  // namespace postern::queue
