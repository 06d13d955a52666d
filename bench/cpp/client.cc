// The C++ clients of `make bench-client` (libgrpc++ 1.51), the same work as
// bench/c/bench_client.c, on either API:
//   sync      THREADS threads, each calling the blocking stub back to back
//   callback  THREADS call chains on the callback API (stub->async()): each
//             call's completion starts the chain's next call, on gRPC's
//             own threads; THREADS calls in flight, like the sync client
// All on one channel. Scenarios, the measured window, the verification and
// the output line are those of bench_client.c.
//
// Usage: cpp_client sync|callback TARGET unary|stream THREADS SECONDS WARMUP
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "tutorial/v1/my_service.grpc.pb.h"

using tutorial::v1::MyService;
using tutorial::v1::Request;
using tutorial::v1::Response;

namespace {

const char kId[] = "bench-0001";
const int kStreamN = 1000;

std::atomic<bool> stop{false};
std::once_flag reported;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double CpuNow() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

struct Lane {
  std::vector<std::pair<int64_t, int64_t>> spans;
  long errors = 0;
  void Fail(const std::string &what) {
    errors++;
    std::call_once(reported, [&] { std::fprintf(stderr, "cpp_client: %s\n", what.c_str()); });
  }
};

bool UnaryOk(const grpc::Status &s, const Response &r, Lane *lane) {
  if (!s.ok()) {
    lane->Fail(s.error_message());
    return false;
  }
  if (!r.success() || r.message() != std::string("Processed: ") + kId) {
    lane->Fail("UnaryCall: wrong response");
    return false;
  }
  return true;
}

bool StreamMsgOk(const Response &r, int i) {
  return r.success() && r.message() == std::string("Processed: ") + kId + " #" + std::to_string(i);
}

Request MakeRequest(bool stream) {
  Request req;
  req.set_id(kId);
  if (stream) req.set_value(kStreamN);
  return req;
}

// ---- sync API: one thread per lane.
void SyncLane(MyService::Stub *stub, bool stream, Lane *lane) {
  const Request req = MakeRequest(stream);
  while (!stop.load()) {
    int64_t t0 = NowNs();
    grpc::ClientContext ctx;
    Response resp;
    bool ok;
    if (!stream) {
      ok = UnaryOk(stub->UnaryCall(&ctx, req, &resp), resp, lane);
    } else {
      auto reader = stub->ServerStream(&ctx, req);
      int i = 0;
      bool good = true;
      while (reader->Read(&resp)) good = StreamMsgOk(resp, ++i) && good;
      grpc::Status s = reader->Finish();
      ok = s.ok() && good && i == kStreamN;
      if (!ok) lane->Fail(s.ok() ? "ServerStream: wrong responses" : s.error_message());
    }
    if (ok) lane->spans.emplace_back(t0, NowNs());
  }
}

// ---- callback API: call chains.
struct Chains {
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  void Done() {
    std::lock_guard<std::mutex> l(mu);
    if (--running == 0) cv.notify_all();
  }
};

class UnaryChain {
 public:
  UnaryChain(MyService::Stub *stub, Lane *lane, Chains *chains)
      : stub_(stub), lane_(lane), chains_(chains), req_(MakeRequest(false)) {}
  void Next() {
    if (stop.load()) {
      chains_->Done();
      return;
    }
    ctx_ = std::make_unique<grpc::ClientContext>();
    resp_.Clear();
    t0_ = NowNs();
    stub_->async()->UnaryCall(ctx_.get(), &req_, &resp_, [this](grpc::Status s) {
      if (UnaryOk(s, resp_, lane_)) lane_->spans.emplace_back(t0_, NowNs());
      Next();
    });
  }

