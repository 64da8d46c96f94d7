#include "cli/stats_summary.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace anarchy::cli {

namespace {

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) out.push_back(cell);
    return out;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[size_t(p * double(v.size() - 1) + 0.5)];
}

}  // namespace

bool print_stats_summary(const std::string& csv_path, std::FILE* out, std::string* error) {
    std::ifstream in(csv_path);
    if (!in) {
        *error = "cannot read " + csv_path;
        return false;
    }
    std::string line;
    if (!std::getline(in, line)) {
        *error = csv_path + " is empty: no frame was presented";
        return false;
    }
    const std::vector<std::string> header = split(line);
    std::map<std::string, size_t> col;
    for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
    for (const char* needed : {"dropped", "bytes", "total_us"})
        if (!col.count(needed)) {
            *error = csv_path + " has no column " + needed;
            return false;
        }
    const char* stages[] = {"render_us", "capture_us", "encode_us", "send_us", "transfer_us", "decode_us", "decode_last_us",
                            "wait_us", "present_us", "total_us"};
    std::map<std::string, std::vector<double>> values;
    std::vector<double> bytes;
    size_t frames = 0, dropped = 0;
    while (std::getline(in, line)) {
        auto cells = split(line);
        if (cells.size() != header.size()) continue;  // a row being written while we read
        if (cells[col["dropped"]] == "1") {
            ++dropped;
            continue;
        }
        ++frames;
        bytes.push_back(std::stod(cells[col["bytes"]]));
        for (const char* s : stages)
            if (col.count(s)) values[s].push_back(std::stod(cells[col[s]]) / 1000.0);
    }
    if (frames == 0) {
        *error = csv_path + ": no frame was displayed (" + std::to_string(dropped) + " dropped)";
        return false;
    }
    double mean_bytes = 0;
    for (double b : bytes) mean_bytes += b;
    mean_bytes /= double(bytes.size());
    std::fprintf(out, "anarchy: %zu frames displayed, %zu dropped, %.1f KB per frame on average\n", frames, dropped,
                 mean_bytes / 1024.0);
    std::fprintf(out, "anarchy: %-10s %9s %9s   (milliseconds per frame)\n", "stage", "p50", "p99");
    for (const char* s : stages) {
        const auto& v = values[s];
        std::string name(s);
        name.resize(name.size() - 3);  // drop "_us"
        std::fprintf(out, "anarchy: %-10s %9.2f %9.2f\n", name.c_str(), percentile(v, 0.5), percentile(v, 0.99));
    }
    return true;
}

}  // namespace anarchy::cli
