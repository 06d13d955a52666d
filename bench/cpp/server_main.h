// server_main.h: what both C++ bench servers share: --listen parsing, the
// "listening on HOST:PORT" line, and a clean exit on SIGTERM/SIGINT.
//
// The signals are blocked before gRPC starts any thread, so every thread
// inherits the mask and the main thread alone receives them via sigwait():
// no async-signal-safety puzzles, no polling loop.
#ifndef BENCH_SERVER_MAIN_H
#define BENCH_SERVER_MAIN_H

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

namespace bench {

inline std::string ParseListen(int argc, char **argv) {
  std::string addr = "0.0.0.0:50051";
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      addr = argv[++i];
    } else if (std::strncmp(argv[i], "--listen=", 9) == 0) {
      addr = argv[i] + 9;
    } else {
      std::fprintf(stderr, "usage: %s [--listen HOST:PORT]\n", argv[0]);
      std::exit(2);
    }
  }
  return addr;
}

// Builds and starts the server with `service`, prints the listening line,
// waits for SIGTERM/SIGINT, shuts down (1 s grace) and returns the exit code.
// `tune` may adjust the builder (thread settings and the like).
template <typename Tune>
int Serve(int argc, char **argv, grpc::Service *service, Tune tune) {
  std::string addr = ParseListen(argc, argv);

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(addr, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service);
  tune(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "cannot listen on %s\n", addr.c_str());
    return 1;
  }
  std::string host = addr.substr(0, addr.rfind(':'));
  std::printf("listening on %s:%d\n", host.c_str(), port);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&sigs, &sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->Wait();
  return 0;
}

}  // namespace bench

#endif
