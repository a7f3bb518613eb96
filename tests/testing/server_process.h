// ServerProcess: the real `lantern serve` binary as a child process, for
// integration tests.
//
// Start runs it with `--listen 127.0.0.1:0 --metrics_listen 127.0.0.1:0`
// plus the given flags (which may override them), reads its stdout until
// the documented line "lantern serve: listening on HOST:PORT" and keeps
// the port; ReadLine() reads the lines after it (the metrics address).
// Its stderr goes to a file the test can read (log()).
// The destructor kills a process still running. Waiting for the line is
// bounded (a generous safety net for a hung child, not a timing assertion).
//
// Thread-safety: one test thread uses an instance.
#ifndef LANTERN_TESTS_TESTING_SERVER_PROCESS_H_
#define LANTERN_TESTS_TESTING_SERVER_PROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace lantern::testing {

class ServerProcess {
 public:
  // Null (and `*error` says why) when the server did not report a port.
  static std::unique_ptr<ServerProcess> Start(
      const std::string& binary, const std::vector<std::string>& flags,
      const std::string& log_path, std::string* error) {
    int out[2];
    if (pipe(out) != 0) return Fail("pipe failed", error);
    const pid_t pid = fork();
    if (pid < 0) return Fail("fork failed", error);
    if (pid == 0) Exec(binary, flags, log_path, out);
    close(out[1]);
    std::unique_ptr<ServerProcess> server(new ServerProcess(pid, log_path));
    server->stdout_fd_ = out[0];
    const std::string line = server->ReadLine();
    const std::string prefix = "lantern serve: listening on ";
    if (line.rfind(prefix, 0) != 0) {
      return Fail(
          "no listening line; stdout '" + line + "'; stderr:\n" + server->log(),
          error);
    }
    server->address_ = line.substr(prefix.size());
    server->port_ = std::atoi(
        server->address_.substr(server->address_.rfind(':') + 1).c_str());
    return server;
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }

  const std::string& address() const { return address_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  void Signal(int signal) const { kill(pid_, signal); }

  // The exit code once the process ends (-1 if it died of a signal).
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Everything the server wrote on stderr so far.
  std::string log() const {
    std::ifstream in(log_path_);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  ServerProcess(pid_t pid, std::string log_path)
      : pid_(pid), log_path_(std::move(log_path)) {}

  static std::unique_ptr<ServerProcess> Fail(const std::string& why,
                                             std::string* error) {
    *error = why;
    return nullptr;
  }

  [[noreturn]] static void Exec(const std::string& binary,
                                const std::vector<std::string>& flags,
                                const std::string& log_path, int out[2]) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) dup2(log, STDERR_FILENO);
    std::vector<std::string> args = {binary, "serve", "--listen=127.0.0.1:0",
                                     "--metrics_listen=127.0.0.1:0"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }

 public:
  // The next line of stdout, waiting at most 120 s ("" if none came).
  std::string ReadLine() {
    std::string line;
    char c = 0;
    for (;;) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, 120000) <= 0) return line;
      if (read(stdout_fd_, &c, 1) != 1 || c == '\n') return line;
      line.push_back(c);
    }
  }

 private:
  pid_t pid_;
  std::string log_path_;
  int stdout_fd_ = -1;
  std::string address_;
  int port_ = 0;
};

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_SERVER_PROCESS_H_
