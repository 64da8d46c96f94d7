#include "video/mf_decoder.h"

// The GUIDs this file uses are defined here (selectany), so nothing depends on which of them an import library has.
#include <initguid.h>

#include <windows.h>
#include <codecapi.h>
#include <mfapi.h>
#include <mferror.h>
#include <mfidl.h>
#include <mftransform.h>
#include <strmif.h>
#include <wmcodecdsp.h>
#include <wrl/client.h>

// strmif.h declares ICodecAPI without the uuid that IID_PPV_ARGS and ComPtr::As look up (icodecapi.h has it but
// clashes with strmif.h).
#ifndef ANARCHY_ICODECAPI_UUID
#define ANARCHY_ICODECAPI_UUID
__CRT_UUID_DECL(ICodecAPI, 0x901db4c7, 0x31ce, 0x41a2, 0x85, 0xdc, 0x8f, 0xa0, 0xbf, 0x41, 0xb8, 0xda)
#endif

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/log.h"
#include "video/frame_packet_header.h"
#include "video/nv12_to_bgra.h"

namespace anarchy::video {
namespace {

using Microsoft::WRL::ComPtr;

// 100 ns units per frame at the 60 Hz the timestamps pretend; decoders only need them to increase.
constexpr LONGLONG kFrameDuration = 10'000'000 / 60;
// How long an asynchronous (hardware) MFT may take to answer a packet before it counts as lost.
constexpr auto kAsyncWait = std::chrono::milliseconds(500);
// Output format changes accepted for one packet: the first SPS, and perhaps a second for a new size.
constexpr int kMaxStreamChanges = 4;

std::string hresult_text(HRESULT hr) {
    char code[16];
    std::snprintf(code, sizeof code, "0x%08lx", static_cast<unsigned long>(hr));
    char* text = nullptr;
    const DWORD n = FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                       FORMAT_MESSAGE_IGNORE_INSERTS,
                                   nullptr, DWORD(hr), 0, reinterpret_cast<char*>(&text), 0, nullptr);
    std::string out = code;
    if (n && text) {
        std::string message(text, n);
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == ' '))
            message.pop_back();
        if (!message.empty()) out += " (" + message + ")";
    }
    if (text) LocalFree(text);
    return out;
}

std::string utf8(const wchar_t* text) {
    if (!text) return {};
    const int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
    if (n <= 1) return {};
    std::string out(size_t(n - 1), '\0');
    WideCharToMultiByte(CP_UTF8, 0, text, -1, out.data(), n, nullptr, nullptr);
    return out;
}

const GUID& subtype_of(CodecKind codec) { return codec == CodecKind::Hevc ? MFVideoFormat_HEVC : MFVideoFormat_H264; }

// mfplat.dll's functions, loaded at run time: Windows N editions have no Media Foundation without the Media
// Feature Pack, and a driver that imported mfplat.dll would not load there at all, lossless codecs included.
struct MfPlat {
    decltype(&MFStartup) startup = nullptr;
    decltype(&MFShutdown) shutdown = nullptr;
    decltype(&MFTEnumEx) enum_ex = nullptr;
    decltype(&MFCreateMediaType) create_media_type = nullptr;
    decltype(&MFCreateSample) create_sample = nullptr;
    decltype(&MFCreateMemoryBuffer) create_memory_buffer = nullptr;
    std::string error;  // why Media Foundation cannot be used; empty when every function is there
};

