// `lantern serve` from the command line: the settings table's flags and
// `--config FILE` → ServeOptions (server/cli/serve_settings.h) → RunServe.
//
// `--config` names the YAML configuration file; its default is the path
// the build was configured with (CMake LANTERN_DEFAULT_CONFIG: empty for a
// source build, /etc/lantern/lantern.yaml for the Debian package), and
// `--config=` reads none. A named file must exist. Flags given on the
// command line override the file.
//
// Thread-safety: call once, from main, before any other thread exists.
#ifndef LANTERN_SERVER_CLI_SERVE_COMMAND_H_
#define LANTERN_SERVER_CLI_SERVE_COMMAND_H_

#include "engine/facts/fact_types.h"

namespace lantern {

// REQUIRES: absl::ParseCommandLine(argc, argv) has run. `argv` tells which
// settings were given on the command line (`--NAME`, `--NAME=V`,
// `--NAME V`, `--noNAME`, one dash or two, up to `--`). Exit 2 on a bad
// setting (file:line:col for the file's), else RunServe's exit code.
int RunServeCommand(const FactTypes& types, int argc, char** argv);

}  // namespace lantern

#endif  // LANTERN_SERVER_CLI_SERVE_COMMAND_H_
