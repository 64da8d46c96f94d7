// One client's session: decodes its command stream, runs it on the host's driver, owns its objects.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <vulkan/vulkan_core.h>

#include "protocol/arena.h"
#include "protocol/messages.h"
#include "protocol/wire_decoder.h"
#include "protocol/wire_encoder.h"
#include "server/frame_streamer.h"
#include "server/acquire_signals.h"
#include "server/gpu_write_tracker.h"
#include "server/device_memory.h"
#include "server/device_tables.h"
#include "server/object_holds.h"
#include "server/object_table.h"
#include "server/wait_pool.h"
#include "server_dispatch_table_autogen.h"
#include "transport/connection.h"
#include "vk_schema_autogen.h"

namespace anarchy::server {

/// Returned by a server hook whose reply the session's wait pool sends later.
constexpr VkResult kReplyDeferred = static_cast<VkResult>(0x7ffffff0);
/// Caps on what a client may ask the server to allocate for outputs.
constexpr uint64_t kMaxOutputElements = 1u << 20;
constexpr uint64_t kMaxOutputBytes = uint64_t(1) << 30;

/// Settings the server applies to every session.
struct SessionOptions {
    uint32_t device_index = 0;  ///< --device: which physical device the client sees (UINT32_MAX: all)
    std::string host_description;  ///< "host:port" shown in driverInfo
};

/// One client connection. run() serves it until it ends, then frees everything it created.
class Session : public protocol::HandleDecoder {
public:
    Session(std::unique_ptr<transport::Connection> conn, uint64_t number, SessionOptions options);
    ~Session() override;

    /// Serves the connection until it closes or misbehaves; then cleans up. Returns the reason it ended.
    std::string run();
    /// Asks run() to stop (server shutdown).
    void stop();
    /// The secret the client's video channel names to join this session (sent in the handshake).
    uint64_t token() const { return token_; }
    /// Hands over the connection before run() (it turned out to be a video channel for another session).
    std::unique_ptr<transport::Connection> take_connection() { return std::move(conn_); }
    /// Joins a video channel to this session.
    void attach_video(std::unique_ptr<transport::Connection> conn) { streamer_->attach(std::move(conn)); }
    FrameStreamer& streamer() { return *streamer_; }

    // ---- used by generated dispatch and hooks ----
    /// The session's instance-level commands (global, instance and physical-device commands).
    const DispatchTable& vk() const { return vk_; }
    /// The commands of the device a device, queue or command buffer belongs to.
    const DispatchTable& vk(VkDevice h) const { return devices_.of(h); }
    const DispatchTable& vk(VkQueue h) const { return devices_.of(h); }
    const DispatchTable& vk(VkCommandBuffer h) const { return devices_.of(h); }
    DeviceTables& device_tables() { return devices_; }
    /// Ends the session: the program called a command its device has no entry for (an extension it did not
    /// enable, a core version above its own, or one the driver lacks). Natively that would call a null pointer.
    bool missing_command(protocol::WireDecoder& d, const char* name);
    /// The API version the program created an instance with (1.0 when it gave none).
    std::map<VkInstance, uint32_t>& instance_versions() { return instance_versions_; }
    ObjectTable& objects() { return objects_; }
    bool resolve(uint32_t object_type, uint64_t id, uint64_t& out) override;
    std::string refusal() const override { return refusal_; }
    template <typename T>
    bool decode_handle(protocol::WireDecoder& d, VkObjectType type, bool optional, uint64_t& id, T& out) {
        if (!d.u64(id)) return false;
        if (id == 0) {
            out = reinterpret_cast<T>(uint64_t(0));
            if (!optional) return d.fail("null handle where one is required");
            return true;
        }
        uint64_t raw = 0;
        if (!resolve(type, id, raw)) return d.fail(refusal_);
        out = reinterpret_cast<T>(raw);
        return true;
    }
    /// Every handle decoded from now until the next command must belong to this device (decision 3: handles
    /// of the right parent). Generated device commands call it with their first parameter's device.
    void expect_device(VkDevice device) { decode_device_ = reinterpret_cast<uint64_t>(device); }
    /// The same for a queue's or command buffer's device, by its id.
    void expect_device_of(uint64_t id);
    void register_object(uint64_t id, VkObjectType type, uint64_t handle, uint64_t owner, VkObjectType parent_type,
                         uint64_t parent);
    void register_object(uint64_t id, VkObjectType type, uint64_t handle, uint64_t owner, int parent_type, uint64_t parent) {
        register_object(id, type, handle, owner, static_cast<VkObjectType>(parent_type), parent);
    }
    void forget_object(VkObjectType type, uint64_t id);
    void forget_objects(VkObjectType type, const uint64_t* handles, uint64_t count);
    void forget_children(VkObjectType type, uint64_t handle);
    void note_async_failure(const char* command, VkResult result);
    static std::string object_type_name(VkObjectType type);

