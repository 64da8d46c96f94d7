// The result every encode, decode and creation call returns: success, or a category and a sentence saying what
// went wrong. Callers must look at it; a decoder that reports CorruptData or MissingReference wants a key frame.
#pragma once

#include <string>
#include <utility>

namespace anarchy::video {

/// Why a codec call failed.
enum class CodecError {
    None,
    InvalidArgument,   ///< the caller passed something no valid caller passes (size mismatch, null planes)
    CorruptData,       ///< the packet is garbage, truncated, or decodes to a damaged picture
    MissingReference,  ///< a delta or predicted frame arrived without the frame it depends on
    Backend,           ///< the codec library failed on valid input
};

/// Name of an error category, for messages.
const char* to_string(CodecError error);

/// Success, or an error category with its explanation.
class [[nodiscard]] CodecStatus {
public:
    CodecStatus() = default;
    static CodecStatus success() { return {}; }
    static CodecStatus failure(CodecError error, std::string message) {
        CodecStatus s;
        s.error_ = error == CodecError::None ? CodecError::Backend : error;
        s.message_ = std::move(message);
        return s;
    }

    bool ok() const { return error_ == CodecError::None; }
    explicit operator bool() const { return ok(); }
    CodecError error() const { return error_; }
    /// Empty on success.
    const std::string& message() const { return message_; }

private:
    CodecError error_ = CodecError::None;
    std::string message_;
};

/// A CorruptData failure: input no valid encoder produces.
inline CodecStatus corrupt(std::string why) { return CodecStatus::failure(CodecError::CorruptData, std::move(why)); }

}  // namespace anarchy::video
