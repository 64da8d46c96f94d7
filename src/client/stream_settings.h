// What the client asks of the server's frame stream when its video channel opens: the codec (from ANARCHY_CODEC
// or the configuration file; `auto`, the default, decides from the link), bitrate, quality, hardware encoding.
#pragma once

#include <string>

#include "protocol/frame_messages.h"
#include "transport/connection.h"

namespace anarchy::client {

struct StreamChoice {
    protocol::StreamSettings settings;
    /// `auto` chose lossless over a link: a stream whose frames later queue there may move to a video codec.
    bool may_switch_to_video = false;
};

/// Settings from the environment and configuration. With `--codec auto`: lz4-tiles when the server is on this
/// machine (loopback; ANARCHY_LINK_PROBE=1 probes it anyway), else a probe of the link over `conn` (before the
/// channel's threads start) picks lz4-tiles at ANARCHY_LOSSLESS_GBPS (2) Gbit/s or more, else H.264.
StreamChoice choose_stream_settings(transport::Connection& conn, const std::string& address);

/// The video codec a lossless `auto` stream moves to, or nullptr where this client decodes none.
const char* fallback_video_codec();

}  // namespace anarchy::client