    // ---- used by hooks (overrides.cpp) ----
    uint32_t current_seq() const { return current_seq_; }
    bool current_wants_reply() const { return current_wants_reply_; }
    /// Answers the current command later, from the session's wait pool: step(slice_ns, body) waits at most slice_ns
    /// and returns true once it has written the reply body, false to be called again. Memory updates are appended
    /// when the body's leading VkResult is VK_SUCCESS. device: the one whose objects it waits on; the step must
    /// answer at once when abandoned(device).
    void defer_reply(VkDevice device, std::function<bool(uint64_t slice_ns, protocol::WireEncoder& body)> step);
    /// True when a deferred wait on device must answer now: the session is ending or the device is being destroyed.
    bool abandoned(VkDevice device) const;
    /// Answers every deferred wait on a device about to be destroyed (on the session thread, before it goes).
    void finish_waits(VkDevice device);
    /// What deferred work holds alive: a wait holds what it waits on; destroying a held object cancels the wait
    /// and parks the destroy until the wait has answered (object_holds.h).
    ObjectHolds& holds() { return holds_; }
    /// The VkResult a synchronising command answers: r, or a failure of an earlier asynchronous call not yet
    /// reported (decision 4).
    /// Reported once, then forgotten; r itself when it is already an error.
    VkResult sync_result(protocol::CommandId command, VkResult r);
    /// Threads the wait pool holds now (bounded by WaitPool::kMaxThreads).
    size_t wait_threads() const { return waits_.threads(); }
    /// True once the session is ending: waiters give up.
    bool closing() const { return closing_.load(); }
    std::mutex& instance_mutex() { return instance_mu_; }
    void set_dispatch(const DispatchTable& t) { vk_ = t; has_dispatch_ = true; }
    bool has_dispatch() const { return has_dispatch_; }
    const SessionOptions& options() const { return options_; }
    /// Host-visible allocations and what the client holds of them.
    HostMemories& memories() { return memories_; }
    uint64_t number() const { return number_; }
    /// A fresh id for an object the server names (kServerIdBit set): physical devices.
    uint64_t new_server_id() { return kServerIdBit | next_server_id_++; }
    /// GPU-written ranges larger than this become stale on the client instead of travelling (0: never).
    uint64_t stale_threshold() const { return stale_threshold_.load(); }
    /// Host-visible ranges submitted GPU work may write (the candidates for memory updates).
    GpuWriteTracker& gpu_writes() { return gpu_writes_; }
    /// Acquire signals waiting for the program's next submission (acquire_signals.h).
    AcquireSignals& acquire_signals() { return acquire_signals_; }
    /// The physical device a VkDevice was created from (recorded by the vkCreateDevice hook).
    std::map<VkDevice, VkPhysicalDevice>& device_parents() { return device_parents_; }

private:
    bool handle_frame(const transport::Frame& f, std::string& why);
    bool handle_command(uint32_t id, uint32_t seq, bool wants_reply, protocol::WireDecoder& d, std::string& why);
    bool handle_custom(uint32_t id, protocol::WireDecoder& d, protocol::WireEncoder* reply, std::string& why);
    /// Sends a reply; with_memory appends the memory updates (only first_map's unsent ranges when given).
    void send_reply(uint32_t seq, const protocol::WireEncoder& body, bool with_memory,
                    VkDeviceMemory first_map = VK_NULL_HANDLE, const MemoryFetch* fetch = nullptr);
    void cleanup();
    bool observes_gpu_writes(uint32_t id) const;

    std::unique_ptr<transport::Connection> conn_;
    uint64_t number_;
    SessionOptions options_;
    DispatchTable vk_{};
    bool has_dispatch_ = false;
    ObjectTable objects_;
    protocol::Arena arena_;
    uint32_t current_seq_ = 0;
    bool current_wants_reply_ = false;
    bool deferred_now_ = false;
    uint64_t decode_device_ = 0;  ///< the device the current command's handles must belong to (0: any); session thread
    std::string refusal_;         ///< why resolve() last refused; session thread
    std::atomic<bool> closing_{false};
    std::mutex reply_mu_;  ///< held by send_reply from comparing memory to sending
    std::mutex instance_mu_;
    HostMemories memories_;
    VkDeviceMemory first_map_ = VK_NULL_HANDLE;  ///< set by a MapMemory command for its own reply (session thread)
    MemoryFetch fetch_;                          ///< set by a FetchMemory command for its own reply (session thread)
    std::atomic<uint64_t> stale_threshold_{0};   ///< from MemoryOptions; read by waiter threads too
    std::map<VkDevice, VkPhysicalDevice> device_parents_;
    std::map<VkInstance, uint32_t> instance_versions_;
    DeviceTables devices_{vk_};  ///< reads vk_, so declared after it
    GpuWriteTracker gpu_writes_{devices_};
    AcquireSignals acquire_signals_;
    ObjectHolds holds_;  ///< before waits_ and streamer_, whose work holds objects: it outlives them
    WaitPool waits_;
    mutable std::mutex going_mu_;
    std::set<VkDevice> going_;  ///< devices whose waits finish_waits is answering; guarded by going_mu_
    uint64_t async_failures_ = 0;
    std::atomic<int32_t> pending_async_error_{0};  ///< first unreported failure of an async call (0: none)
    uint64_t next_server_id_ = 1;
    uint64_t token_ = 0;
    std::unique_ptr<FrameStreamer> streamer_;
    friend class SessionHooks;
};

/// Runs one decoded generated command (emitted by codegen into server_dispatch_autogen.cpp).
bool dispatch_generated(Session& s, protocol::CommandId id, protocol::WireDecoder& d, protocol::WireEncoder* reply);
/// Loads every command of the generated scope for an instance.
void load_dispatch_table(DispatchTable& t, PFN_vkGetInstanceProcAddr gipa, VkInstance instance);
/// Destroys one object straight through the driver (retire_children, object_lifetime.h, decides what and when).
void destroy_object(const DispatchTable& t, VkObjectType type, uint64_t handle, uint64_t owner);

}  // namespace anarchy::server
