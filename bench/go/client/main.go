// The grpc-go client of `make bench-client` (Debian's golang-google-grpc-dev
// 1.33): THREADS goroutines on one ClientConn calling back to back, the
// same work, measured window, verification and output line as
// bench/c/bench_client.c.
//
// Usage: go_client TARGET unary|stream THREADS SECONDS WARMUP
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"

	pb "bench.local/tutorialpb"
)

const (
	id      = "bench-0001"
	streamN = 1000
)

var (
	stop     int32
	reported sync.Once
	epoch    = time.Now()
)

type span struct{ start, end int64 }

type lane struct {
	spans  []span
	errors int
}

func (l *lane) fail(what string) {
	l.errors++
	reported.Do(func() { fmt.Fprintf(os.Stderr, "go_client: %s\n", what) })
}

func nowNs() int64 { return int64(time.Since(epoch)) }

func cpuNow() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func unaryOnce(c pb.MyServiceClient, l *lane) bool {
	resp, err := c.UnaryCall(context.Background(), &pb.Request{Id: id})
	if err != nil {
		l.fail(err.Error())
		return false
	}
	if !resp.GetSuccess() || resp.GetMessage() != "Processed: "+id {
		l.fail("UnaryCall: wrong response")
		return false
	}
	return true
}

func streamOnce(c pb.MyServiceClient, l *lane) bool {
	st, err := c.ServerStream(context.Background(), &pb.Request{Id: id, Value: streamN})
	if err != nil {
		l.fail(err.Error())
		return false
	}
	i, good := 0, true
	for {
		r, err := st.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			l.fail(err.Error())
			return false
		}
		i++
		if !r.GetSuccess() || r.GetMessage() != "Processed: "+id+" #"+strconv.Itoa(i) {
			good = false
		}
	}
	if !good || i != streamN {
		l.fail("ServerStream: wrong responses")
		return false
	}
	return true
}

func main() {
	if len(os.Args) != 6 || (os.Args[2] != "unary" && os.Args[2] != "stream") {
		fmt.Fprintf(os.Stderr, "usage: %s TARGET unary|stream THREADS SECONDS WARMUP\n", os.Args[0])
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Args[3])
	seconds, _ := strconv.ParseFloat(os.Args[4], 64)
	warmup, _ := strconv.ParseFloat(os.Args[5], 64)
	if n < 1 || seconds <= 0 || warmup < 0 {
		fmt.Fprintln(os.Stderr, "go_client: THREADS >= 1, SECONDS > 0, WARMUP >= 0")
		os.Exit(2)
	}
	stream := os.Args[2] == "stream"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	conn, err := grpc.DialContext(ctx, os.Args[1], grpc.WithInsecure(), grpc.WithBlock())
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_client: cannot connect to %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	defer conn.Close()
	client := pb.NewMyServiceClient(conn)

	lanes := make([]lane, n)
	var wg sync.WaitGroup
	for i := range lanes {
		wg.Add(1)
		go func(l *lane) {
			defer wg.Done()
			for atomic.LoadInt32(&stop) == 0 {
				t0 := nowNs()
				var ok bool
				if stream {
					ok = streamOnce(client, l)
				} else {
					ok = unaryOnce(client, l)
				}
				if ok {
					l.spans = append(l.spans, span{t0, nowNs()})
				}
			}
		}(&lanes[i])
	}
	time.Sleep(time.Duration(warmup * float64(time.Second)))
	t0, c0 := nowNs(), cpuNow()
	time.Sleep(time.Duration(seconds * float64(time.Second)))
	t1, c1 := nowNs(), cpuNow()
	atomic.StoreInt32(&stop, 1)
	wg.Wait()

	var lat []int64
	errors := 0
	var sum float64
	for _, l := range lanes {
		errors += l.errors
		for _, s := range l.spans {
			if s.start >= t0 && s.end <= t1 {
				lat = append(lat, s.end-s.start)
				sum += float64(s.end - s.start)
			}
		}
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	k := len(lat)
	mean, p99 := 0.0, 0.0
	if k > 0 {
		mean = sum / float64(k) / 1e3
		j := k * 99 / 100
		if j > k-1 {
			j = k - 1
		}
		p99 = float64(lat[j]) / 1e3
	}
	per := 1
	if stream {
		per = streamN
	}
	fmt.Printf("result calls=%d msgs=%d errors=%d mean_us=%.1f p99_us=%.1f cpu_s=%.4f wall_s=%.4f\n",
		k, k*per, errors, mean, p99, c1-c0, float64(t1-t0)/1e9)
}
