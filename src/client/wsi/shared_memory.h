// Anonymous shared memory (memfd) mapped into this process, to be handed to a display server by file descriptor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace anarchy::client::wsi {

/// A memfd of a fixed size and its read-write mapping; unmapped and closed on destruction.
class SharedMemory {
public:
    /// Creates and maps `size` bytes; nullptr (logged) when the system refuses.
    static std::unique_ptr<SharedMemory> create(size_t size, const char* debug_name);
    ~SharedMemory();
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;

    uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    /// The memfd; still owned by this object (dup it before handing it to something that closes it).
    int fd() const { return fd_; }

private:
    SharedMemory(int fd, uint8_t* data, size_t size) : fd_(fd), data_(data), size_(size) {}
    int fd_;
    uint8_t* data_;
    size_t size_;
};

}  // namespace anarchy::client::wsi
