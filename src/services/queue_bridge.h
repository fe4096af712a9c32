// Coroutine wrapper for committing a message to the queue: the session resumes on its own
// strand once the queue says the message is durable (or failed).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "queue/message_writer.h"

namespace postern::services {

boost::asio::awaitable<Result<queue::QueueId>> commit_message(queue::MessageWriter& writer,
                                                              queue::Envelope envelope);

}  // namespace postern::services
