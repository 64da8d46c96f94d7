// NV12 to packed BGRA without libswscale, for decoders that hand out NV12 where FFmpeg is not there (the Windows
// client's Media Foundation decoder). Each chroma sample covers its 2x2 block of pixels, as libswscale's unscaled
// YUV->RGB path (what YuvToBgra uses on Linux) does, so both clients show the same picture to within a unit or two
// of rounding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace anarchy::video {

class TaskPool;

/// The YUV->RGB matrix of a picture.
enum class YuvMatrix { Bt601, Bt709 };

/// An NV12 picture in caller memory: a Y plane and an interleaved U,V plane of half the height.
struct Nv12Planes {
    const uint8_t* y = nullptr;
    size_t y_stride = 0;
    const uint8_t* uv = nullptr;
    size_t uv_stride = 0;
};

/// Converts NV12 pictures to BGRA (A = 255); bands of rows go to a pool of threads for large pictures.
class Nv12ToBgra {
public:
    /// threads: 0 for default_codec_threads(), 1 for the caller's thread only.
    explicit Nv12ToBgra(uint32_t threads = 0);
    ~Nv12ToBgra();
    Nv12ToBgra(const Nv12ToBgra&) = delete;
    Nv12ToBgra& operator=(const Nv12ToBgra&) = delete;

    /// The top-left width x height of src (whose planes hold at least that, rounded up to even) into dst, rows
    /// dst_stride bytes apart.
    void convert(const Nv12Planes& src, uint32_t width, uint32_t height, YuvMatrix matrix, bool full_range,
                 uint8_t* dst, size_t dst_stride);

private:
    uint32_t threads_;
    std::unique_ptr<TaskPool> pool_;  // made at the first picture large enough to split
};

}  // namespace anarchy::video
