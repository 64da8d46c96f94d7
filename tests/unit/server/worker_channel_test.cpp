// The pieces a session's worker process is built from: a client's socket handed over with what was already read
// of it, messages with descriptors between server and worker, and the status page the watchdog reads.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include <unistd.h>

#include "protocol/messages.h"
#include "server/watched_connection.h"
#include "server/worker_channel.h"
#include "server/worker_status.h"
#include "transport/connection.h"
#include "vk_schema_autogen.h"

namespace anarchy::server {
namespace {

using namespace std::chrono_literals;

struct Loopback {
    std::unique_ptr<transport::Listener> listener;
    std::unique_ptr<transport::Connection> client, server;
};

Loopback connect_loopback() {
    Loopback l;
    l.listener = transport::tcp_listen("127.0.0.1:0");
    EXPECT_TRUE(l.listener);
    std::thread t([&] { l.server = l.listener->accept(); });
    l.client = transport::tcp_connect("127.0.0.1:" + std::to_string(l.listener->port()), 3000ms);
    t.join();
    EXPECT_TRUE(l.client && l.server);
    return l;
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

TEST(TcpHandover, DetachedSocketKeepsWorkingWithWhatWasAlreadyRead) {
    Loopback l = connect_loopback();
    // Two frames in one write: the first receive reads both into the connection's buffer.
    ASSERT_TRUE(l.client->send(transport::FrameType::Hello, bytes_of("hello")));
    ASSERT_TRUE(l.client->send(transport::FrameType::Commands, bytes_of("first commands")));
    transport::Frame f;
    ASSERT_TRUE(l.server->receive(f, 3000ms));
    EXPECT_EQ(f.type, transport::FrameType::Hello);
    std::this_thread::sleep_for(50ms);

    transport::DetachedSocket s;
    std::string err;
    ASSERT_TRUE(transport::tcp_detach(*l.server, &s, &err)) << err;
    EXPECT_FALSE(l.server->is_open());
    l.server.reset();  // closing the old owner must not shut the socket down

    auto adopted = transport::tcp_adopt(std::move(s));
    ASSERT_TRUE(adopted->receive(f, 3000ms, &err)) << err;
    EXPECT_EQ(f.type, transport::FrameType::Commands);
    EXPECT_EQ(f.payload, bytes_of("first commands"));
    ASSERT_TRUE(l.client->send(transport::FrameType::Commands, bytes_of("later")));
    ASSERT_TRUE(adopted->receive(f, 3000ms, &err)) << err;
    EXPECT_EQ(f.payload, bytes_of("later"));
    ASSERT_TRUE(adopted->send(transport::FrameType::Reply, bytes_of("answer")));
    ASSERT_TRUE(l.client->receive(f, 3000ms, &err)) << err;
    EXPECT_EQ(f.payload, bytes_of("answer"));
    // A closed connection has no socket to give.
    adopted->close();
    EXPECT_FALSE(transport::tcp_detach(*adopted, &s, nullptr));
}

TEST(WorkerChannel, MessagesCarryDescriptors) {
    int pair[2];
    std::string err;
    ASSERT_TRUE(worker_socket_pair(pair, &err)) << err;
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);

    WorkerStart start;
    start.number = 7;
    start.device_index = 2;
    start.host_description = "127.0.0.1:7400";
    start.peer = "127.0.0.1:5555";
    start.unread = {1, 2, 3};
    start.max_open_files = 1024;
    protocol::WireEncoder e;
    start.encode(e);
    ASSERT_TRUE(send_worker_message(pair[0], e.bytes(), {pipe_fds[1]}, &err)) << err;
    ::close(pipe_fds[1]);

    std::vector<uint8_t> got;
    std::vector<int> fds;
    ASSERT_EQ(receive_worker_message(pair[1], got, fds, &err), WorkerReceive::Ok) << err;
    ASSERT_EQ(fds.size(), 1u);
    protocol::WireDecoder d(got.data(), got.size(), nullptr);
    uint32_t kind = 0;
    WorkerStart back;
    ASSERT_TRUE(d.u32(kind) && back.decode(d));
    EXPECT_EQ(kind, static_cast<uint32_t>(WorkerMessage::Start));
    EXPECT_EQ(back.number, 7u);
    EXPECT_EQ(back.device_index, 2u);
    EXPECT_EQ(back.host_description, start.host_description);
    EXPECT_EQ(back.peer, start.peer);
    EXPECT_EQ(back.unread, start.unread);
    EXPECT_EQ(back.max_open_files, 1024u);
    // The descriptor that came is the pipe's write end.
    ASSERT_EQ(::write(fds[0], "x", 1), 1);
    char c = 0;
    ASSERT_EQ(::read(pipe_fds[0], &c, 1), 1);
    EXPECT_EQ(c, 'x');
    ::close(fds[0]);
    ::close(pipe_fds[0]);

    // The server's end closing is how a worker learns the server is gone.
    ::close(pair[0]);
    EXPECT_EQ(receive_worker_message(pair[1], got, fds, &err), WorkerReceive::Closed);
    ::close(pair[1]);
}

TEST(WorkerChannel, RefusesOversizedMessages) {
    int pair[2];
    ASSERT_TRUE(worker_socket_pair(pair, nullptr));
    std::string err;
    EXPECT_FALSE(send_worker_message(pair[0], std::vector<uint8_t>(kMaxWorkerMessage + 1), {}, &err));
    EXPECT_FALSE(err.empty());
    ::close(pair[0]);
    ::close(pair[1]);
}

TEST(WorkerStatus, DescribesWhatTheSessionThreadDoes) {
    WorkerStatus s;
    EXPECT_EQ(read_worker_status(s).activity, WorkerActivity::Waiting);
    const uint64_t before = monotonic_ns();
    write_worker_status(s, WorkerActivity::Commands, 3, static_cast<uint32_t>(protocol::CommandId::vkDeviceWaitIdle));
    WorkerStatusSnapshot snap = read_worker_status(s);
    EXPECT_EQ(snap.activity, WorkerActivity::Commands);
    EXPECT_GE(snap.since_ns, before);
    EXPECT_EQ(snap.describe(), "a batch of 3 commands ending with vkDeviceWaitIdle");
    write_worker_status(s, WorkerActivity::CleanUp);
    EXPECT_EQ(read_worker_status(s).describe(), "the session's clean-up");
}

TEST(WatchedConnection, CountsTheCommandsOfABatch) {
    protocol::WireEncoder e;
    auto command = [&](protocol::CommandId id, uint32_t size) {
        e.u32(static_cast<uint32_t>(id) | protocol::kWantsReply);
        e.u32(size);
        for (uint32_t i = 0; i < size; ++i) e.u8(0);
    };
    command(protocol::CommandId::vkCreateFence, 12);
    command(protocol::CommandId::vkQueueWaitIdle, 8);
    uint32_t commands = 0, last = 0;
    summarise_batch(e.bytes(), commands, last);
    EXPECT_EQ(commands, 2u);
    EXPECT_EQ(last, static_cast<uint32_t>(protocol::CommandId::vkQueueWaitIdle));
    // A length running past the end stops the count (the session reports it).
    e.u32(static_cast<uint32_t>(protocol::CommandId::vkDeviceWaitIdle));
    e.u32(1000);
    summarise_batch(e.bytes(), commands, last);
    EXPECT_EQ(commands, 3u);
}

TEST(WatchedConnection, MarksTheSessionThreadBusyBetweenReceives) {
    Loopback l = connect_loopback();
    WorkerStatus status;
    WatchedConnection watched(std::move(l.server), &status);
    protocol::WireEncoder e;
    e.u32(static_cast<uint32_t>(protocol::CommandId::vkDeviceWaitIdle));
    e.u32(0);
    ASSERT_TRUE(l.client->send(transport::FrameType::Commands, e.bytes()));
    transport::Frame f;
    ASSERT_TRUE(watched.receive(f, 3000ms, nullptr, nullptr));
    EXPECT_EQ(read_worker_status(status).describe(), "the command vkDeviceWaitIdle");
    l.client->close();
    EXPECT_FALSE(watched.receive(f, 3000ms, nullptr, nullptr));
    EXPECT_EQ(read_worker_status(status).activity, WorkerActivity::CleanUp);
}

}  // namespace
}  // namespace anarchy::server
