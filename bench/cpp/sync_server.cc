// MyService on the C++ sync API (libgrpc++), one of the bench's anchors.
//
// Built the way a C++ service is usually written: the generated
// MyService::Service with blocking handlers, ServerBuilder defaults
// (the sync server's own poller/thread settings, no tuning either way).
#include <string>

#include "server_main.h"
#include "tutorial/v1/my_service.grpc.pb.h"

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;
using tutorial::v1::MyService;
using tutorial::v1::Request;
using tutorial::v1::Response;

namespace {

class SyncService final : public MyService::Service {
  Status UnaryCall(ServerContext *, const Request *req, Response *resp) override {
    if (req->id().empty()) return Status(StatusCode::INVALID_ARGUMENT, "id is required");
    resp->set_success(true);
    resp->set_message("Processed: " + req->id());
    return Status::OK;
  }

  Status ServerStream(ServerContext *ctx, const Request *req,
                      grpc::ServerWriter<Response> *writer) override {
    if (req->id().empty()) return Status(StatusCode::INVALID_ARGUMENT, "id is required");
    Response resp;
    resp.set_success(true);
    const std::string prefix = "Processed: " + req->id() + " #";
    for (int i = 1; i <= req->value(); i++) {
      resp.set_message(prefix + std::to_string(i));
      if (!writer->Write(resp)) break;
    }
    if (ctx->IsCancelled()) return Status::CANCELLED;
    return Status::OK;
  }

  Status ClientStream(ServerContext *, grpc::ServerReader<Request> *reader,
                      Response *resp) override {
    Request req;
    long count = 0;
    while (reader->Read(&req)) {
      if (req.id().empty()) return Status(StatusCode::INVALID_ARGUMENT, "id is required");
      count++;
    }
    resp->set_success(true);
    resp->set_message("Received: " + std::to_string(count));
    return Status::OK;
  }

  Status BidirectionalStream(ServerContext *,
                             grpc::ServerReaderWriter<Response, Request> *stream) override {
    Request req;
    Response resp;
    resp.set_success(true);
    while (stream->Read(&req)) {
      if (req.id().empty()) return Status(StatusCode::INVALID_ARGUMENT, "id is required");
      resp.set_message(req.id());
      if (!stream->Write(resp)) break;
    }
    return Status::OK;
  }
};

}  // namespace

int main(int argc, char **argv) {
  SyncService service;
  return bench::Serve(argc, argv, &service, [](grpc::ServerBuilder &) {});
}
