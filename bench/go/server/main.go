// MyService on grpc-go (Debian's golang-google-grpc-dev 1.33), the bench's
// third anchor: the same service as bench/c and bench/cpp, server defaults,
// stubs generated at build time by protoc-gen-go and protoc-gen-go-grpc
// (mk/bench.mk). Takes --listen ADDR, prints "listening on HOST:PORT",
// exits 0 on SIGTERM/SIGINT (1 s of graceful stop, then a hard stop).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "bench.local/tutorialpb"
)

var errIDRequired = status.Error(codes.InvalidArgument, "id is required")

type service struct {
	pb.UnimplementedMyServiceServer
}

func (service) UnaryCall(_ context.Context, req *pb.Request) (*pb.Response, error) {
	if req.GetId() == "" {
		return nil, errIDRequired
	}
	return &pb.Response{Success: true, Message: "Processed: " + req.GetId()}, nil
}

// ServerStream: `value` responses "Processed: <id> #<i>", i = 1..value.
func (service) ServerStream(req *pb.Request, stream pb.MyService_ServerStreamServer) error {
	if req.GetId() == "" {
		return errIDRequired
	}
	prefix := "Processed: " + req.GetId() + " #"
	resp := &pb.Response{Success: true}
	for i := 1; i <= int(req.GetValue()); i++ {
		resp.Message = prefix + strconv.Itoa(i)
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
	return nil
}

// ClientStream: counts the requests, answers "Received: <count>".
func (service) ClientStream(stream pb.MyService_ClientStreamServer) error {
	count := 0
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&pb.Response{Success: true,
				Message: "Received: " + strconv.Itoa(count)})
		}
		if err != nil {
			return err
		}
		if req.GetId() == "" {
			return errIDRequired
		}
		count++
	}
}

// BidirectionalStream: echoes each request's id.
func (service) BidirectionalStream(stream pb.MyService_BidirectionalStreamServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if req.GetId() == "" {
			return errIDRequired
		}
		if err := stream.Send(&pb.Response{Success: true, Message: req.GetId()}); err != nil {
			return err
		}
	}
}

func main() {
	listen := flag.String("listen", "0.0.0.0:50051", "HOST:PORT to listen on")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "usage: %s [--listen HOST:PORT]\n", os.Args[0])
		os.Exit(2)
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot listen on %s: %v\n", *listen, err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	s := grpc.NewServer()
	pb.RegisterMyServiceServer(s, service{})
	served := make(chan error, 1)
	go func() { served <- s.Serve(lis) }()

	host, _, _ := net.SplitHostPort(*listen)
	fmt.Printf("listening on %s:%d\n", host, lis.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()

	select {
	case <-sigs:
	case err := <-served:
		fmt.Fprintf(os.Stderr, "serve: %v\n", err)
		os.Exit(1)
	}
	stopped := make(chan struct{})
	go func() { s.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Second):
		s.Stop()
	}
}
