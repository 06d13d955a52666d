// MyService on the C++ callback API (libgrpc++), the bench's main anchor.
//
// The generated MyService::CallbackService with reactors, as the gRPC docs
// recommend for new C++ servers: handlers run on the library's own default
// executor, unary calls finish inline through the default reactor, streams
// are driven by OnWriteDone/OnReadDone. No tuning either way.
#include <string>

#include "server_main.h"
#include "tutorial/v1/my_service.grpc.pb.h"

using grpc::CallbackServerContext;
using grpc::Status;
using grpc::StatusCode;
using tutorial::v1::MyService;
using tutorial::v1::Request;
using tutorial::v1::Response;

namespace {

const Status kIdRequired(StatusCode::INVALID_ARGUMENT, "id is required");

// ServerStream: `value` responses, one write in flight at a time; the last
// one goes out together with the status.
class Streamer final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit Streamer(const Request *req)
      : prefix_("Processed: " + req->id() + " #"), n_(req->value()) {
    resp_.set_success(true);
    Next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(Status(StatusCode::CANCELLED, "client gone"));
      return;
    }
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (i_ >= n_) {
      Finish(Status::OK);
      return;
    }
    i_++;
    resp_.set_message(prefix_ + std::to_string(i_));
    if (i_ == n_) {
      StartWriteAndFinish(&resp_, grpc::WriteOptions(), Status::OK);
    } else {
      StartWrite(&resp_);
    }
  }
  std::string prefix_;
  int n_;
  int i_ = 0;
  Response resp_;
};

// ClientStream: counts the requests, answers once the client half-closes.
class Counter final : public grpc::ServerReadReactor<Request> {
 public:
  explicit Counter(Response *resp) : resp_(resp) { StartRead(&req_); }
  void OnReadDone(bool ok) override {
    if (!ok) {
      resp_->set_success(true);
      resp_->set_message("Received: " + std::to_string(count_));
      Finish(Status::OK);
      return;
    }
    if (req_.id().empty()) {
      Finish(kIdRequired);
      return;
    }
    count_++;
    StartRead(&req_);
  }
  void OnDone() override { delete this; }

 private:
  Response *resp_;
  Request req_;
  long count_ = 0;
};

// BidirectionalStream: echoes each request's id back.
class Echo final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  Echo() {
    resp_.set_success(true);
    StartRead(&req_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(Status::OK);
      return;
    }
    if (req_.id().empty()) {
      Finish(kIdRequired);
      return;
    }
    resp_.set_message(req_.id());
    StartWrite(&resp_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(Status(StatusCode::CANCELLED, "client gone"));
      return;
    }
    StartRead(&req_);
  }
  void OnDone() override { delete this; }

 private:
  Request req_;
  Response resp_;
};

// A reactor that only reports a status (for errors before any I/O).
class Failed final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit Failed(const Status &s) { Finish(s); }
  void OnDone() override { delete this; }
};

class CallbackService final : public MyService::CallbackService {
  grpc::ServerUnaryReactor *UnaryCall(CallbackServerContext *ctx, const Request *req,
                                      Response *resp) override {
    grpc::ServerUnaryReactor *r = ctx->DefaultReactor();
    if (req->id().empty()) {
      r->Finish(kIdRequired);
      return r;
    }
    resp->set_success(true);
    resp->set_message("Processed: " + req->id());
    r->Finish(Status::OK);
    return r;
  }

  grpc::ServerWriteReactor<Response> *ServerStream(CallbackServerContext *,
                                                   const Request *req) override {
    if (req->id().empty()) return new Failed(kIdRequired);
    return new Streamer(req);
  }

  grpc::ServerReadReactor<Request> *ClientStream(CallbackServerContext *,
                                                 Response *resp) override {
    return new Counter(resp);
  }

  grpc::ServerBidiReactor<Request, Response> *BidirectionalStream(
      CallbackServerContext *) override {
    return new Echo();
  }
};

}  // namespace

int main(int argc, char **argv) {
  CallbackService service;
  return bench::Serve(argc, argv, &service, [](grpc::ServerBuilder &) {});
}