 private:
  MyService::Stub *stub_;
  Lane *lane_;
  Chains *chains_;
  Request req_;
  Response resp_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  int64_t t0_ = 0;
};

class StreamCall final : public grpc::ClientReadReactor<Response> {
 public:
  StreamCall(MyService::Stub *stub, Lane *lane, Chains *chains)
      : stub_(stub), lane_(lane), chains_(chains), req_(MakeRequest(true)), t0_(NowNs()) {
    stub_->async()->ServerStream(&ctx_, &req_, this);
    StartRead(&resp_);
    StartCall();
  }
  static void Next(MyService::Stub *stub, Lane *lane, Chains *chains) {
    if (stop.load()) {
      chains->Done();
      return;
    }
    new StreamCall(stub, lane, chains);
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    good_ = StreamMsgOk(resp_, ++i_) && good_;
    StartRead(&resp_);
  }
  void OnDone(const grpc::Status &s) override {
    if (!s.ok()) {
      lane_->Fail(s.error_message());
    } else if (!good_ || i_ != kStreamN) {
      lane_->Fail("ServerStream: wrong responses");
    } else {
      lane_->spans.emplace_back(t0_, NowNs());
    }
    Next(stub_, lane_, chains_);
    delete this;
  }

 private:
  MyService::Stub *stub_;
  Lane *lane_;
  Chains *chains_;
  Request req_;
  Response resp_;
  grpc::ClientContext ctx_;
  int64_t t0_;
  int i_ = 0;
  bool good_ = true;
};

void SleepS(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

int main(int argc, char **argv) {
  if (argc != 7 || (std::strcmp(argv[1], "sync") != 0 && std::strcmp(argv[1], "callback") != 0) ||
      (std::strcmp(argv[3], "unary") != 0 && std::strcmp(argv[3], "stream") != 0)) {
    std::fprintf(stderr, "usage: %s sync|callback TARGET unary|stream THREADS SECONDS WARMUP\n",
                 argv[0]);
    return 2;
  }
  const bool callback = std::strcmp(argv[1], "callback") == 0;
  const bool stream = std::strcmp(argv[3], "stream") == 0;
  const int n = std::atoi(argv[4]);
  const double seconds = std::atof(argv[5]), warmup = std::atof(argv[6]);
  if (n < 1 || seconds <= 0 || warmup < 0) {
    std::fprintf(stderr, "cpp_client: THREADS >= 1, SECONDS > 0, WARMUP >= 0\n");
    return 2;
  }
  auto channel = grpc::CreateChannel(argv[2], grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "cpp_client: cannot connect to %s\n", argv[2]);
    return 1;
  }
  auto stub = MyService::NewStub(channel);
  std::vector<Lane> lanes(n);
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<UnaryChain>> chains_unary;
  Chains chains;
  chains.running = n;
  for (int i = 0; i < n; i++) {
    if (!callback) {
      threads.emplace_back(SyncLane, stub.get(), stream, &lanes[i]);
    } else if (stream) {
      StreamCall::Next(stub.get(), &lanes[i], &chains);
    } else {
      chains_unary.push_back(std::make_unique<UnaryChain>(stub.get(), &lanes[i], &chains));
      chains_unary.back()->Next();
    }
  }
  SleepS(warmup);
  const int64_t t0 = NowNs();
  const double c0 = CpuNow();
  SleepS(seconds);
  const int64_t t1 = NowNs();
  const double c1 = CpuNow();
  stop.store(true);
  for (auto &t : threads) t.join();
  if (callback) {
    std::unique_lock<std::mutex> l(chains.mu);
    chains.cv.wait(l, [&] { return chains.running == 0; });
  }

  std::vector<int64_t> lat;
  long errors = 0;
  double sum = 0;
  for (auto &lane : lanes) {
    errors += lane.errors;
    for (auto &sp : lane.spans)
      if (sp.first >= t0 && sp.second <= t1) {
        lat.push_back(sp.second - sp.first);
        sum += static_cast<double>(sp.second - sp.first);
      }
  }
  std::sort(lat.begin(), lat.end());
  const size_t k = lat.size();
  const double p99 = k ? lat[std::min(k - 1, k * 99 / 100)] / 1e3 : 0;
  std::printf("result calls=%zu msgs=%zu errors=%ld mean_us=%.1f p99_us=%.1f cpu_s=%.4f "
              "wall_s=%.4f\n",
              k, k * (stream ? kStreamN : 1), errors, k ? sum / k / 1e3 : 0, p99, c1 - c0,
              (t1 - t0) / 1e9);
  return 0;
}
