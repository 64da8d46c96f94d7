#include "video/codec_status.h"

namespace anarchy::video {

const char* to_string(CodecError error) {
    switch (error) {
        case CodecError::None: return "none";
        case CodecError::InvalidArgument: return "invalid argument";
        case CodecError::CorruptData: return "corrupt data";
        case CodecError::MissingReference: return "missing reference";
        case CodecError::Backend: return "backend failure";
    }
    return "unknown";
}

}  // namespace anarchy::video
