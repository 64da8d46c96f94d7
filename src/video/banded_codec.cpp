#include "video/banded_codec.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "video/frame_packet_header.h"
#include "video/task_pool.h"

namespace anarchy::video {

std::vector<Band> band_layout(uint32_t height, uint32_t wanted) {
    wanted = std::clamp<uint32_t>(wanted, 1, kMaxBands);
    uint32_t rows = (height + wanted - 1) / wanted;
    rows = std::max<uint32_t>((rows + 15) / 16 * 16, kMinBandRows);
    std::vector<Band> layout;
    for (uint32_t first = 0; first < height; first += rows) layout.push_back({first, std::min(rows, height - first)});
    if (layout.empty()) layout.push_back({0, height});
    // A sliver of a last band (under kMinBandRows) joins the one above it.
    if (layout.size() > 1 && layout.back().rows < kMinBandRows) {
        layout[layout.size() - 2].rows += layout.back().rows;
        layout.pop_back();
    }
    return layout;
}

namespace {

// The rows of a band as a picture of its own: the same planes, moved down (chroma rows are half the luma rows;
// every band but the last starts on a multiple of 16).
FrameView band_view(const FrameView& frame, const Band& band) {
    FrameView v = frame;
    v.height = band.rows;
    v.planes[0] = frame.planes[0] + size_t(band.first_row) * frame.strides[0];
    if (frame.format == PixelFormat::I420) {
        v.planes[1] = frame.planes[1] + size_t(band.first_row / 2) * frame.strides[1];
        v.planes[2] = frame.planes[2] + size_t(band.first_row / 2) * frame.strides[2];
    }
    return v;
}

class BandedEncoder final : public Encoder {
public:
    BandedEncoder(const EncoderSettings& s, std::vector<Band> layout, uint32_t pool_threads)
        : Encoder(s.codec, s.width, s.height), layout_(std::move(layout)),
          pool_(std::min<uint32_t>(pool_threads, uint32_t(layout_.size()))) {}

    bool add_band(std::unique_ptr<Encoder> e) {
        if (!e) return false;
        bands_.push_back({std::move(e), {}, CodecStatus::success()});
        return true;
    }

    const char* name() const override { return bands_.front().encoder->name(); }
    PixelFormat input_format() const override { return bands_.front().encoder->input_format(); }
    void request_keyframe() override {
        for (auto& b : bands_) b.encoder->request_keyframe();
    }
    uint32_t bitrate_kbps() const override {
        uint32_t sum = 0;
        for (const auto& b : bands_) sum += b.encoder->bitrate_kbps();
        return sum;
    }
    bool set_bitrate_kbps(uint32_t kbps) override {
        if (kbps == 0) return false;
        for (size_t i = 0; i < bands_.size(); ++i)
            if (!bands_[i].encoder->set_bitrate_kbps(share(kbps, layout_[i]))) return false;
        return true;
    }

    /// A band's part of a frame's bitrate: its share of the rows, at least 1 kbit/s.
    uint32_t share(uint32_t kbps, const Band& band) const {
        return std::max<uint32_t>(1, uint32_t(uint64_t(kbps) * band.rows / height()));
    }

protected:
    CodecStatus encode_frame(const FrameView&, EncodedFrame&) override {
        return CodecStatus::failure(CodecError::InvalidArgument,
                                    std::string(name()) + " in " + std::to_string(bands_.size()) +
                                        " bands hands a frame over as one packet per band: use encode_slices()");
    }

