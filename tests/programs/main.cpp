// anarchy_testprog <name> --out FILE: runs one test program and writes its output to FILE.
// Exit status 0 on success; 1 with a message on stderr when a Vulkan call or a self-check fails; 2 on bad usage.
#include "programs.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

using namespace anarchy::testprog;

namespace {

int usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s <program> --out FILE\nprograms:\n", argv0);
    for (const Program& program : kPrograms) std::fprintf(stderr, "  %-12s %s\n", program.name, program.output);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 || std::strcmp(argv[2], "--out") != 0) return usage(argv[0]);
    const Program* program = nullptr;
    for (const Program& candidate : kPrograms)
        if (std::strcmp(candidate.name, argv[1]) == 0) program = &candidate;
    if (!program) {
        std::fprintf(stderr, "anarchy_testprog: unknown program '%s'\n", argv[1]);
        return usage(argv[0]);
    }
    const std::string out_path = argv[3];
    // A failed run must not leave an earlier run's output behind to be compared.
    std::error_code ignored;
    std::filesystem::remove(out_path, ignored);

    try {
        Output output;
        {
            TestContext ctx(program->needs);
            std::printf("anarchy_testprog %s on %s\n", program->name, ctx.properties().deviceName);
            output = program->run(ctx);
            if (program->exits_without_teardown) {
                // As a program that never cleans up: the context's destructor does not run.
                write_output_file(out_path, output);
                std::printf("anarchy_testprog %s: wrote %zu bytes to %s\n", program->name, output.size(), out_path.c_str());
                std::fflush(stdout);
                std::exit(0);
            }
        }
        write_output_file(out_path, output);
        std::printf("anarchy_testprog %s: wrote %zu bytes to %s\n", program->name, output.size(), out_path.c_str());
        return 0;
    } catch (const Unsupported& unsupported) {
        std::fflush(stdout);
        std::fprintf(stderr, "anarchy_testprog %s: UNSUPPORTED: %s\n", program->name, unsupported.what());
        return 77;
    } catch (const std::exception& error) {
        std::fflush(stdout);
        std::fprintf(stderr, "anarchy_testprog %s: FAILED: %s\n", program->name, error.what());
        return 1;
    }
}
