// Names the calling thread, so `top -H`, gdb and perf tell the session thread, the encoder, the codec pool and the
// client's receivers apart (every thread of a process otherwise shows the program's name).
#pragma once

namespace anarchy {

/// At most 15 characters count (Linux's limit); a longer name is cut. Does nothing where the system cannot.
void set_thread_name(const char* name);

}  // namespace anarchy
