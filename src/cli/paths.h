// Where the anarchy binary's companions (driver manifest, demo scene) live.
#pragma once

#include <string>

namespace anarchy::cli {

/// Folder holding the running executable.
std::string executable_dir();
/// The client driver's manifest (anarchy_icd.json), or "" if it cannot be found.
std::string find_icd_manifest();
/// A companion program built with anarchy (searched next to it and in the build tree), or "".
std::string find_companion(const std::string& name);

}  // namespace anarchy::cli