    CodecStatus encode_frame_slices(const FrameView& frame, const SliceSink& emit) override {
        pool_.run(uint32_t(bands_.size()), [&](uint32_t i, uint32_t) {
            BandState& b = bands_[i];
            b.status = b.encoder->encode(band_view(frame, layout_[i]), b.packet);
        });
        for (size_t i = 0; i < bands_.size(); ++i)
            if (!bands_[i].status) {
                // Every band starts over together, so the next frame decodes in full on the client.
                request_keyframe();
                return CodecStatus::failure(bands_[i].status.error(), "band " + std::to_string(i) + " (rows " +
                                                                          std::to_string(layout_[i].first_row) + "+" +
                                                                          std::to_string(layout_[i].rows) +
                                                                          "): " + bands_[i].status.message());
            }
        for (size_t i = 0; i < bands_.size(); ++i) {
            const EncodedFrame& inner = bands_[i].packet;
            const bool last = i + 1 == bands_.size();
            FramePacketHeader h;
            h.codec = codec();
            h.flags = uint8_t(kFramePacketSlice | (last ? kFramePacketLastSlice : 0) |
                              (inner.keyframe ? kFramePacketKeyframe : 0));
            h.width = width();
            h.height = height();
            h.sequence = sequence_;
            h.reference = sequence_ - 1;
            h.first_row = layout_[i].first_row;
            h.row_count = layout_[i].rows;
            h.payload_bytes = uint32_t(inner.bytes.size());
            slice_.bytes.resize(kFramePacketHeaderBytes + inner.bytes.size());
            write_frame_packet_header(h, slice_.bytes.data());
            std::memcpy(slice_.bytes.data() + kFramePacketHeaderBytes, inner.bytes.data(), inner.bytes.size());
            slice_.keyframe = inner.keyframe;
            if (!emit(slice_, last))
                return CodecStatus::failure(CodecError::Backend, "band " + std::to_string(i) + "'s packet was not taken");
        }
        ++sequence_;
        return CodecStatus::success();
    }

private:
    struct BandState {
        std::unique_ptr<Encoder> encoder;
        EncodedFrame packet;
        CodecStatus status;
    };
    std::vector<Band> layout_;
    std::vector<BandState> bands_;
    TaskPool pool_;
    EncodedFrame slice_;
    uint32_t sequence_ = 0;
};

class BandAwareDecoder final : public Decoder {
public:
    BandAwareDecoder(std::unique_ptr<Decoder> whole, uint32_t threads, BandDecoderMaker make)
        : Decoder(whole->codec(), whole->width(), whole->height()), whole_(std::move(whole)),
          threads_(std::max<uint32_t>(threads, 1)), make_(make) {}

    const char* name() const override { return banded_ ? banded_name_.c_str() : whole_->name(); }
    const char* hardware_name() const override { return banded_ ? "" : whole_->hardware_name(); }

protected:
    CodecStatus decode_packet(const uint8_t* data, size_t size, DecodedFrame& out) override {
        if (out.bgra.size() != size_t(width()) * height() * 4) out.bgra.resize(size_t(width()) * height() * 4);
        return decode_packet_into(data, size, PictureTarget{out.bgra.data(), size_t(width()) * 4}, out);
    }

    CodecStatus decode_packet_into(const uint8_t* data, size_t size, const PictureTarget& target,
                                   DecodedFrame& out) override {
        FramePacketHeader h;
        if (CodecStatus s = read_frame_packet_header(data, size, codec(), width(), height(), h); !s) return s;
        if (!h.slice()) {
            forget_frame();
            banded_ = false;
            return whole_->decode_into(data, size, target, out);
        }
        if (h.first_row == 0) forget_frame();  // a frame whose last slice never came: its bands' decoders see the gap
        if (h.first_row != next_row_)
            return corrupt("a slice of rows " + std::to_string(h.first_row) + "+" + std::to_string(h.row_count) +
                           " where the slice of row " + std::to_string(next_row_) + " was due");
        if (h.payload_bytes == 0) return corrupt("a slice without its band's packet");
        std::string why;
        BandDecoder* band = band_for(h.first_row, h.row_count, &why);
        if (!band) return CodecStatus::failure(CodecError::Backend, why);
        Pending p;
        p.band = band;
        p.packet.assign(data + kFramePacketHeaderBytes, data + size);
        p.target = PictureTarget{target.pixels + size_t(h.first_row) * target.stride, target.stride, 0};
        pending_.push_back(std::move(p));
        next_row_ = h.first_row + h.row_count;
        if (!h.completes_frame()) return CodecStatus::success();
        banded_ = true;
        return decode_pending(out);
    }

    void reset_after_error() override {
        forget_frame();
        whole_->reset();
        for (auto& b : bands_) b->decoder->reset();
    }

private:
    struct BandDecoder {
        Band band;
        std::unique_ptr<Decoder> decoder;
    };
    struct Pending {
        BandDecoder* band = nullptr;
        std::vector<uint8_t> packet;  // the band stream's packet, its own header first
        PictureTarget target;         // the band's first row in the caller's picture
        DecodedFrame out;             // the band's keyframe flag and timing (its pixels go to the target)
        CodecStatus status;
    };

