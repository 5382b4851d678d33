package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Load is one load run over keep-alive connections, for Warmup (not recorded) and
// then Duration (recorded). Without a Rate it is a closed loop: Clients goroutines
// each send a request, wait for the whole response and send the next at once, so
// the run saturates the machine and latency is mostly queueing. With a Rate the
// clients pace themselves to Rate requests per second in all: each sends on its own
// schedule, and a request sent late because the previous one was slow is timed
// from when it should have been sent, so a stall is not hidden (no coordinated
// omission).
type Load struct {
	// BaseURL is the application's http://host:port.
	BaseURL string
	// Token is sent as "Authorization: Bearer <Token>".
	Token    string
	Clients  int
	Warmup   time.Duration
	Duration time.Duration
	// Rate, when positive, is the requests per second of all clients together.
	Rate float64
	// Path returns the path (and query) of a client's next request; rng is the
	// client's own.
	Path func(rng *rand.Rand) string
}

// Result summarises a load run. Latencies are measured by the client, from sending
// the request to reading the last byte of the response.
type Result struct {
	Requests int
	// Errors counts transport errors and responses other than 2xx.
	Errors     int
	FirstError string
	Elapsed    time.Duration
	// Throughput is requests per second over the recorded window.
	Throughput         float64
	P50, P95, P99, Max time.Duration
	Mean               time.Duration
}

// String is one line for a log.
func (r Result) String() string {
	return fmt.Sprintf("%d requests in %s (%.0f/s), %d errors; p50 %s, p95 %s, p99 %s, max %s, mean %s",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Throughput, r.Errors, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), ms(r.Mean))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", Millis(d)) }

// Millis is d in milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// NewHTTPClient returns a client that keeps up to conns connections alive to one
// host, so a load run reuses them rather than dialling per request.
func NewHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// Run performs the load run and returns its result.
func (l Load) Run(ctx context.Context) Result {
	client := NewHTTPClient(l.Clients)
	defer client.CloseIdleConnections()
	start := time.Now()
	recordFrom := start.Add(l.Warmup)
	stop := recordFrom.Add(l.Duration)
	type tally struct {
		latencies  []time.Duration
		errors     int
		firstError string
	}
	tallies := make([]tally, l.Clients)
	var wg sync.WaitGroup
	for c := range l.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c)+1, 0x5eed))
			t := &tallies[c]
			t.latencies = make([]time.Duration, 0, 1<<14)
			var interval time.Duration
			next := start
			if l.Rate > 0 {
				interval = time.Duration(float64(l.Clients) / l.Rate * float64(time.Second))
				// Spread the clients' schedules over one interval.
				next = start.Add(time.Duration(rng.Int64N(int64(interval))))
			}
			for ctx.Err() == nil {
				path := l.Path(rng)
				began := time.Now()
				if interval > 0 {
					if wait := next.Sub(began); wait > 0 {
						time.Sleep(wait)
					}
					began = next
					next = next.Add(interval)
				}
				if began.After(stop) {
					return
				}
				status, err := l.get(ctx, client, path)
				done := time.Now()
				if began.Before(recordFrom) {
					continue
				}
				t.latencies = append(t.latencies, done.Sub(began))
				if err == nil && (status < 200 || status > 299) {
					err = fmt.Errorf("GET %s: status %d", path, status)
				}
				if err != nil {
					if t.errors == 0 {
						t.firstError = err.Error()
					}
					t.errors++
				}
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	var res Result
	for _, t := range tallies {
		all = append(all, t.latencies...)
		res.Errors += t.errors
		if res.FirstError == "" {
			res.FirstError = t.firstError
		}
	}
	res.Elapsed = l.Duration
	if end := time.Now(); end.Before(stop) {
		res.Elapsed = end.Sub(recordFrom)
	}
	summarize(&res, all)
	return res
}

// summarize fills in the count, throughput and percentiles of latencies.
func summarize(res *Result, latencies []time.Duration) {
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	res.Requests = len(latencies)
	if res.Requests == 0 {
		return
	}
	var total time.Duration
	for _, d := range latencies {
		total += d
	}
	res.Mean = total / time.Duration(len(latencies))
	res.P50 = Percentile(latencies, 50)
	res.P95 = Percentile(latencies, 95)
	res.P99 = Percentile(latencies, 99)
	res.Max = latencies[len(latencies)-1]
	if res.Elapsed > 0 {
		res.Throughput = float64(res.Requests) / res.Elapsed.Seconds()
	}
}

// Percentile returns the p-th percentile (nearest rank) of sorted latencies.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func (l Load) get(ctx context.Context, client *http.Client, path string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.BaseURL+path, nil)
	if err != nil {
		return 0, err
	}
	if l.Token != "" {
		req.Header.Set("Authorization", "Bearer "+l.Token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	// Read the body to the end so the connection is reused.
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, err
}