const MfPlat& mfplat() {
    static const MfPlat loaded = [] {
        MfPlat p;
        HMODULE module = LoadLibraryExW(L"mfplat.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
        if (!module) {
            p.error = "mfplat.dll is not installed (a Windows N edition without the Media Feature Pack?)";
            return p;
        }
        auto get = [&](auto& fn, const char* name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(GetProcAddress(module, name));
            if (!fn && p.error.empty()) p.error = std::string("mfplat.dll has no ") + name;
        };
        get(p.startup, "MFStartup");
        get(p.shutdown, "MFShutdown");
        get(p.enum_ex, "MFTEnumEx");
        get(p.create_media_type, "MFCreateMediaType");
        get(p.create_sample, "MFCreateSample");
        get(p.create_memory_buffer, "MFCreateMemoryBuffer");
        return p;  // the module stays loaded for the process
    }();
    return loaded;
}

// Media Foundation for the life of a decoder (MFStartup counts), and COM on the thread that made it, which
// activating an MFT needs.
class MfSession {
public:
    MfSession() {
        const HRESULT co = CoInitializeEx(nullptr, COINIT_MULTITHREADED);
        // S_FALSE: already initialized the same way; RPC_E_CHANGED_MODE: an STA thread, usable as it is.
        com_owned_ = SUCCEEDED(co);
        com_thread_ = GetCurrentThreadId();
        if (mfplat().error.empty()) started_ = mfplat().startup(MF_VERSION, MFSTARTUP_NOSOCKET);
    }
    ~MfSession() {
        if (SUCCEEDED(started_)) mfplat().shutdown();
        // CoUninitialize belongs to the thread that initialized; elsewhere the reference is left, which only keeps
        // COM loaded.
        if (com_owned_ && GetCurrentThreadId() == com_thread_) CoUninitialize();
    }
    MfSession(const MfSession&) = delete;
    MfSession& operator=(const MfSession&) = delete;
    HRESULT started() const { return started_; }

private:
    bool com_owned_ = false;
    DWORD com_thread_ = 0;
    HRESULT started_ = E_FAIL;
};

class MfDecoder final : public Decoder {
public:
    MfDecoder(CodecKind codec, uint32_t width, uint32_t height) : Decoder(codec, width, height) {}

    ~MfDecoder() override { close(); }

    // Finds and configures an MFT: a hardware one, or a software one.
    bool open(bool hardware, std::string* error) {
        if (!mfplat().error.empty()) {
            *error = mfplat().error;
            return false;
        }
        if (FAILED(mf_.started())) {
            *error = "MFStartup failed: " + hresult_text(mf_.started());
            return false;
        }
        const MFT_REGISTER_TYPE_INFO input{MFMediaType_Video, subtype_of(codec())};
        const MFT_REGISTER_TYPE_INFO output{MFMediaType_Video, MFVideoFormat_NV12};
        const UINT32 flags = (hardware ? MFT_ENUM_FLAG_HARDWARE : MFT_ENUM_FLAG_SYNCMFT | MFT_ENUM_FLAG_LOCALMFT) |
                             MFT_ENUM_FLAG_SORTANDFILTER;
        IMFActivate** found = nullptr;
        UINT32 count = 0;
        HRESULT hr = mfplat().enum_ex(MFT_CATEGORY_VIDEO_DECODER, flags, &input, &output, &found, &count);
        std::vector<ComPtr<IMFActivate>> candidates;
        for (UINT32 i = 0; SUCCEEDED(hr) && i < count; ++i) candidates.emplace_back(found[i]);
        for (UINT32 i = 0; SUCCEEDED(hr) && i < count; ++i) found[i]->Release();
        CoTaskMemFree(found);
        std::vector<std::string> failures;
        if (FAILED(hr)) failures.push_back("MFTEnumEx failed: " + hresult_text(hr));
        for (const ComPtr<IMFActivate>& candidate : candidates) {
            wchar_t* friendly = nullptr;
            UINT32 length = 0;
            std::string mft_name;
            if (SUCCEEDED(candidate->GetAllocatedString(MFT_FRIENDLY_NAME_Attribute, &friendly, &length))) {
                mft_name = utf8(friendly);
                CoTaskMemFree(friendly);
            }
            GUID clsid{};
            if (mft_name.empty() && SUCCEEDED(candidate->GetGUID(MFT_TRANSFORM_CLSID_Attribute, &clsid))) {
                wchar_t text[40] = {};
                StringFromGUID2(clsid, text, 40);
                mft_name = "MFT " + utf8(text);
            }
            if (mft_name.empty()) mft_name = "an unnamed MFT";
            ComPtr<IMFTransform> transform;
            hr = candidate->ActivateObject(IID_PPV_ARGS(&transform));
            if (FAILED(hr)) {
                failures.push_back(mft_name + " does not activate: " + hresult_text(hr));
                continue;
            }
            std::string why;
            if (configure(transform, hardware, &why)) {
                activate_ = candidate;
                mft_name_ = mft_name;
                break;
            }
            failures.push_back(mft_name + ": " + why);
            transform_.Reset();
            candidate->ShutdownObject();
        }
        if (!transform_ && !hardware && codec() == CodecKind::H264) {
            // Not every system lists Microsoft's decoder for an NV12 output filter; it is there by its class id.
            ComPtr<IMFTransform> transform;
            hr = CoCreateInstance(CLSID_CMSH264DecoderMFT, nullptr, CLSCTX_INPROC_SERVER, IID_PPV_ARGS(&transform));
            std::string why;
            if (FAILED(hr))
                failures.push_back("CLSID_CMSH264DecoderMFT does not create: " + hresult_text(hr));
            else if (configure(transform, false, &why))
                mft_name_ = "Microsoft H264 Video Decoder MFT";
            else
                failures.push_back("CLSID_CMSH264DecoderMFT: " + why);
        }
        if (!transform_) {
            std::string text;
            for (const std::string& f : failures) text += (text.empty() ? "" : "; ") + f;
            *error = text.empty() ? std::string(hardware ? "no hardware decoder MFT" : "no decoder MFT") + " for " +
                                        to_string(codec()) + " to NV12"
                                  : text;
            return false;
        }
        name_ = std::string(to_string(codec())) + " (Media Foundation: " + mft_name_ + ")";
        return true;
    }

    const char* name() const override { return name_.c_str(); }
    const char* hardware_name() const override { return hardware_ ? "mft" : ""; }

protected:
    CodecStatus decode_packet(const uint8_t* data, size_t size, DecodedFrame& out) override {
        out.bgra.resize(size_t(width()) * height() * 4);
        return decode_packet_into(data, size, PictureTarget{out.bgra.data(), size_t(width()) * 4}, out);
    }

    // Converts straight into the caller's picture: no BGRA copy of our own.
    CodecStatus decode_packet_into(const uint8_t* data, size_t size, const PictureTarget& target,
                                   DecodedFrame& out) override {
        FramePacketHeader h;
        if (CodecStatus s = read_video_packet_header(data, size, codec(), width(), height(), have_reference_,
                                                     last_sequence_, h);
            !s)
            return s;
        const uint8_t* payload = data + kFramePacketHeaderBytes;
        CodecStatus s = decode_payload(payload, h.payload_bytes, target);
        if (!s && hardware_ && !pictures_ && h.keyframe()) {
            // A hardware MFT took the format and then gave no picture (many want a Direct3D device, which this
            // path does not give them): start over in software with this key frame, as AvDecoder does.
            const std::string why = s.message();
            close();
            std::string error;
            if (!open(false, &error))
                return CodecStatus::failure(CodecError::Backend, why + "; no software decoder either: " + error);
            LOG_WARN("video: %s; decoding with %s instead", why.c_str(), name_.c_str());
            s = decode_payload(payload, h.payload_bytes, target);
        }
        if (!s) return s;
        ++pictures_;
        have_reference_ = true;
        last_sequence_ = h.sequence;
        out.keyframe = h.keyframe();
        return CodecStatus::success();
    }

    void reset_after_error() override {
        have_reference_ = false;
        if (!transform_) return;
        transform_->ProcessMessage(MFT_MESSAGE_COMMAND_FLUSH, 0);
        if (async_) {
            // A flushed asynchronous MFT asks for input again only after a new start of stream.
            input_wanted_ = 0;
            transform_->ProcessMessage(MFT_MESSAGE_NOTIFY_START_OF_STREAM, 0);
        }
    }

private:
    // Lets go of the MFT and everything that belongs to it.
    void close() {
        if (transform_) transform_->ProcessMessage(MFT_MESSAGE_NOTIFY_END_STREAMING, 0);
        transform_.Reset();
        events_.Reset();
        output_sample_.Reset();
        if (activate_) activate_->ShutdownObject();
        activate_.Reset();
        async_ = hardware_ = false;
        input_wanted_ = 0;
    }

    // Sets the input type, low latency and an NV12 output on transform; on success it becomes transform_.
    bool configure(const ComPtr<IMFTransform>& transform, bool hardware, std::string* why) {
        events_.Reset();  // a candidate tried before may have left its own
        ComPtr<IMFAttributes> attributes;
        bool async = false;
        if (SUCCEEDED(transform->GetAttributes(&attributes)) && attributes) {
            async = MFGetAttributeUINT32(attributes.Get(), MF_TRANSFORM_ASYNC, FALSE) != 0;
            if (async) {
                // Asynchronous MFTs (hardware ones are) refuse every call until the caller says it knows.
                if (HRESULT hr = attributes->SetUINT32(MF_TRANSFORM_ASYNC_UNLOCK, TRUE); FAILED(hr)) {
                    *why = "cannot unlock the asynchronous MFT: " + hresult_text(hr);
                    return false;
                }
            }
            // One picture out for each access unit in: no reordering delay (there are no B-frames anyway).
            attributes->SetUINT32(MF_LOW_LATENCY, TRUE);
        }
        ComPtr<ICodecAPI> codec_api;
        if (SUCCEEDED(transform.As(&codec_api))) {
            VARIANT on;
            VariantInit(&on);
            on.vt = VT_UI4;
            on.ulVal = 1;
            codec_api->SetValue(&CODECAPI_AVLowLatencyMode, &on);
        }
        ComPtr<IMFMediaType> input;
        HRESULT hr = mfplat().create_media_type(&input);
        if (SUCCEEDED(hr)) hr = input->SetGUID(MF_MT_MAJOR_TYPE, MFMediaType_Video);
        if (SUCCEEDED(hr)) hr = input->SetGUID(MF_MT_SUBTYPE, subtype_of(codec()));
        // The coded size: our encoders round odd sizes up to even.
        if (SUCCEEDED(hr)) hr = input->SetUINT64(MF_MT_FRAME_SIZE, PackSize(coded_width(), coded_height()));
        if (SUCCEEDED(hr)) hr = input->SetUINT64(MF_MT_FRAME_RATE, PackRatio(60, 1));
        if (SUCCEEDED(hr)) hr = input->SetUINT32(MF_MT_INTERLACE_MODE, MFVideoInterlace_Progressive);
        if (SUCCEEDED(hr)) hr = transform->SetInputType(0, input.Get(), 0);
        if (FAILED(hr)) {
            *why = std::string("does not take ") + to_string(codec()) + " at " + std::to_string(coded_width()) +
                   "x" + std::to_string(coded_height()) + ": " + hresult_text(hr);
            return false;
        }
        transform_ = transform;
        async_ = async;
        hardware_ = hardware;
        if (async_) {
            if (FAILED(transform_.As(&events_))) {
                *why = "asynchronous, but has no event queue";
                return false;
            }
        }
        if (std::string problem = choose_output(); !problem.empty()) {
            *why = problem;
            return false;
        }
        transform_->ProcessMessage(MFT_MESSAGE_NOTIFY_BEGIN_STREAMING, 0);
        transform_->ProcessMessage(MFT_MESSAGE_NOTIFY_START_OF_STREAM, 0);
        return true;
    }

    uint32_t coded_width() const { return width() + (width() & 1); }
    uint32_t coded_height() const { return height() + (height() & 1); }

    // Picks NV12 among the output types the MFT offers now (again after a stream change) and learns its layout.
    std::string choose_output() {
        for (DWORD i = 0;; ++i) {
            ComPtr<IMFMediaType> type;
            const HRESULT hr = transform_->GetOutputAvailableType(0, i, &type);
            if (hr == MF_E_NO_MORE_TYPES) return "offers no NV12 output";
            if (FAILED(hr)) return "lists no output types: " + hresult_text(hr);
            GUID subtype{};
            if (FAILED(type->GetGUID(MF_MT_SUBTYPE, &subtype)) || subtype != MFVideoFormat_NV12) continue;
            if (const HRESULT set = transform_->SetOutputType(0, type.Get(), 0); FAILED(set))
                return "refuses its own NV12 output type: " + hresult_text(set);
            UINT32 w = 0, h = 0;
            UnpackSize(MFGetAttributeUINT64(type.Get(), MF_MT_FRAME_SIZE, 0), &w, &h);
            // Decoders pad the planes to whole macroblocks (1080 -> 1088) and keep the picture at the top left.
            out_width_ = w;
            out_height_ = h;
            const UINT32 stride = MFGetAttributeUINT32(type.Get(), MF_MT_DEFAULT_STRIDE, 0);
            out_stride_ = int32_t(stride) > 0 ? stride : w;
            MFT_OUTPUT_STREAM_INFO info{};
            if (const HRESULT got = transform_->GetOutputStreamInfo(0, &info); FAILED(got))
                return "has no output stream information: " + hresult_text(got);
            provides_samples_ = info.dwFlags & (MFT_OUTPUT_STREAM_PROVIDES_SAMPLES | MFT_OUTPUT_STREAM_CAN_PROVIDE_SAMPLES);
            output_bytes_ = std::max<DWORD>(info.cbSize, DWORD(size_t(out_stride_) * out_height_ * 3 / 2));
            output_sample_.Reset();
            return {};
        }
    }

    // One access unit in, its picture converted into target.
    CodecStatus decode_payload(const uint8_t* data, size_t size, const PictureTarget& target) {
        ComPtr<IMFSample> sample;
        ComPtr<IMFMediaBuffer> buffer;
        HRESULT hr = mfplat().create_sample(&sample);
        if (SUCCEEDED(hr)) hr = mfplat().create_memory_buffer(DWORD(size), &buffer);
        BYTE* bytes = nullptr;
        if (SUCCEEDED(hr)) hr = buffer->Lock(&bytes, nullptr, nullptr);
        if (SUCCEEDED(hr)) {
            std::memcpy(bytes, data, size);
            buffer->Unlock();
            hr = buffer->SetCurrentLength(DWORD(size));
        }
        if (SUCCEEDED(hr)) hr = sample->AddBuffer(buffer.Get());
        if (SUCCEEDED(hr)) hr = sample->SetSampleTime(LONGLONG(packets_) * kFrameDuration);
        if (SUCCEEDED(hr)) hr = sample->SetSampleDuration(kFrameDuration);
        if (FAILED(hr)) return CodecStatus::failure(CodecError::Backend, "cannot make an input sample: " + hresult_text(hr));
        ++packets_;
        return async_ ? decode_async(sample, target) : decode_sync(sample, target);
    }

    // A sample holding one access unit delimiter NAL: H.264 type 9 (primary_pic_type 7: any slice type), or
    // HEVC type 35 (pic_type 2: any).
    ComPtr<IMFSample> delimiter_sample() {
        static const uint8_t h264[] = {0, 0, 0, 1, 0x09, 0xf0};
        static const uint8_t hevc[] = {0, 0, 0, 1, 0x46, 0x01, 0x50};
        const uint8_t* nal = codec() == CodecKind::Hevc ? hevc : h264;
        const DWORD size = codec() == CodecKind::Hevc ? sizeof hevc : sizeof h264;
        ComPtr<IMFSample> sample;
        ComPtr<IMFMediaBuffer> buffer;
        BYTE* bytes = nullptr;
        if (FAILED(mfplat().create_sample(&sample)) || FAILED(mfplat().create_memory_buffer(size, &buffer)) ||
            FAILED(buffer->Lock(&bytes, nullptr, nullptr)))
            return nullptr;
        std::memcpy(bytes, nal, size);
        buffer->Unlock();
        buffer->SetCurrentLength(size);
        sample->AddBuffer(buffer.Get());
        sample->SetSampleTime(LONGLONG(packets_) * kFrameDuration - 1);
        return sample;
    }

    CodecStatus decode_sync(const ComPtr<IMFSample>& sample, const PictureTarget& target) {
        HRESULT hr = transform_->ProcessInput(0, sample.Get(), 0);
        int pictures = 0;
        if (hr == MF_E_NOTACCEPTING) {
            // A picture from before is still waiting: take it (the newer one overwrites it below), then feed.
            if (CodecStatus s = drain_outputs(target, pictures); !s) return s;
            hr = transform_->ProcessInput(0, sample.Get(), 0);
        }
        if (FAILED(hr)) return failure("rejected the packet", hr);
        if (CodecStatus s = drain_outputs(target, pictures); !s) return s;
        if (pictures == 0) {
            // The MFT kept the picture back although low latency was asked for: Wine's winegstreamer decoder (its
            // h264parse) waits for the start of the next access unit before it decodes one, and ignores drain
            // messages. An access unit delimiter alone is that start: the picture comes out now, not one packet
            // late, and the delimiter simply opens the next packet's access unit. Any decoder takes it.
            if (!nudges_) LOG_INFO("video: %s holds pictures back; an access unit delimiter follows each packet",
                                   name_.c_str());
            ++nudges_;
            if (hr = transform_->ProcessInput(0, delimiter_sample().Get(), 0); FAILED(hr))
                return failure("rejected an access unit delimiter", hr);
            if (CodecStatus s = drain_outputs(target, pictures); !s) return s;
        }
        if (pictures == 0)
            return corrupt(name_ + " produced no picture for the packet (damaged, or not following on from the frames "
                                   "before it)");
        return CodecStatus::success();
    }

    // Takes every picture the MFT has ready; the last one ends up in target.
    CodecStatus drain_outputs(const PictureTarget& target, int& pictures) {
        for (int changes = 0;;) {
            bool got = false;
            const HRESULT hr = take_output(target, got);
            if (hr == MF_E_TRANSFORM_NEED_MORE_INPUT) return CodecStatus::success();
            if (hr == MF_E_TRANSFORM_STREAM_CHANGE) {
                if (++changes > kMaxStreamChanges) return corrupt(name_ + " keeps changing its output format");
                if (std::string problem = choose_output(); !problem.empty())
                    return CodecStatus::failure(CodecError::Backend, name_ + " changed its output and " + problem);
                continue;
            }
            if (FAILED(hr)) return failure("failed", hr);
            if (!got) return CodecStatus::success();
            if (!last_status_) return last_status_;
            ++pictures;
        }
    }

    CodecStatus decode_async(const ComPtr<IMFSample>& sample, const PictureTarget& target) {
        const auto deadline = std::chrono::steady_clock::now() + kAsyncWait;
        int pictures = 0;
        while (input_wanted_ == 0) {
            MediaEventType type = MEUnknown;
            if (CodecStatus s = next_event(deadline, type); !s) return s;
            if (type == METransformNeedInput) ++input_wanted_;
            if (type == METransformHaveOutput)
                if (CodecStatus s = take_async_output(target, pictures); !s) return s;
        }
        if (const HRESULT hr = transform_->ProcessInput(0, sample.Get(), 0); FAILED(hr))
            return failure("rejected the packet", hr);
        --input_wanted_;
        while (pictures == 0) {
            MediaEventType type = MEUnknown;
            if (CodecStatus s = next_event(deadline, type); !s) return s;
            if (type == METransformNeedInput) ++input_wanted_;
            if (type == METransformHaveOutput)
                if (CodecStatus s = take_async_output(target, pictures); !s) return s;
        }
        return CodecStatus::success();
    }

    CodecStatus take_async_output(const PictureTarget& target, int& pictures) {
        bool got = false;
        HRESULT hr = take_output(target, got);
        if (hr == MF_E_TRANSFORM_STREAM_CHANGE) {
            if (std::string problem = choose_output(); !problem.empty())
                return CodecStatus::failure(CodecError::Backend, name_ + " changed its output and " + problem);
            // The picture that announced the change is still there: ask again under the same event. An MFT that
            // sends a new METransformHaveOutput instead answers that it has nothing yet.
            hr = take_output(target, got);
            if (hr == MF_E_TRANSFORM_NEED_MORE_INPUT || hr == MF_E_UNEXPECTED) return CodecStatus::success();
        }
        if (FAILED(hr)) return failure("failed", hr);
        if (got) {
            if (!last_status_) return last_status_;
            ++pictures;
        }
        return CodecStatus::success();
    }

    // Waits for the asynchronous MFT's next event until deadline, polling: GetEvent without MF_EVENT_FLAG_NO_WAIT
    // could wait forever on an MFT that went wrong.
    CodecStatus next_event(std::chrono::steady_clock::time_point deadline, MediaEventType& type) {
        for (int spins = 0;; ++spins) {
            ComPtr<IMFMediaEvent> event;
            const HRESULT hr = events_->GetEvent(MF_EVENT_FLAG_NO_WAIT, &event);
            if (SUCCEEDED(hr)) {
                event->GetType(&type);
                HRESULT status = S_OK;
                event->GetStatus(&status);
                if (FAILED(status)) return failure("reported an error", status);
                if (type == MEError) return failure("reported an error", E_FAIL);
                return CodecStatus::success();
            }
            if (hr != MF_E_NO_EVENTS_AVAILABLE) return failure("has no events", hr);
            if (std::chrono::steady_clock::now() > deadline)
                return corrupt(name_ + " produced no picture within " + std::to_string(kAsyncWait.count()) + " ms");
            // A hardware decoder answers within a millisecond or two: spin briefly before sleeping.
            if (spins < 200)
                std::this_thread::yield();
            else
                Sleep(1);
        }
    }

    // One ProcessOutput call: got says whether a picture came out; last_status_ says whether it converted.
    HRESULT take_output(const PictureTarget& target, bool& got) {
        got = false;
        MFT_OUTPUT_DATA_BUFFER out{};
        out.dwStreamID = 0;
        if (!provides_samples_) {
            if (!output_sample_) {
                ComPtr<IMFMediaBuffer> buffer;
                HRESULT hr = mfplat().create_sample(&output_sample_);
                if (SUCCEEDED(hr)) hr = mfplat().create_memory_buffer(output_bytes_, &buffer);
                if (SUCCEEDED(hr)) hr = output_sample_->AddBuffer(buffer.Get());
                if (FAILED(hr)) {
                    output_sample_.Reset();
                    return hr;
                }
            }
            out.pSample = output_sample_.Get();
        }
        DWORD status = 0;
        const HRESULT hr = transform_->ProcessOutput(0, 1, &out, &status);
        if (out.pEvents) out.pEvents->Release();
        ComPtr<IMFSample> produced;
        if (provides_samples_) produced.Attach(out.pSample);  // ours to release
        else produced = output_sample_;
        if (hr != S_OK || !out.pSample) return hr == S_OK ? MF_E_TRANSFORM_NEED_MORE_INPUT : hr;
        got = true;
        last_status_ = convert(produced.Get(), target);
        return S_OK;
    }

    // The NV12 picture in sample to BGRA in target.
    CodecStatus convert(IMFSample* sample, const PictureTarget& target) {
        if (out_width_ < width() || out_height_ < height())
            return CodecStatus::failure(CodecError::InvalidArgument,
                                        "stream is " + std::to_string(out_width_) + "x" + std::to_string(out_height_) +
                                            " but the decoder was made for " + std::to_string(width()) + "x" +
                                            std::to_string(height()));
        ComPtr<IMFMediaBuffer> buffer;
        HRESULT hr = sample->GetBufferByIndex(0, &buffer);
        if (FAILED(hr)) return failure("gave a picture without a buffer", hr);
        ComPtr<IMF2DBuffer> planar;
        BYTE* base = nullptr;
        LONG pitch = 0;
        DWORD length = 0;
        bool locked_2d = false;
        if (SUCCEEDED(buffer.As(&planar)) && SUCCEEDED(planar->Lock2D(&base, &pitch))) {
            if (pitch > 0) {
                locked_2d = true;
                // Lock2D says nothing of the length; the planes are pitch x padded height and half that.
                length = DWORD(size_t(pitch) * out_height_ * 3 / 2);
            } else {
                planar->Unlock2D();  // bottom-up rows: not something NV12 decoders write; read it plainly
            }
        }
        if (!locked_2d) {
            if (FAILED(hr = buffer->Lock(&base, nullptr, &length))) return failure("gave a picture it will not lock", hr);
            pitch = LONG(out_stride_);
        }
        const size_t needed = size_t(pitch) * out_height_ + size_t(pitch) * ((out_height_ + 1) / 2);
        CodecStatus s;
        if (size_t(pitch) < coded_width() || length < needed) {
            s = CodecStatus::failure(CodecError::Backend, name_ + " gave a picture of " + std::to_string(length) +
                                                              " bytes with rows of " + std::to_string(pitch) +
                                                              ", too small for NV12 at " + std::to_string(out_width_) +
                                                              "x" + std::to_string(out_height_));
        } else {
            Nv12Planes planes;
            planes.y = base;
            planes.y_stride = size_t(pitch);
            planes.uv = base + size_t(pitch) * out_height_;
            planes.uv_stride = size_t(pitch);
            // Our encoders always write BT.601, limited range (av_encoder.cpp). The stream says so too, but decoder
            // MFTs do not reliably pass that on (some report BT.709 for any HD size), so it is not read back.
            to_bgra_.convert(planes, width(), height(), YuvMatrix::Bt601, false, target.pixels, target.stride);
        }
        if (locked_2d)
            planar->Unlock2D();
        else
            buffer->Unlock();
        return s;
    }

    CodecStatus failure(const char* what, HRESULT hr) {
        // E_FAIL and friends on a packet are as likely a damaged stream as a broken decoder: either way the client
        // asks for a key frame, which is what CorruptData makes it do.
        return corrupt(name_ + " " + what + ": " + hresult_text(hr));
    }

    MfSession mf_;
    ComPtr<IMFActivate> activate_;  // what made transform_, shut down after it; null when created by class id
    ComPtr<IMFTransform> transform_;
    ComPtr<IMFMediaEventGenerator> events_;  // asynchronous MFTs only
    ComPtr<IMFSample> output_sample_;        // ours, when the MFT does not provide samples
    Nv12ToBgra to_bgra_;
    std::string mft_name_;
    std::string name_ = "media foundation";
    bool async_ = false;
    bool hardware_ = false;
    bool provides_samples_ = false;
    uint32_t out_width_ = 0;   // the NV12 planes' size, padded
    uint32_t out_height_ = 0;
    uint32_t out_stride_ = 0;  // bytes per row when the buffer has no IMF2DBuffer
    DWORD output_bytes_ = 0;
    CodecStatus last_status_;
    uint32_t input_wanted_ = 0;  // METransformNeedInput events not yet answered (asynchronous MFTs)
    uint64_t packets_ = 0;
    uint64_t pictures_ = 0;  // packets decoded into a picture
    uint64_t nudges_ = 0;  // packets whose picture only came out after an access unit delimiter
    bool have_reference_ = false;  // a key frame and every frame since were decoded; last_sequence_ is valid
    uint32_t last_sequence_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> open_mf_decoder(CodecKind codec, uint32_t width, uint32_t height, bool hardware,
                                         std::string* error) {
    if (codec != CodecKind::H264 && codec != CodecKind::Hevc) {
        *error = std::string("Media Foundation decoding is not wired up for ") + to_string(codec);
        return nullptr;
    }
    auto decoder = std::make_unique<MfDecoder>(codec, width, height);
    if (!decoder->open(hardware, error)) return nullptr;
    return decoder;
}

bool mf_decoder_available(CodecKind codec) {
    static std::mutex mu;
    static std::map<CodecKind, bool> known;
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = known.find(codec); it != known.end()) return it->second;
    std::string error;
    // A small stream is enough to see that a decoder is installed and takes the format.
    const bool works = open_mf_decoder(codec, 64, 64, false, &error) != nullptr;
    if (!works) LOG_INFO("video: no Media Foundation decoder for %s: %s", to_string(codec), error.c_str());
    known[codec] = works;
    return works;
}

}  // namespace anarchy::video