    void forget_frame() {
        pending_.clear();
        next_row_ = 0;
    }

    // The decoder of the band starting at first_row, made when the band first appears or changes its height
    // (a new layout comes with a new encoder, whose first frame is a key frame). A band replaced here is never
    // one a pending slice uses: the frame's slices so far all start above first_row.
    BandDecoder* band_for(uint32_t first_row, uint32_t rows, std::string* why) {
        auto it = std::find_if(bands_.begin(), bands_.end(),
                               [&](const std::unique_ptr<BandDecoder>& b) { return b->band.first_row == first_row; });
        if (it != bands_.end() && (*it)->band.rows == rows) return it->get();
        if (it == bands_.end() && bands_.size() >= kMaxBands) {
            *why = "more than " + std::to_string(kMaxBands) + " bands in one stream";
            return nullptr;
        }
        std::string made;
        std::unique_ptr<Decoder> d = make_(codec(), width(), rows, &made);
        if (!d) {
            *why = "no decoder for a " + std::to_string(width()) + "x" + std::to_string(rows) + " band: " + made;
            return nullptr;
        }
        auto band = std::make_unique<BandDecoder>();
        band->band = {first_row, rows};
        band->decoder = std::move(d);
        banded_name_ = std::string(band->decoder->name()) + " in bands";
        if (it != bands_.end()) {
            *it = std::move(band);
            return it->get();
        }
        bands_.push_back(std::move(band));
        return bands_.back().get();
    }

    CodecStatus decode_pending(DecodedFrame& out) {
        if (!pool_) pool_ = std::make_unique<TaskPool>(threads_);
        std::vector<Pending> work = std::move(pending_);
        forget_frame();
        pool_->run(uint32_t(work.size()), [&](uint32_t i, uint32_t) {
            Pending& p = work[i];
            p.status = p.band->decoder->decode_into(p.packet.data(), p.packet.size(), p.target, p.out);
        });
        bool keyframe = true;
        for (const Pending& p : work) {
            if (!p.status)
                return CodecStatus::failure(p.status.error(), "band of rows " + std::to_string(p.band->band.first_row) +
                                                                  "+" + std::to_string(p.band->band.rows) + ": " +
                                                                  p.status.message());
            keyframe = keyframe && p.out.keyframe;
        }
        out.keyframe = keyframe;
        return CodecStatus::success();
    }

    std::unique_ptr<Decoder> whole_;
    uint32_t threads_;
    BandDecoderMaker make_;
    std::vector<std::unique_ptr<BandDecoder>> bands_;
    std::vector<Pending> pending_;  ///< the slices of the frame under way, in row order
    uint32_t next_row_ = 0;         ///< the row the frame's next slice must start at
    bool banded_ = false;           ///< the last frame came in bands
    std::string banded_name_;
    std::unique_ptr<TaskPool> pool_;  ///< made at the first banded frame
};

}  // namespace

std::unique_ptr<Encoder> make_banded_encoder(const EncoderSettings& settings, const std::vector<Band>& layout,
                                             uint32_t threads_per_band, uint32_t pool_threads,
                                             BandEncoderMaker make, std::string* reason) {
    auto encoder = std::make_unique<BandedEncoder>(settings, layout, pool_threads);
    const uint32_t total_kbps = settings.bitrate_kbps;
    for (const Band& band : layout) {
        EncoderSettings s = settings;
        s.height = band.rows;
        s.threads = std::max<uint32_t>(threads_per_band, 1);
        if (total_kbps) s.bitrate_kbps = encoder->share(total_kbps, band);
        std::string why;
        if (!encoder->add_band(make(s, &why))) {
            *reason = "band of rows " + std::to_string(band.first_row) + "+" + std::to_string(band.rows) + ": " + why;
            return nullptr;
        }
    }
    return encoder;
}

std::unique_ptr<Decoder> make_band_aware_decoder(std::unique_ptr<Decoder> whole, uint32_t threads,
                                                 BandDecoderMaker make) {
    return std::make_unique<BandAwareDecoder>(std::move(whole), threads, make);
}

}  // namespace anarchy::video
