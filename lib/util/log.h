// dstm::log — the control-plane daemons' log lines: one line per event on stderr (journald and
// container runtimes collect it), "LEVEL: message", no timestamps (the collector adds them).
// Header-only and unsynchronised: each daemon logs from its one event-loop thread.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace dstm::log {

enum class Level { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

inline Level& threshold() {
  static Level level = Level::kInfo;
  return level;
}
inline void set_level(Level level) { threshold() = level; }

inline void write(Level level, std::string_view message) {
  if (level > threshold()) return;
  static constexpr const char* kNames[] = {"error", "warning", "info", "debug"};
  std::string line(kNames[static_cast<int>(level)]);
  line += ": ";
  // One event, one line: control characters from the network never split or forge a line.
  for (char c : message) line += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}
inline void error(std::string_view m) { write(Level::kError, m); }
inline void warning(std::string_view m) { write(Level::kWarning, m); }
inline void info(std::string_view m) { write(Level::kInfo, m); }
inline void debug(std::string_view m) { write(Level::kDebug, m); }

}  // namespace dstm::log
